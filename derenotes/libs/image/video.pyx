# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""Python classes over the C++ core: VideoReader, VideoFrame and _Plane (the buffer exporter).

This layer adapts, it does not decode: every FFmpeg call is in cpp/. It releases the GIL around
everything that may take time, turns C++ errors into Python exceptions (raise_error) and
forwards FFmpeg's log to the `derenotes` logger.
"""
import bisect
import errno as _errno
import operator
import logging
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
)
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_Occurred
from cpython.object cimport PyObject, PyTypeObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid, PyCapsule_New
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from libc.limits cimport INT_MAX
from libc.stddef cimport size_t
from libc.stdint cimport INT64_MIN, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libcpp cimport bool
from libcpp.memory cimport unique_ptr
from libcpp.string cimport string
from libcpp.utility cimport move
from libcpp.vector cimport vector

from derenotes import errors

# FFmpeg's AV_LOG_* levels.
cdef enum:
    AV_LOG_QUIET = -8
    AV_LOG_ERROR = 16
    AV_LOG_WARNING = 24
    AV_LOG_INFO = 32
    AV_LOG_DEBUG = 48

cdef int64_t NO_TIMESTAMP = INT64_MIN  # AV_NOPTS_VALUE

_logger = logging.getLogger("derenotes")


# ---------------------------------------------------------------------------------------------
# Errors and log: the one place where C++ errors become Python exceptions.

_OS_ERRORS = {
    _errno.ENOENT: errors.FileNotFoundError,
    _errno.EACCES: errors.PermissionError,
    _errno.EPERM: errors.PermissionError,
    _errno.EISDIR: errors.IsADirectoryError,
}

_KIND_ERRORS = {
    ErrorKind.InvalidData: errors.DecodeError,
    ErrorKind.LimitExceeded: errors.LimitExceededError,
    ErrorKind.StreamNotFound: errors.StreamNotFoundError,
    ErrorKind.Unsupported: errors.UnsupportedCodecError,
    ErrorKind.OutOfMemory: errors.OutOfMemoryError,
    ErrorKind.OutOfRange: errors.FrameNotFoundError,
    ErrorKind.Other: errors.DerenotesError,
}


cdef str _text(const string& value):
    return value.decode("utf-8", "replace")


cdef int raise_error() except -1:
    """Raises the Python exception for the C++ exception being handled (see video.pxd)."""
    cdef ErrorInfo info = current_error_info()
    forward_log()
    if info.kind == ErrorKind.Interrupted:
        if PyErr_Occurred():
            return -1  # what the signal handler raised (KeyboardInterrupt for Ctrl-C)
        raise KeyboardInterrupt
    path = os.fsdecode(<bytes>info.path) if info.path.size() else None
    if info.kind == ErrorKind.Io and info.posix_errno:
        cls = _OS_ERRORS.get(info.posix_errno, errors.OpenError)
        error = cls(info.posix_errno, _text(info.detail), path)
    else:
        # The path as Python shows file names: repr() keeps a non-UTF-8 name's bytes (\udcXX).
        message = f"{path!r}: {_text(info.detail)}" if path is not None else _text(info.detail)
        error = _KIND_ERRORS.get(info.kind, errors.DerenotesError)(message)
    error.path = path
    error.code = info.code
    error.reason = _text(info.reason)
    error.log = _text(info.log_line)
    raise error


cdef inline void forward_log() noexcept:
    if pending():
        _forward_queued_log()


cdef void _forward_queued_log() noexcept:
    cdef size_t dropped = 0
    cdef vector[Message] messages = drain(&dropped)
    try:
        for message in messages:
            _logger.log(_python_level(message.level), "%s", _text(message.text))
        if dropped:
            _logger.warning("%d FFmpeg log messages were dropped (too many at once)", dropped)
    except BaseException:
        pass  # logging must never break decoding


cdef int _python_level(int ffmpeg_level) noexcept:
    if ffmpeg_level <= AV_LOG_ERROR:
        return logging.ERROR
    if ffmpeg_level <= AV_LOG_WARNING:
        return logging.WARNING
    if ffmpeg_level <= AV_LOG_INFO:
        return logging.INFO
    return logging.DEBUG


# Ctrl-C: the decoder asks this now and then (see DecoderOptions::interrupted) while the GIL is
# released. Python runs signal handlers in the main thread only, so other threads need not ask.
cdef extern from "Python.h":
    # Declared without an exception clause: an exception a handler raises stays set, for
    # raise_error to pass on, instead of being reported as unraisable here.
    int _check_signals "PyErr_CheckSignals" ()
    unsigned long PyThread_get_thread_ident() nogil

cdef unsigned long _main_thread_ident = threading.main_thread().ident


cdef bool _interrupted() noexcept nogil:
    if PyThread_get_thread_ident() != _main_thread_ident:
        return False
    with gil:
        return _check_signals() != 0


def set_log_level(level):
    """Sets which FFmpeg messages reach the `derenotes` logger, as a `logging` level.

    logging.ERROR, WARNING (the default), INFO or DEBUG; None silences FFmpeg entirely.
    """
    if level is None:
        set_level(AV_LOG_QUIET)
    elif level >= logging.ERROR:
        set_level(AV_LOG_ERROR)
    elif level >= logging.WARNING:
        set_level(AV_LOG_WARNING)
    elif level >= logging.INFO:
        set_level(AV_LOG_INFO)
    else:
        set_level(AV_LOG_DEBUG)


def get_log_level():
    """The `logging` level of the FFmpeg messages forwarded now (None when silenced)."""
    ffmpeg_level = level()
    return None if ffmpeg_level < 0 else _python_level(ffmpeg_level)


install(AV_LOG_WARNING)


# ---------------------------------------------------------------------------------------------
# VideoReader

DEFAULT_MAX_PIXELS = 8192 * 8192
_INDEX_SOURCES = {"packets": IndexSource.Packets, "decode": IndexSource.Decoding}


cdef class VideoReader:
    """Decodes one video stream of a file, frame by frame, in presentation order.

    VideoReader(path, *, stream=0, threads=0, max_pixels=DEFAULT_MAX_PIXELS, format=None, width=None,
                height=None, sws_flags=None, index="packets")

    path: str, bytes or os.PathLike; anything FFmpeg can open.
    stream: which video stream, counted among the file's video streams only (like ffmpeg's
        ``-map 0:v:N``): 0 is the first video stream even when an audio stream comes first.
    threads: 0 (default) lets FFmpeg pick the thread count, with frame and slice threading;
        N uses exactly N threads.
    max_pixels: frames of more pixels than this are refused (LimitExceededError when the
        stream's header says so, a damaged frame when one grows mid-stream), so that a hostile
        header cannot make the decoder allocate gigabytes. The default, 8192 * 8192, admits 8K
        video; None leaves only FFmpeg's own limit (about 2**28 pixels).

    format, width, height, sws_flags: what frame.to_ndarray() converts to when not told
        (default rgb24 at the frame's size, bicubic); get_frames(indices, format=) uses width
        and height too.
    index: how random access learns where the frames are. "packets" (default): from the
        packets, without decoding, checked against every frame it decodes and learned by
        decoding the whole stream once where the check fails (the log says so). "decode":
        by decoding the whole stream once, first: exact whatever the file holds, at the cost
        of one full decode.

    Iterating yields every frame; each new ``for`` loop starts again from the first frame.
    Random access gives the same frames by their number or time, exactly: len(reader),
    reader[i], reader[a:b:step], get_frames(indices), frame_at(seconds), frames_at(times),
    keyframes, frame_times.
    Use it as a context manager, or call close(); frames and their planes stay valid after.
    """

    cdef unique_ptr[Decoder] _decoder  # iteration's; empty after random access took it unused
    cdef unique_ptr[RandomAccess] _random  # made on first random access
    cdef StreamInfo _stream_info  # copied at open: the reader keeps it whoever has the decoder
    cdef bint _closed
    cdef list _times  # every frame's time from the index, made on first use
    cdef int64_t _times_version  # the index's version _times was made from
    cdef list _times_sorted, _numbers_by_time  # frames with a time, by time (for frame_at)
    cdef IndexSource _index_source
    cdef bytes _encoded_path
    cdef readonly object path
    cdef readonly int stream
    cdef readonly int threads
    cdef readonly object max_pixels
    cdef object _time_base
    cdef double _time_base_seconds
    cdef tuple _conversion  # to_ndarray()'s defaults for this reader's frames: (format, width, height, sws_flags)
    cdef bint _started  # frames were taken: a new iteration must start from the top
    cdef bint _busy  # a thread is inside the decoder with the GIL released

    def __cinit__(self, path, *, int stream=0, int threads=0, max_pixels=DEFAULT_MAX_PIXELS, format=None,
                  width=None, height=None, sws_flags=None, index="packets"):
        if index not in _INDEX_SOURCES:
            raise ValueError(f"index must be 'packets' or 'decode', not {index!r}")
        self._index_source = _INDEX_SOURCES[index]
        if (width is not None and width <= 0) or (height is not None and height <= 0):
            raise ValueError(f"width and height must be positive, not {width}x{height}")
        self._conversion = (format or "rgb24", width, height, sws_flags or "")
        scale_flags_named(self._conversion[3].encode())  # a ValueError now, not at the first frame
        self.path = os.fspath(path)
        self._encoded_path = os.fsencode(self.path)
        self.stream = stream
        self.threads = threads
        if max_pixels is not None and max_pixels <= 0:
            raise ValueError(f"max_pixels must be positive or None, not {max_pixels!r}")
        self.max_pixels = max_pixels
        self._open()
        cdef const StreamInfo* info = &self._stream_info
        if format is not None and format != _text(info.pixel_format):
            conversion_planes(pixel_format_named(format.encode()), 1, 1, False)  # an error now, not later
        self._time_base = Fraction(info.time_base_num, info.time_base_den)
        self._time_base_seconds = <double>info.time_base_num / info.time_base_den

    cdef DecoderOptions _options(self):
        cdef DecoderOptions options
        options.video_stream = self.stream
        options.threads = self.threads
        options.max_pixels = self.max_pixels or 0
        options.interrupted = _interrupted
        return options

    cdef _open(self):
        cdef string path = self._encoded_path
        cdef DecoderOptions options = self._options()
        cdef unique_ptr[Decoder] decoder
        self._claim()
        try:
            with nogil:
                decoder.reset(new Decoder(path, options))
                decoder.swap(self._decoder)
                decoder.reset()  # the previous decoder, if any
        finally:
            self._busy = False
            forward_log()
        self._stream_info = self._decoder.get().info()
        self._started = False

    cdef inline int _claim(self) except -1:
        """Marks the reader busy while the GIL is released: two threads may not use one
        reader at once (FFmpeg's decoder is not thread-safe), so the second one gets an error."""
        if self._busy:
            raise RuntimeError(f"VideoReader {self.path!r} is in use by another thread; "
                               "use one reader per thread")
        self._busy = True
        return 0

    cdef inline int _check_open(self) except -1:
        if self._closed:
            raise ValueError(f"I/O operation on a closed VideoReader ({self.path!r})")
        return 0

    cdef Decoder* _iteration_decoder(self) except NULL:
        """The decoder iteration uses, opened anew if random access took the first one."""
        self._check_open()
        if not self._decoder:
            self._open()
        return self._decoder.get()

    def close(self):
        """Closes the file and frees the decoder; frames already taken stay valid. Idempotent."""
        cdef unique_ptr[Decoder] decoder
        cdef unique_ptr[RandomAccess] random
        self._claim()
        try:
            self._closed = True
            decoder.swap(self._decoder)
            random.swap(self._random)
            with nogil:
                decoder.reset()  # joins FFmpeg's threads: without the GIL, so they cannot wait on us
                random.reset()
        finally:
            self._busy = False
            forward_log()

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        self._check_open()
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def __iter__(self):
        self._check_open()
        if self._started or not self._decoder:
            self._open()  # reopening is exact for every format, unlike seeking to the start
        return self

    def __next__(self):
        cdef Decoder* decoder = self._iteration_decoder()
        cdef unique_ptr[Frame] frame
        self._claim()
        self._started = True
        try:
            with nogil:
                frame = decoder.next()
        finally:
            self._busy = False
            forward_log()
        if not frame:
            raise StopIteration
        return _wrap_frame(move(frame), self._time_base, self._time_base_seconds, self._conversion)

    cdef const StreamInfo* _info(self) except NULL:
        self._check_open()
        return &self._stream_info

    # -----------------------------------------------------------------------------------------
    # Random access: frames by number (their place in iteration) and by time. A decoder of its
    # own, so that an iteration in progress goes on undisturbed: the reader's own if no frame
    # was taken from it yet (opening a second one would cost more than the index itself).

    cdef const FrameIndex* _index(self) except NULL:
        """The frame index, made on first use from the packets' descriptions, nothing decoded."""
        self._check_open()
        cdef string path = self._encoded_path
        cdef DecoderOptions options = self._options()
        cdef const FrameIndex* index
        cdef bint take_unused = self._decoder and not self._started
        cdef unique_ptr[Decoder] unused
        cdef IndexSource source = self._index_source
        self._claim()
        try:
            with nogil:
                if not self._random:
                    if take_unused:
                        unused = move(self._decoder)
                    self._random.reset(new RandomAccess(path, options, move(unused), source))
                index = &self._random.get().index()
        finally:
            self._busy = False
            forward_log()
        return index

    cdef VideoFrame _frame_number(self, int64_t number):
        cdef unique_ptr[Frame] frame
        self._claim()
        try:
            with nogil:
                frame = self._random.get().frame(number)
        finally:
            self._busy = False
            forward_log()
        return _wrap_frame(move(frame), self._time_base, self._time_base_seconds, self._conversion)

    cdef int64_t _frame_number_of(self, index, int64_t count) except -1:
        """A frame number from an int index, negative ones counting from the end."""
        cdef int64_t number = operator.index(index)
        if number < 0:
            number += count
        if not 0 <= number < count:
            raise errors.FrameNotFoundError(f"frame index {index} out of range: {self.path!r} has {count} frames")
        return number

    def __len__(self):
        """The number of frames iterating the reader gives, from the frame index."""
        return self._index().size()

    def __getitem__(self, key):
        """reader[i]: frame i (as iteration numbers them; negative counts from the end).
        reader[a:b:step]: a list of frames."""
        if isinstance(key, slice):
            return self.get_frames(range(*key.indices(len(self))))
        cdef int64_t count = self._index().size()
        return self._frame_number(self._frame_number_of(key, count))

    def get_frames(self, indices, format=None):
        """The frames of these indices, in the order given (duplicates allowed: the same frame
        object again). Each stretch of the file is decoded once, in file order, and no decoded
        frame is held but the ones returned.

        With format (see VideoFrame.to_ndarray; width and height as the reader's): the frames
        converted into one array, (N, H, W, channels), (N, planes, H, W) or a tuple of such
        arrays, one per plane, as to_ndarray shapes them; each frame is converted straight into
        its place and dropped."""
        cdef int64_t count = self._index().size()
        numbers = [self._frame_number_of(index, count) for index in indices]
        if format is None:
            frames = {number: self._frame_number(number) for number in sorted(set(numbers))}
            return [frames[number] for number in numbers]
        _, width, height, _ = self._conversion
        width = self.width if width is None else width  # one size for all, even if the stream's changes
        height = self.height if height is None else height
        cdef _Conversion conversion = _Conversion.of(
            pixel_format_named(format.encode()), width, height,
            format == self.pix_fmt and width == self.width and height == self.height)
        batch = conversion.allocate((len(numbers),))
        places = {}
        for place, number in enumerate(numbers):
            places.setdefault(number, []).append(place)
        for number in sorted(places):
            first, *others = places[number]
            self._frame_number(number).to_ndarray(format, width=width, height=height,
                                                  out=conversion.item(batch, first))
            for place in others:
                for array in (batch if isinstance(batch, tuple) else (batch,)):
                    array[place] = array[first]
        return batch

    @property
    def keyframes(self):
        """The indices of the key frames (where decoding can start), from the frame index."""
        cdef const FrameIndex* index = self._index()
        return [number for number in range(index.size()) if index.key(number)]

    @property
    def frame_times(self):
        """Every frame's time in seconds (its ``frame.time``), from the frame index."""
        return list(self._frame_times())

    cdef list _frame_times(self):
        cdef const FrameIndex* index = self._index()
        cdef int64_t version = self._random.get().index_version()  # learned or cut short since?
        if self._times is None or self._times_version != version:
            self._times = [None if index.pts(number) == NO_TIMESTAMP else index.pts(number) * self._time_base_seconds
                           for number in range(index.size())]
            # For frame_at: the frames that have a time, by time. A prediction's are (they are its
            # order); a learned index's are iteration's best-effort timestamps, which need not rise.
            if index.learned():
                timed = sorted((time, number) for number, time in enumerate(self._times) if time is not None)
                self._times_sorted = [time for time, _ in timed]
                self._numbers_by_time = [number for _, number in timed]
            else:
                self._times_sorted = self._times
                self._numbers_by_time = None
            self._times_version = version
        return self._times

    def frame_at(self, seconds):
        """The frame on screen at this time: the last one whose time is at or before it.
        IndexError before the first frame's time and from the end of the last frame on (its
        duration from its packet, else from the stream's frame rate); ValueError for NaN, and for
        streams whose frames have no timestamps (raw elementary streams)."""
        return self._frame_number(self._frame_number_at(seconds))

    def frames_at(self, times):
        """frame_at() for many times, in the order given; decoded as get_frames() does."""
        return self.get_frames([self._frame_number_at(seconds) for seconds in times])

    cdef int64_t _frame_number_at(self, seconds) except -1:
        seconds = float(seconds)
        if seconds != seconds:
            raise ValueError(f"no frame at NaN seconds in {self.path!r}")
        frame_times = self._frame_times()
        cdef list times = self._times_sorted
        if frame_times and not times:
            raise ValueError(f"{self.path!r}: its frames have no timestamps, so none can be found by time; "
                             "use reader[i]")
        place = bisect.bisect_right(times, seconds) - 1
        if place < 0:
            first = f"{times[0]:.6g} s" if times else "none: the stream has no frames"
            raise errors.FrameNotFoundError(f"no frame at {seconds} s in {self.path!r}: the first frame is at {first}")
        number = place if self._numbers_by_time is None else self._numbers_by_time[place]
        if place == len(times) - 1 and seconds > times[place]:
            end = times[place] + self._frame_duration(number)
            if seconds >= end:
                raise errors.FrameNotFoundError(f"no frame at {seconds} s in {self.path!r}: the last frame ends at {end:.6g} s")
        return number

    cdef double _frame_duration(self, int64_t number) except? -1:
        """How long a frame is shown: its packet's duration, else one frame at the stream's rate
        (the average, else FFmpeg's guess), else 0 (the last frame is then shown at its time only)."""
        cdef const FrameIndex* index = self._index()
        if index.duration(number) > 0:
            return index.duration(number) * self._time_base_seconds
        fps = self.fps
        return 1 / fps if fps else 0

    @property
    def width(self):
        """Coded width in pixels, from the stream's parameters."""
        return self._info().width

    @property
    def height(self):
        return self._info().height

    @property
    def pix_fmt(self):
        """FFmpeg's name of the stream's pixel format, e.g. 'yuv420p' ('' if unknown)."""
        return _text(self._info().pixel_format)

    @property
    def codec(self):
        """The name of the FFmpeg decoder in use, e.g. 'h264', 'hevc', 'libdav1d'."""
        return _text(self._info().codec)

    @property
    def fps(self):
        """The stream's frame rate as a float: its average rate, else FFmpeg's guess from the
        container and codec (ffprobe's r_frame_rate), or None when neither tells."""
        cdef const StreamInfo* info = self._info()
        if info.fps_den:
            return <double>info.fps_num / info.fps_den
        return <double>info.rate_num / info.rate_den if info.rate_den else None

    @property
    def time_base(self):
        """The unit of frame.pts, in seconds, as a Fraction."""
        self._check_open()
        return self._time_base

    @property
    def duration(self):
        """The stream's duration in seconds (the file's when the stream has none), or None."""
        cdef double duration = self._info().duration
        return duration if duration >= 0 else None

    @property
    def frame_count(self):
        """The frame count the container's header gives, or None when it gives none."""
        cdef int64_t count = self._info().frame_count
        return count if count >= 0 else None

    @property
    def stream_index(self):
        """The index of the decoded stream among all the file's streams (ffprobe's index)."""
        return self._info().stream_index

    @property
    def video_stream_count(self):
        return self._info().video_stream_count

    @property
    def decode_errors(self):
        """How many packets or frames the decoder rejected as damaged in this iteration."""
        self._check_open()
        return self._decoder.get().decode_errors() if self._decoder else 0

    def __repr__(self):
        if self._closed:
            return f"<derenotes.VideoReader {self.path!r} closed>"
        return (f"<derenotes.VideoReader {self.path!r} {self.codec} {self.pix_fmt} "
                f"{self.width}x{self.height}>")


# ---------------------------------------------------------------------------------------------
# VideoFrame


cdef VideoFrame _wrap_frame(unique_ptr[Frame] frame, object time_base, double time_base_seconds,
                            tuple conversion):
    cdef VideoFrame out = VideoFrame.__new__(VideoFrame)
    out._frame = move(frame)
    out.time_base = time_base
    out._time_base_seconds = time_base_seconds
    out._conversion = conversion
    return out


@cython.freelist(16)
cdef class VideoFrame:
    """One decoded frame. It owns its own reference to FFmpeg's frame, so it and its planes
    stay valid however far the reader moves on, and after the reader is closed."""

    cdef unique_ptr[Frame] _frame
    cdef readonly object time_base
    cdef double _time_base_seconds
    cdef tuple _conversion  # the reader's defaults for to_ndarray()
    cdef Py_ssize_t _exports  # buffers of any of its planes exported and not yet released

    def __init__(self):
        raise TypeError("VideoFrame objects come from a VideoReader")

    @property
    def planes(self):
        """One buffer per data plane of the frame's pixel format (for palette formats the
        palette is the last plane)."""
        # Made anew on each access, not cached: a cached tuple would be a reference cycle
        # (frame -> plane -> frame), and the frame's memory would wait for the cyclic garbage
        # collector instead of returning to FFmpeg's pool as soon as the user lets go.
        cdef int count = self._frame.get().planes().size()
        return tuple([_make_plane(self, i) for i in range(count)])

    @property
    def arrays(self):
        """The planes as NumPy arrays, without copying: the same arrays as numpy.asarray(plane)
        for each of `planes`, made directly (NumPy's buffer-protocol path costs more per call
        than decoding a small frame). Read-only unless the frame is writable; together they
        count as one view for make_writable()."""
        if _ITEM_DTYPES is None:
            _import_numpy()
        cdef Frame* frame = self._frame.get()
        cdef Py_ssize_t count = frame.planes().size(), i
        cdef int flags = NPY_ARRAY_WRITEABLE if frame.is_writable() else 0
        cdef _FrameExport owner = _FrameExport.track(self)
        arrays = PyTuple_New(count)
        for i in range(count):
            array = _plane_array(frame, i, flags, owner)
            Py_INCREF(array)  # PyTuple_SET_ITEM takes this reference
            PyTuple_SET_ITEM(arrays, i, array)
        return arrays

    @property
    def width(self):
        return self._frame.get().width()

    @property
    def height(self):
        return self._frame.get().height()

    @property
    def pix_fmt(self):
        return _text(self._frame.get().pixel_format_name())

    @property
    def pts(self):
        """Presentation timestamp in time_base units (FFmpeg's best effort), or None."""
        cdef Frame* frame = self._frame.get()
        return frame.pts() if frame.has_pts() else None

    @property
    def time(self):
        """Presentation time in seconds (pts * time_base), or None."""
        cdef Frame* frame = self._frame.get()
        return frame.pts() * self._time_base_seconds if frame.has_pts() else None

    @property
    def index(self):
        """0-based position of the frame in presentation order."""
        return self._frame.get().index()

    @property
    def key_frame(self):
        return self._frame.get().key_frame()

    @property
    def pict_type(self):
        """'I', 'P', 'B', 'S', 'SI', ... as FFmpeg's single-letter code; '?' when unknown."""
        return chr(self._frame.get().picture_type())

    @property
    def corrupt(self):
        """True when FFmpeg flagged the frame as damaged, or the decoder rejected damaged
        input since the previous frame."""
        return self._frame.get().corrupt()

    @property
    def writable(self):
        """True when nothing but this frame uses its memory, so its planes may be written."""
        return self._frame.get().is_writable()

    def make_writable(self):
        """Gives the frame private memory (copying only if the decoder still uses it) so that
        its planes can be exported writable. Refused while any view of a plane exists."""
        if self._exports:
            raise BufferError(
                f"cannot make frame {self.index} writable while {self._exports} view(s) of its "
                "planes exist: release them first (del the arrays and memoryviews)")
        cdef Frame* frame = self._frame.get()
        with nogil:
            frame.make_writable()

    def to_ndarray(self, format=None, *, width=None, height=None, out=None, sws_flags=None):
        """The frame converted with libswscale, as the ffmpeg CLI converts it (``-pix_fmt
        format``, ``-vf scale=width:height``, ``-sws_flags``): the frame's colour matrix and
        range, bicubic scaling unless sws_flags says otherwise. Arguments left None take the
        reader's (VideoReader(format=, width=, height=, sws_flags=)), else rgb24 at the frame's size.

        format: any pixel format swscale produces, by FFmpeg's name; the frame's own format
            (pix_fmt) at its own size is a copy of its planes. Planes have the shapes and dtypes
            of VideoFrame.arrays (rows without padding), and come as:
            one plane (rgb24, bgra, gray, gray16le, rgb48le, yuyv422, ...): that array, e.g.
                rgb24 (H, W, 3) uint8, rgb48le (H, W, 3) uint16, gray (H, W) uint8;
            planes of one shape (yuv444p, gbrp, yuva444p16le): one array (planes, H, W);
            planes of different shapes (yuv420p, nv12, pal8): a tuple of arrays, one per plane.
        out: what to write into instead, as returned (a tuple for several shapes): arrays of
            that shape and dtype, items packed as in a C-contiguous array, rows (and planes)
            apart by at least their size. Checked before any work (ValueError).
        The GIL is released while converting.
        """
        default_format, default_width, default_height, default_flags = self._conversion
        format = default_format if format is None else format
        sws_flags = default_flags if sws_flags is None else sws_flags
        cdef Frame* frame = self._frame.get()
        if width is None:
            width = frame.width() if default_width is None else default_width
        if height is None:
            height = frame.height() if default_height is None else default_height
        cdef int pixel_format = pixel_format_named(format.encode())
        cdef int flags = scale_flags_named(sws_flags.encode())
        cdef _Conversion conversion = _Conversion.of(
            pixel_format, width, height,
            pixel_format == frame.pixel_format() and width == frame.width() and height == frame.height())
        if out is None:
            out = conversion.allocate(())
        cdef list planes = conversion.planes_of(out)
        cdef uint8_t* data[4]
        cdef int linesize[4]
        cdef int plane
        for plane in range(4):
            data[plane] = NULL
            linesize[plane] = 0
        for plane, array in zip(conversion.plane_indices, planes):
            data[plane] = <uint8_t*><size_t>array.ctypes.data
            linesize[plane] = array.strides[0]
        cdef int out_width = width, out_height = height
        with nogil:
            convert_frame(frame[0], pixel_format, out_width, out_height, flags, data, linesize)
        return out

    def __repr__(self):
        return (f"<derenotes.VideoFrame index={self.index} pts={self.pts} {self.pix_fmt} "
                f"{self.width}x{self.height} {self.pict_type}>")


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
            conversion.dtypes.append(_item_dtype(layout.format))
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


# ---------------------------------------------------------------------------------------------
# NumPy: imported on first use (VideoFrame.arrays), so that importing derenotes stays light.

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


# ---------------------------------------------------------------------------------------------
# _Plane: the buffer exporter


cdef _Plane _make_plane(VideoFrame frame, int index):
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
    base of the arrays of one VideoFrame.arrays. Keeps the frame alive and counts as one export
    on it while it lives."""

    cdef readonly VideoFrame frame

    @staticmethod
    cdef _FrameExport track(VideoFrame frame):
        cdef _FrameExport export = _FrameExport.__new__(_FrameExport)
        export.frame = frame
        frame._exports += 1
        return export

    def __dealloc__(self):
        if self.frame is not None:
            self.frame._exports -= 1


@cython.freelist(16)
cdef class _Plane:
    """One plane of a frame, exported through the buffer protocol with no copy.

    memoryview(plane), numpy.asarray(plane): the image-shaped view, (height, width) or
        (height, width, channels), row stride = linesize (negative for bottom-up frames), so
        row padding is excluded.
    numpy.frombuffer(plane, numpy.uint8): the plane's raw bytes from its lowest address,
        abs(linesize) * height of them, row padding included.
    Read-only unless the frame is writable (see VideoFrame.make_writable).
    """

    cdef readonly VideoFrame frame
    cdef readonly int index
    cdef const PlaneLayout* _layout  # owned by the frame's C++ object, which `frame` keeps
    cdef Py_ssize_t _shape[3]  # the exported view's shape and strides, which the view points to
    cdef Py_ssize_t _strides[3]

    def __init__(self):
        raise TypeError("_Plane objects come from VideoFrame.planes")

    @property
    def width(self):
        """Pixels per row of this plane (samples of its first component)."""
        return self._layout.width

    @property
    def height(self):
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
        return tuple(self._layout.shape[d] for d in range(self._layout.ndim))

    @property
    def format(self):
        """The item format of the image-shaped view, as the struct module spells it."""
        return _text(self._layout.format)

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
            view.format = <char*>layout.format.c_str() if flags & PyBUF_FORMAT else NULL
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


# ---------------------------------------------------------------------------------------------
# DLPack (_Plane.__dlpack__): the tensor describes the image-shaped view of the buffer protocol,
# with strides in items, and holds an export token as a buffer view does.

cdef extern from "derenotes/dlpack.h" nogil:
    ctypedef struct DLPackVersion:
        uint32_t major, minor
    ctypedef enum DLDeviceType:
        kDLCPU
    ctypedef struct DLDevice:
        DLDeviceType device_type
        int32_t device_id
    enum:
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


cdef char _NATIVE_ORDER = b'<' if sys.byteorder == "little" else b'>'


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
    cdef const string* format = &plane._layout.format
    cdef char order = format[0][0]
    cdef char code = format[0][format.size() - 1]
    if (order == b'<' or order == b'>') and order != _NATIVE_ORDER:
        raise BufferError(f"plane {plane.index} holds {_text(format[0])!r} items, not in this machine's byte "
                          "order, which DLPack cannot describe: use the buffer protocol (numpy.asarray)")
    cdef DLDataType dtype
    dtype.lanes = 1
    dtype.bits = 8 * plane._layout.itemsize
    if code in b"BHIQ":
        dtype.code = kDLUInt
    elif code in b"efd":
        dtype.code = kDLFloat
    else:
        raise BufferError(f"no DLPack type for item format {_text(format[0])!r}")
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
