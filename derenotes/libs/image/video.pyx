# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""The extension module: Python classes over the C++ core (cpp/), in one module so that state
that must exist once (the log queue, per-thread conversion contexts, recycled frames) does.

This layer adapts, it does not decode: every FFmpeg call is in cpp/. The module is this file
and the topic files it includes:
    _calls.pxi       C++ errors to exceptions, FFmpeg's log, Ctrl-C, the wrapper of blocking calls
    _sources.pxi     what a reader reads: paths, bytes in memory, file objects
    _stream_reader.pxi  what every reader shares: source, options, iteration, close, claim
    _reader.pxi      VideoReader: iteration and random access
    _audio.pxi       AudioReader and AudioFrame
    _audio_read.pxi  audio converted to arrays: AudioFrame.to_ndarray, AudioReader.read
    _frame.pxi       VideoFrame and its conversion (to_ndarray)
    _conversion.pxi  the arrays conversions write into
    _numpy.pxi       NumPy's C API and item dtypes (NumPy imported on first use)
    _dlpack.pxi      DLPack export of planes
    _metadata.pxi    probe: every stream described; the display matrix applied (rotate=True)
and here, _Plane: the buffer exporter.
"""
import errno as _errno
import io
import math
import operator
import os
import sys
import threading
from fractions import Fraction

cimport cython
from cpython.buffer cimport (
    PyBUF_ANY_CONTIGUOUS,
    PyBUF_C_CONTIGUOUS,
    PyBUF_F_CONTIGUOUS,
    PyBUF_FORMAT,
    PyBUF_ND,
    PyBUF_STRIDES,
    PyBUF_WRITABLE,
    PyBuffer_FillInfo,
)
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_RawFree, PyMem_RawRealloc
from cpython.exc cimport PyErr_Occurred
from cpython.object cimport PyObject, PyTypeObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid, PyCapsule_New
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from libc.limits cimport INT_MAX
from libc.stddef cimport size_t
from libc.stdint cimport INT64_MAX, INT64_MIN, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.math cimport floor
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memmove
from libcpp cimport bool
from libcpp.memory cimport make_shared, unique_ptr
from libcpp.string cimport string
from libcpp.utility cimport move
from libcpp.vector cimport vector
from posix.unistd cimport usleep

from derenotes import _indexing, errors
from derenotes._indexing import (DEFAULT_MAX_NESTED_OPENS, DEFAULT_MAX_PACKETS, DEFAULT_MAX_PIXELS,
                                 DEFAULT_MAX_PROBE_BYTES, DEFAULT_MAX_STREAMS, DEFAULT_TIMEOUT)

__all__ = ["DEFAULT_MAX_NESTED_OPENS", "DEFAULT_MAX_PACKETS", "DEFAULT_MAX_PIXELS", "DEFAULT_MAX_PROBE_BYTES",
           "DEFAULT_MAX_STREAMS", "DEFAULT_TIMEOUT", "AudioFrame", "AudioReader", "VideoFrame", "VideoReader",
           "ffmpeg_versions", "get_log_level", "set_log_level"]

cdef int64_t NO_TIMESTAMP = INT64_MIN  # AV_NOPTS_VALUE

include "_calls.pxi"
include "_sources.pxi"
include "_stream_reader.pxi"
include "_reader.pxi"
include "_audio.pxi"
include "_audio_read.pxi"
include "_frame.pxi"
include "_conversion.pxi"
include "_numpy.pxi"
include "_dlpack.pxi"
include "_metadata.pxi"


# ---------------------------------------------------------------------------------------------
# _Plane: the buffer exporter, and the token that keeps a frame alive while its memory is out.


cdef _Plane _make_plane(_Frame frame, int index):
    cdef _Plane plane = _Plane.__new__(_Plane)
    plane.frame = frame
    plane.index = index
    plane._layout = &frame._frame.get().planes()[index]
    return plane


cdef inline void _fill_view(const PlaneLayout* layout, const PlaneSpan& span, Py_ssize_t* shape,
                            Py_ssize_t* strides) noexcept:
    """The image-shaped view of a plane, for the buffer protocol and for NumPy alike: rows
    span.row_stride bytes apart (negative when bottom-up), fixed strides within a row."""
    shape[0] = layout.shape[0]
    shape[1] = layout.shape[1]
    shape[2] = layout.shape[2]
    strides[0] = span.row_stride
    strides[1] = layout.inner_strides[0]
    strides[2] = layout.inner_strides[1]


@cython.freelist(16)
cdef class _FrameExport:
    """Stands for memory of a frame handed out: the `obj` of one exported plane buffer, or the
    base of the arrays of one frame's .arrays. Keeps the frame alive and counts as one export
    on it while it lives."""

    cdef readonly _Frame frame

    @staticmethod
    cdef _FrameExport track(_Frame frame):
        cdef _FrameExport export = _FrameExport.__new__(_FrameExport)
        export.frame = frame
        frame._exports += 1
        return export

    def __dealloc__(self):
        if self.frame is not None:
            self.frame._exports -= 1


@cython.freelist(16)
cdef class _Plane:
    """_Plane()
