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

# NumPy's dtypes for PlaneLayout's item types ("B", "<h", ">f", ...), made once, by _item_slot().
cdef list _ITEM_DTYPES = None  # [_item_slot(item)]: NumPy's dtype of each ItemType; None until NumPy is imported


cdef inline int _item_slot(const ItemType& item) noexcept nogil:
    cdef int size_log2 = 0 if item.bits == 8 else 1 if item.bits == 16 else 2 if item.bits == 32 else 3
    cdef int kind = 8 if item.kind == ItemKind.Float else 16 if item.kind == ItemKind.Signed else 0
    return kind + (4 if item.big_endian else 0) + size_log2


cdef int _import_numpy() except -1:
    global _ITEM_DTYPES
    _import_array()
    import numpy
    cdef ItemType item
    dtypes = [None] * 24
    for item.kind in (ItemKind.Unsigned, ItemKind.Float, ItemKind.Signed):
        for item.big_endian in (False, True):
            for item.bits in (8, 16, 32, 64):
                if not (item.kind == ItemKind.Float and item.bits == 8):
                    dtypes[_item_slot(item)] = numpy.dtype((<bytes>item.pep3118()).decode())
    _ITEM_DTYPES = dtypes
    return 0


cdef inline object _item_dtype(const ItemType& item):
    return _ITEM_DTYPES[_item_slot(item)]


cdef object _plane_array(Frame* frame, int index, int flags, object base):
    """One plane as an ndarray over the frame's memory: the view numpy.asarray(plane) gives."""
    cdef const PlaneLayout* layout = &frame.planes()[index]
    cdef PlaneSpan span = frame.span(index)
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t strides[3]
    _fill_view(layout, span, shape, strides)
    dtype = _item_dtype(layout.item)
    Py_INCREF(dtype)  # PyArray_NewFromDescr takes this reference
    array = PyArray_NewFromDescr(&PyArray_Type, <PyArray_Descr*>dtype, layout.ndim, shape, strides,
                                 span.first_row, flags, NULL)
    Py_INCREF(base)  # PyArray_SetBaseObject takes this reference
    PyArray_SetBaseObject(<PyArrayObject*>array, <PyObject*>base)
    return array
