# Included by video.pyx: NumPy's C API and the dtypes of plane items. NumPy is imported on first
# use (VideoFrame.arrays, to_ndarray), so that importing derenotes stays light.

# NumPy's C API, declared here rather than cimported: `cimport numpy` would import NumPy when
# this module loads.
cdef extern from "numpy/arrayobject.h":
    ctypedef struct PyArray_Descr
    ctypedef struct PyArrayObject
    PyTypeObject PyArray_Type
    enum: NPY_ARRAY_WRITEABLE
    int _import_array() except -1
    # Steals the reference to `descr`. (npy_intp is Py_ssize_t.)
    object PyArray_NewFromDescr(PyTypeObject* subtype, PyArray_Descr* descr, int nd, Py_ssize_t* dims,
                                Py_ssize_t* strides, void* data, int flags, PyObject* obj)
    # Steals the reference to `base`.
    int PyArray_SetBaseObject(PyArrayObject* array, PyObject* base) except -1

# NumPy's dtypes for PlaneLayout's item formats ("B", "<H", ">f", ...), made once: the dtype of
# code _ITEM_CODES[i] is _ITEM_DTYPES[2 * i], big-endian _ITEM_DTYPES[2 * i + 1].
cdef const char* _ITEM_CODES = b"BHIQefd"
cdef list _ITEM_DTYPES = None  # None until NumPy is imported


cdef int _import_numpy() except -1:
    global _ITEM_DTYPES
    _import_array()
    import numpy
    _ITEM_DTYPES = [numpy.dtype(order + code) for code in (<bytes>_ITEM_CODES).decode() for order in "<>"]
    return 0


cdef inline object _item_dtype(const string& format):
    cdef char code = format[format.size() - 1]
    cdef int i = 0
    while _ITEM_CODES[i] != code:
        if _ITEM_CODES[i] == 0:
            raise ValueError(f"no NumPy dtype for item format {_text(format)!r}")
        i += 1
    return _ITEM_DTYPES[2 * i + (format[0] == b'>')]


cdef object _plane_array(Frame* frame, int index, int flags, object base):
    """One plane as an ndarray over the frame's memory: the view numpy.asarray(plane) gives."""
    cdef const PlaneLayout* layout = &frame.planes()[index]
    cdef PlaneSpan span = frame.span(index)
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t strides[3]
    _fill_view(layout, span, shape, strides)
    dtype = _item_dtype(layout.format)
    Py_INCREF(dtype)  # PyArray_NewFromDescr takes this reference
    array = PyArray_NewFromDescr(&PyArray_Type, <PyArray_Descr*>dtype, layout.ndim, shape, strides,
                                 span.first_row, flags, NULL)
    Py_INCREF(base)  # PyArray_SetBaseObject takes this reference
    PyArray_SetBaseObject(<PyArrayObject*>array, <PyObject*>base)
    return array