--

    One plane of a frame (from VideoFrame.planes or AudioFrame.planes), exported through the
    buffer protocol with no copy.

    memoryview(plane), numpy.asarray(plane): the image-shaped view, (height, width) or
        (height, width, channels), row stride = linesize (negative for bottom-up frames), so
        row padding is excluded.
    numpy.frombuffer(plane, numpy.uint8): the plane's raw bytes from its lowest address,
        abs(linesize) * height of them, row padding included.
    Read-only unless the frame is writable (see VideoFrame.make_writable).
    """

    cdef readonly _Frame frame
    """The frame this plane belongs to (kept alive by the plane)."""
    cdef readonly int index
    """The plane's number in the frame (FFmpeg's data[] index)."""
    cdef const PlaneLayout* _layout  # owned by the frame's C++ object, which `frame` keeps
    cdef Py_ssize_t _shape[3]  # the exported view's shape and strides, which the view points to
    cdef Py_ssize_t _strides[3]

    def __init__(self):
        raise TypeError("_Plane objects come from a frame's planes")

    @property
    def width(self):
        """Pixels per row of this plane (samples of its first component)."""
        return self._layout.width

    @property
    def height(self):
        """Rows of this plane."""
        return self._layout.height

    @property
    def linesize(self):
        """Bytes from one row to the next, as FFmpeg gives it (negative when bottom-up)."""
        if self._layout.is_palette:
            return self._layout.row_bytes
        return self.frame._frame.get().linesize(self.index)

    @property
    def row_bytes(self):
        """Bytes of pixel data in a row (FFmpeg's minimum linesize), padding excluded."""
        return self._layout.row_bytes

    @property
    def address(self):
        """Address of row 0 in the decoded frame's memory (FFmpeg's AVFrame.data), for
        checking that arrays share it."""
        return <size_t>self.frame._frame.get().span(self.index).first_row

    @property
    def shape(self):
        """The image-shaped view's shape: (height, width) or (height, width, channels)."""
        return tuple(self._layout.shape[d] for d in range(self._layout.ndim))

    @property
    def format(self):
        """The item format of the image-shaped view, as the struct module spells it."""
        return (<bytes>self._layout.item.pep3118()).decode()

    @property
    def depth(self):
        """Bits of each sample in its item (FFmpeg's component depth: 10 for yuv420p10le), or None
        when the plane's items are not one sample each (rgb565 words, 1-bit rows, audio)."""
        return self._layout.depth or None

    @property
    def shift(self):
        """Where the sample's bits start in its item (FFmpeg's component shift: 6 for p010le, whose
        10 bits are the high ones), or None as for `depth`."""
        return self._layout.shift if self._layout.depth else None

    def __bytes__(self):
        """The plane's raw bytes, as numpy.frombuffer sees them (a copy, as bytes always is)."""
        cdef PlaneSpan span = self.frame._frame.get().span(self.index)
        return PyBytes_FromStringAndSize(<char*>span.lowest, span.raw_bytes)

    def __getbuffer__(self, Py_buffer* view, int flags):
        cdef Frame* frame = self.frame._frame.get()
        cdef const PlaneLayout* layout = self._layout
        cdef bint writable = frame.is_writable()
        if flags & PyBUF_WRITABLE and not writable:
            raise BufferError(
                f"plane {self.index} of frame {self.frame.index} is read-only: the decoder still "
                "uses this frame's memory (a reference for later frames). Ask for a read-only "
                "view, or call frame.make_writable() first for a private copy.")
        cdef PlaneSpan span = frame.span(self.index)
        cdef bint c_contiguous = span.row_stride == layout.view_row_extent() or layout.shape[0] == 1

        if (flags & PyBUF_ND) == PyBUF_ND:
            if ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS
                    or (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS
                    or (flags & PyBUF_STRIDES) != PyBUF_STRIDES) and not c_contiguous:
                raise BufferError(
                    f"plane {self.index} is not C-contiguous: its rows are {span.row_stride} bytes "
                    f"apart but hold {layout.view_row_extent()} bytes of pixels. Ask for a strided "
                    "view (memoryview, numpy.asarray) or copy it (numpy.ascontiguousarray).")
            if (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS:
                raise BufferError(f"plane {self.index} is stored row by row, not Fortran-contiguous")
            _fill_view(layout, span, self._shape, self._strides)
            view.buf = span.first_row
            view.len = layout.shape[0] * layout.shape[1] * layout.itemsize
            if layout.ndim == 3:
                view.len *= layout.shape[2]
            view.ndim = layout.ndim
            view.itemsize = layout.itemsize
            view.format = <char*>layout.item.pep3118() if flags & PyBUF_FORMAT else NULL
            view.shape = self._shape
            view.strides = NULL
            if (flags & PyBUF_STRIDES) == PyBUF_STRIDES:
                view.strides = self._strides
        else:
            # A plain request (numpy.frombuffer): the raw bytes, padding included.
            view.buf = span.lowest
            view.len = span.raw_bytes
            view.ndim = 1
            view.itemsize = 1
            view.shape = NULL
            view.strides = NULL
            view.format = <char*>b"B" if flags & PyBUF_FORMAT else NULL

        view.readonly = not writable
        view.suboffsets = NULL
        view.internal = NULL
        view.obj = _FrameExport.track(self.frame)

    # No __releasebuffer__: NumPy wraps exporters that have one in a strided memoryview before
    # asking for plain bytes, which would make numpy.frombuffer fail on padded planes. Each
    # export holds a _FrameExport instead (view.obj), which counts it while it lives.

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The image-shaped view as a DLPack capsule, for numpy.from_dlpack, torch.from_dlpack
        and the like: no copy, the frame kept alive and the export counted as a view while the
        tensor lives, marked read-only when the decoder still uses the frame (DLPack 1.0)."""
        if stream is not None:
            raise BufferError("a plane is in CPU memory: __dlpack__ takes no stream")
        if dl_device is not None and tuple(dl_device) != (kDLCPU, 0):
            raise BufferError(f"a plane is in CPU memory, device (1, 0), not {tuple(dl_device)}")
        if copy:
            raise BufferError("planes are exported without copying: for a copy use numpy.array(plane)")
        cdef bint versioned = max_version is not None and max_version[0] >= 1
        return _dlpack_capsule(self, versioned)

    def __dlpack_device__(self):
        return (kDLCPU, 0)

    def __repr__(self):
        return (f"<derenotes._Plane {self.index} of frame {self.frame.index}: shape={self.shape} "
                f"format={self.format!r} linesize={self.linesize}>")
