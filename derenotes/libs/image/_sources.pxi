# Included by video.pyx: what a reader reads. A str or os.PathLike is a path; an object with the
# buffer protocol (bytes, bytearray, memoryview, mmap, a NumPy array) is the file's bytes, read
# where they are; an object with read() is a binary file object, read through Python calls made
# from FFmpeg's I/O. Sources other than paths are named by a description in angle brackets
# ("<bytes, 1.2 MB>", "<BufferedReader 'clip.mp4'>"); errors then have path None.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_CheckBuffer, PyObject_GetBuffer
from libc.stdlib cimport malloc
from libc.string cimport memcpy


cdef extern from "derenotes/ffmpeg.hpp":
    int AVERROR_EXTERNAL
    int AVERROR_ENOSYS "AVERROR(ENOSYS)"


cdef shared_ptr[const Source] _make_source(object source, bint allow_network, int64_t url_timeout_us) except *:
    """The C++ Source for what the user gave VideoReader (url_timeout_us: see file_source)."""
    if isinstance(source, (str, os.PathLike)):
        return file_source(os.fsencode(source), allow_network, url_timeout_us)
    if PyObject_CheckBuffer(source):
        return _memory_source(source)
    if hasattr(source, "read"):
        return _file_object_source(source)
    raise TypeError(f"a reader reads a path (str or os.PathLike), bytes-like data or a binary file object "
                    f"with read(), not {type(source).__name__}")


