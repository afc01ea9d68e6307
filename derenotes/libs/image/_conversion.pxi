# Included by video.pyx: the arrays VideoFrame.to_ndarray and VideoReader.get_frames convert into,
# their shapes and dtypes from the C++ plane layout of the target format, and the checks of arrays
# the user passes as out=.

cdef dict _conversions = {}  # (pixel format, width, height, copy) -> _Conversion, a few of them


@cython.final
cdef class _Conversion:
    """What VideoFrame.to_ndarray makes for a pixel format and size: the planes' array shapes,
    dtypes and row sizes (FFmpeg's, from the C++ plane layout), and how they are put together:
    one array, one array of stacked planes, or a tuple of arrays."""

    cdef readonly list plane_indices  # FFmpeg's plane numbers, in order
    cdef list shapes, dtypes, row_bytes, inner_strides
    cdef bint stacked  # several planes of one shape and dtype: one array (planes, ...)

    @staticmethod
    cdef _Conversion of(int pixel_format, width, height, bint copy):
        key = (pixel_format, width, height, copy)
        cdef _Conversion conversion = _conversions.get(key)
        if conversion is not None:
            return conversion
        if width <= 0 or height <= 0:
            raise ValueError(f"width and height must be positive, not {width}x{height}")
        if _ITEM_DTYPES is None:
            _import_numpy()
        conversion = _Conversion.__new__(_Conversion)
        conversion.plane_indices, conversion.shapes, conversion.dtypes = [], [], []
        conversion.row_bytes, conversion.inner_strides = [], []
        cdef PlaneLayout layout
        for layout in conversion_planes(pixel_format, width, height, copy):
            conversion.plane_indices.append(layout.index)
            conversion.shapes.append(tuple(layout.shape[i] for i in range(layout.ndim)))
            conversion.dtypes.append(_item_dtype(layout.item))
            conversion.row_bytes.append(layout.row_bytes)
            conversion.inner_strides.append(tuple(layout.inner_strides[i] for i in range(layout.ndim - 1)))
        conversion.stacked = len(conversion.shapes) > 1 and all(
            shape == conversion.shapes[0] and dtype == conversion.dtypes[0]
            for shape, dtype in zip(conversion.shapes, conversion.dtypes))
        if len(_conversions) >= 64:
            _conversions.clear()
        _conversions[key] = conversion
        return conversion

    cdef object allocate(self, tuple lead):
        """New arrays for the result, with `lead` dimensions before each (a batch: (frames,)).
        Rows are each plane's row size apart, so C-contiguous unless a plane's items end before
        its row does (yuyv422 at odd widths); every array starts 64-byte aligned."""
        if self.stacked:
            return _rows_array(lead + (len(self.shapes),), self.shapes[0], self.dtypes[0], self.row_bytes[0],
                               self.inner_strides[0])
        arrays = tuple(_rows_array(lead, shape, dtype, row_bytes, inner)
                       for shape, dtype, row_bytes, inner in zip(self.shapes, self.dtypes, self.row_bytes,
                                                                 self.inner_strides))
        return arrays[0] if len(arrays) == 1 else arrays

    cdef object item(self, batch, Py_ssize_t index):
        """Frame `index` of a batch from allocate((frames,))."""
        return batch[index] if self.stacked or len(self.shapes) == 1 else tuple(array[index] for array in batch)

    cdef list planes_of(self, out):
        """The arrays of each plane of a result, checked to be fit for the conversion to write
        into (ValueError otherwise): shape and dtype, writable, items packed as in a C-contiguous
        array, rows and planes apart by at least their size, none reversed."""
        cdef Py_ssize_t count = len(self.shapes)
        if self.stacked:
            _check_array(out, (count,) + self.shapes[0], self.dtypes[0])
            planes = [out[i] for i in range(count)]
            if out.strides[0] < self.shapes[0][0] * out.strides[1]:
                raise ValueError(f"out's planes must be apart (strides {out.strides} for shape {out.shape}); "
                                 "a C-contiguous array always fits")
        elif count == 1:
            planes = [out]
        elif not isinstance(out, (tuple, list)) or len(out) != count:
            raise ValueError(f"out must be a tuple of {count} numpy.ndarray, one per plane, as returned")
        else:
            planes = list(out)
        for array, shape, dtype, row_bytes, inner in zip(planes, self.shapes, self.dtypes, self.row_bytes,
                                                         self.inner_strides):
            _check_array(array, shape, dtype)
            if array.strides[1:] != inner or not row_bytes <= array.strides[0] <= INT_MAX:
                raise ValueError(f"out's items must be packed within each row, rows apart (strides "
                                 f"{array.strides} for shape {shape}); a C-contiguous array always fits")
        return planes


cdef _check_array(array, tuple shape, dtype):
    import numpy
    if not isinstance(array, numpy.ndarray):
        raise ValueError(f"out must be a numpy.ndarray, not {type(array).__name__}")
    if array.shape != shape or array.dtype != dtype:
        raise ValueError(f"out must have shape {shape} and dtype {dtype}, not {array.shape} and {array.dtype}")
    if not array.flags.writeable:
        raise ValueError("out is read-only")


cdef _rows_array(tuple lead, tuple shape, dtype, Py_ssize_t row_bytes, tuple inner_strides):
    """A new array of lead + shape over rows row_bytes apart, starting 64-byte aligned (swscale
    writes planar formats straight only into aligned rows: converter.hpp)."""
    import numpy
    cdef Py_ssize_t block = shape[0] * row_bytes
    lead_strides = []
    for extent in reversed(lead):
        lead_strides.insert(0, block)
        block *= extent
    raw = numpy.empty(block + 63, numpy.uint8)
    return numpy.ndarray(lead + shape, dtype, raw, -raw.ctypes.data % 64,
                         tuple(lead_strides) + (row_bytes,) + inner_strides)
