# Included by video.pyx: DLPack for _Plane.__dlpack__. The tensor describes the image-shaped view
# of the buffer protocol, with strides in items, and holds an export token as a buffer view does.

cdef extern from "derenotes/dlpack.h" nogil:
    ctypedef struct DLPackVersion:
        uint32_t major, minor
    ctypedef enum DLDeviceType:
        kDLCPU
    ctypedef struct DLDevice:
        DLDeviceType device_type
        int32_t device_id
    enum:
        kDLInt
        kDLUInt
        kDLFloat
        DLPACK_MAJOR_VERSION
        DLPACK_MINOR_VERSION
    uint64_t DLPACK_FLAG_BITMASK_READ_ONLY
    ctypedef struct DLDataType:
        uint8_t code
        uint8_t bits
        uint16_t lanes
    ctypedef struct DLTensor:
        void* data
        DLDevice device
        int32_t ndim
        DLDataType dtype
        int64_t* shape
        int64_t* strides
        uint64_t byte_offset
    ctypedef struct DLManagedTensor:
        DLTensor dl_tensor
        void* manager_ctx
        void (*deleter)(DLManagedTensor*) noexcept nogil
    ctypedef struct DLManagedTensorVersioned:
        DLPackVersion version
        void* manager_ctx
        void (*deleter)(DLManagedTensorVersioned*) noexcept nogil
        uint64_t flags
        DLTensor dl_tensor


cdef struct _DLPackPlane:
    # One allocation per export: the managed tensor in the layout the consumer asked for, the
    # shape and strides it points to, and a strong reference to the plane's export token.
    DLManagedTensorVersioned versioned
    DLManagedTensor legacy
    int64_t shape[3]
    int64_t strides[3]
    PyObject* token


cdef bint _NATIVE_BIG_ENDIAN = sys.byteorder == "big"


cdef void _release_dlpack_plane(_DLPackPlane* export) noexcept nogil:
    # Consumers call deleters from any thread, with or without the GIL.
    with gil:
        Py_XDECREF(export.token)
    free(export)


cdef void _delete_versioned(DLManagedTensorVersioned* tensor) noexcept nogil:
    _release_dlpack_plane(<_DLPackPlane*>tensor.manager_ctx)


cdef void _delete_legacy(DLManagedTensor* tensor) noexcept nogil:
    _release_dlpack_plane(<_DLPackPlane*>tensor.manager_ctx)


# A capsule no consumer took (they rename it "used_...") still owns its tensor.
cdef void _versioned_capsule_died(object capsule) noexcept:
    if PyCapsule_IsValid(capsule, b"dltensor_versioned"):
        _delete_versioned(<DLManagedTensorVersioned*>PyCapsule_GetPointer(capsule, b"dltensor_versioned"))


cdef void _legacy_capsule_died(object capsule) noexcept:
    if PyCapsule_IsValid(capsule, b"dltensor"):
        _delete_legacy(<DLManagedTensor*>PyCapsule_GetPointer(capsule, b"dltensor"))


cdef DLDataType _dlpack_dtype(_Plane plane) except *:
    cdef const ItemType* item = &plane._layout.item
    if item.bits > 8 and item.big_endian != _NATIVE_BIG_ENDIAN:
        raise BufferError(f"plane {plane.index} holds {plane.format!r} items, not in this machine's byte "
                          "order, which DLPack cannot describe: use the buffer protocol (numpy.asarray)")
    cdef DLDataType dtype
    dtype.lanes = 1
    dtype.bits = item.bits
    dtype.code = kDLFloat if item.kind == ItemKind.Float else kDLInt if item.kind == ItemKind.Signed else kDLUInt
    return dtype


cdef object _dlpack_capsule(_Plane plane, bint versioned):
    cdef Frame* frame = plane.frame._frame.get()
    cdef const PlaneLayout* layout = plane._layout
    cdef bint writable = frame.is_writable()
    if not writable and not versioned:
        raise BufferError(
            f"plane {plane.index} of frame {plane.frame.index} is read-only (the decoder still uses it), "
            "and DLPack before 1.0 cannot say so: use a consumer that asks for DLPack 1.0 (NumPy 2 "
            "does) or call frame.make_writable() first")
    cdef DLDataType dtype = _dlpack_dtype(plane)
    cdef PlaneSpan span = frame.span(plane.index)
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t strides[3]
    _fill_view(layout, span, shape, strides)
    for d in range(layout.ndim):
        if strides[d] % layout.itemsize:
            raise BufferError(f"plane {plane.index}'s rows are {strides[d]} bytes apart, not a whole number of "
                              f"{layout.itemsize}-byte items, which DLPack needs: use the buffer protocol")

    cdef _DLPackPlane* export = <_DLPackPlane*>calloc(1, sizeof(_DLPackPlane))
    if export == NULL:
        raise MemoryError()
    for d in range(layout.ndim):
        export.shape[d] = shape[d]
        export.strides[d] = strides[d] // layout.itemsize
    cdef DLTensor* tensor = &export.versioned.dl_tensor if versioned else &export.legacy.dl_tensor
    tensor.data = span.first_row
    tensor.device.device_type = kDLCPU
    tensor.device.device_id = 0
    tensor.ndim = layout.ndim
    tensor.dtype = dtype
    tensor.shape = export.shape
    tensor.strides = export.strides
    tensor.byte_offset = 0
    token = _FrameExport.track(plane.frame)
    Py_INCREF(token)
    export.token = <PyObject*>token
    try:
        if versioned:
            export.versioned.version.major = DLPACK_MAJOR_VERSION
            export.versioned.version.minor = DLPACK_MINOR_VERSION
            export.versioned.manager_ctx = export
            export.versioned.deleter = _delete_versioned
            export.versioned.flags = 0 if writable else DLPACK_FLAG_BITMASK_READ_ONLY
            return PyCapsule_New(&export.versioned, b"dltensor_versioned", _versioned_capsule_died)
        export.legacy.manager_ctx = export
        export.legacy.deleter = _delete_legacy
        return PyCapsule_New(&export.legacy, b"dltensor", _legacy_capsule_died)
    except BaseException:
        _release_dlpack_plane(export)
        raise