def _size_text(size):
    """A size as people read it: '512 bytes', '1.2 MB'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------
# Bytes in memory: the source holds a buffer export of the object (which also keeps a bytearray
# from being resized and an mmap from being closed) and releases it when the last decoder is gone.

cdef void _release_buffer(void* owner) noexcept nogil:
    with gil:
        PyBuffer_Release(<Py_buffer*>owner)
    free(owner)


cdef shared_ptr[const Source] _memory_source(object data) except *:
    cdef Py_buffer* view = <Py_buffer*>malloc(sizeof(Py_buffer))
    if view == NULL:
        raise MemoryError()
    try:
        PyObject_GetBuffer(data, view, PyBUF_SIMPLE)  # contiguous bytes, or BufferError
    except BaseException:
        free(view)
        raise
    name = f"<{type(data).__name__}, {_size_text(view.len)}>"
    return memory_source(name.encode(), <const uint8_t*>view.buf, view.len, view, _release_buffer)


# ---------------------------------------------------------------------------------------------
# File objects: FFmpeg's reads become positional reads (seek() when the position is not where the
# last read ended, then read()), so that the reader's several FFmpeg readers share one object.
# What the object does wrong is an exception of its own, or one naming the misbehaviour; either
# waits in _callback_errors for the call in progress to end (FFmpeg only sees a failed read),
# which then raises it (see _raise_callback_error).

cdef class _FileObjectReader:
    cdef object _read, _seek, _tell
    cdef str name
    cdef bint seekable
    cdef int64_t position  # where the file object is, as far as we know (-1: not known)
    cdef int64_t _end  # the size in bytes; -1: not known yet

    def __cinit__(self, file):
        if isinstance(file, io.TextIOBase):
            raise TypeError(f"{file!r} is a text file: open it in binary mode ('rb')")
        self._read = file.read
        self._seek = getattr(file, "seek", None)
        self._tell = getattr(file, "tell", None)
        seekable = getattr(file, "seekable", None)
        self.seekable = not not (seekable() if seekable is not None else self._seek is not None)
        name = getattr(file, "name", None)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        self.name = f"<{type(file).__name__} {name!r}>" if isinstance(name, str) else f"<{type(file).__name__}>"
        self.position = -1 if self.seekable else 0  # a stream starts where it is
        self._end = -1

    cdef int read_at(self, int64_t position, uint8_t* buffer, int size) except -1:
        if position != self.position:
            self._go_to(position)
        data = self._read(size)
        if data is None:
            raise BlockingIOError(f"{self.name}: read() returned None (a non-blocking stream with no data ready): "
                                  "give the reader a blocking file object")
        if isinstance(data, str):
            raise TypeError(f"{self.name}: read() returned str, not bytes: open the file in binary mode ('rb')")
        cdef Py_buffer view
        try:
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        except (TypeError, BufferError):
            raise TypeError(f"{self.name}: read() returned {type(data).__name__}, not bytes") from None
        try:
            if view.len > size:
                raise ValueError(f"{self.name}: read({size}) returned {view.len} bytes, more than it was asked for")
            memcpy(buffer, view.buf, view.len)
            self.position += view.len
            return view.len
        finally:
            PyBuffer_Release(&view)

    cdef _go_to(self, int64_t position):
        if not self.seekable:
            raise io.UnsupportedOperation(f"{self.name}: the file object cannot seek")
        self.position = -1  # until the seek is known to have landed
        landed = self._seek(position)
        if landed is None and self._tell is not None:
            landed = self._tell()
        if landed is not None and _as_position(landed) != position:
            raise ValueError(f"{self.name}: seek({position}) returned {landed!r}, not {position}")
        self.position = position

    cdef int64_t end(self) except? -2:
        """The size in bytes (the end's position), or -1 when the object cannot tell."""
        if self._end < 0 and self.seekable:
            self.position = -1
            landed = self._seek(0, os.SEEK_END)
            if landed is None and self._tell is not None:
                landed = self._tell()
            self._end = _as_position(landed) if landed is not None else -1
            self.position = self._end
        return self._end


cdef int64_t _as_position(object value) except? -2:
    try:
        position = operator.index(value)
    except TypeError:
        return -2  # not a position: never the one asked for
    return position if 0 <= position < 2**63 else -2


cdef int _read_file_object(void* owner, int64_t position, uint8_t* buffer, int size) noexcept nogil:
    with gil:
        reader = <_FileObjectReader>owner
        try:
            return reader.read_at(position, buffer, size)
        except BaseException as error:
            return _callback_failed(error, reader.name)


cdef int64_t _file_object_size(void* owner) noexcept nogil:
    with gil:
        reader = <_FileObjectReader>owner
        try:
            size = reader.end()
        except Exception:
            return AVERROR_ENOSYS  # a size is a hint: a reader that cannot tell is still read
        except BaseException as error:  # KeyboardInterrupt
            return _callback_failed(error, reader.name)
        return size if size >= 0 else AVERROR_ENOSYS


cdef void _release_file_object(void* owner) noexcept nogil:
    with gil:
        Py_XDECREF(<PyObject*>owner)


cdef shared_ptr[const Source] _file_object_source(object file) except *:
    reader = _FileObjectReader(file)
    cdef ReadCallbacks callbacks
    callbacks.owner = <void*>reader
    callbacks.read = _read_file_object
    callbacks.size = _file_object_size
    callbacks.release = _release_file_object
    callbacks.seekable = reader.seekable
    Py_INCREF(reader)  # the source's reference, released by _release_file_object
    return callback_source(reader.name.encode(), callbacks)


# The exception a file object's call raised on this thread, waiting for the C++ call it interrupted
# to end: (exception, source name). _pending_callback_errors counts the threads that have one, so
# that the wrapper of every call (_leave) looks only when there is.
_callback_errors = threading.local()
cdef Py_ssize_t _pending_callback_errors = 0


cdef int _callback_failed(BaseException error, str name) noexcept:
    global _pending_callback_errors
    try:
        if getattr(_callback_errors, "pending", None) is None:
            _callback_errors.pending = (error, name)
            _pending_callback_errors += 1
    except BaseException:
        pass  # the failed read stands on its own
    return AVERROR_EXTERNAL


cdef object _take_callback_error():
    global _pending_callback_errors
    if not _pending_callback_errors:
        return None
    pending = getattr(_callback_errors, "pending", None)
    if pending is not None:
        _callback_errors.pending = None
        _pending_callback_errors -= 1
    return pending


cdef int _raise_callback_error(tuple pending) except -1:
    """Raises what a file object raised, as itself, chained from a DecodeError naming the source."""
    exception, name = pending
    cause = errors.DecodeError(f"{name}: reading stopped: the file object raised {type(exception).__name__}")
    raise exception from cause
