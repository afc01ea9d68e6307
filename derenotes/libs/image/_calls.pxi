# Included by video.pyx. Every call into the C++ core passes through here: C++ errors become
# Python exceptions (raise_error), FFmpeg's log reaches the `derenotes` logger (forward_log),
# Ctrl-C reaches a decoder working without the GIL (_interrupted), and the one wrapper for calls
# that may block (_enter / _leave) keeps a second thread out and the log flowing.

# FFmpeg's AV_LOG_* levels.
cdef enum:
    AV_LOG_QUIET = -8
    AV_LOG_ERROR = 16
    AV_LOG_WARNING = 24
    AV_LOG_INFO = 32
    AV_LOG_DEBUG = 48

# logging's levels, fixed by its API: the module itself is imported only when FFmpeg has something
# to say, so that a process that logs nothing does not pay for it.
cdef enum:
    LOGGING_ERROR = 40
    LOGGING_WARNING = 30
    LOGGING_INFO = 20
    LOGGING_DEBUG = 10

cdef object _logger = None


cdef object _derenotes_logger():
    """The `derenotes` logger, with a NullHandler: a library stays quiet unless the application
    says otherwise."""
    global _logger
    if _logger is None:
        import logging
        logger = logging.getLogger("derenotes")
        logger.addHandler(logging.NullHandler())
        _logger = logger
    return _logger


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
    ErrorKind.Refused: errors.UnsafeInputError,
    ErrorKind.NotSeekable: errors.NotSeekableError,
    ErrorKind.Cancelled: errors.CancelledError,
    ErrorKind.TimedOut: errors.TimeoutError,
    ErrorKind.Other: errors.DerenotesError,
}


cdef str _text(const string& value):
    return value.decode("utf-8", "replace")


cdef int raise_error() except -1:
    """Raises the Python exception for the C++ exception being handled (see video.pxd): what a
    file object's call raised, if one did (it made the C++ call fail), else the error's own."""
    cdef ErrorInfo info = current_error_info()
    forward_log()
    pending = _take_callback_error()
    if pending is not None:
        _raise_callback_error(pending)
    if info.kind == ErrorKind.Interrupted:
        if PyErr_Occurred():
            return -1  # what the signal handler raised (KeyboardInterrupt for Ctrl-C)
        raise KeyboardInterrupt
    path = os.fsdecode(<bytes>info.path) if info.path.size() else None
    if path is not None and _indexing.is_description(path):
        path = None  # bytes or a file object: the message names it
    if info.kind == ErrorKind.Io and info.posix_errno:
        cls = _OS_ERRORS.get(info.posix_errno, errors.OpenError)
        error = cls(info.posix_errno, _text(info.detail), path)
    else:
        shown = _indexing.shown_name(os.fsdecode(<bytes>info.path)) if info.path.size() else None
        message = f"{shown}: {_text(info.detail)}" if shown is not None else _text(info.detail)
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
        logger = _derenotes_logger()
        for message in messages:
            logger.log(_python_level(message.level), "%s", _text(message.text))
        if dropped:
            logger.warning("%d FFmpeg log messages were dropped (too many at once)", dropped)
    except BaseException:
        pass  # logging must never break decoding


cdef int _python_level(int ffmpeg_level) noexcept:
    if ffmpeg_level <= AV_LOG_ERROR:
        return LOGGING_ERROR
    if ffmpeg_level <= AV_LOG_WARNING:
        return LOGGING_WARNING
    if ffmpeg_level <= AV_LOG_INFO:
        return LOGGING_INFO
    return LOGGING_DEBUG


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
    elif level >= LOGGING_ERROR:
        set_level(AV_LOG_ERROR)
    elif level >= LOGGING_WARNING:
        set_level(AV_LOG_WARNING)
    elif level >= LOGGING_INFO:
        set_level(AV_LOG_INFO)
    else:
        set_level(AV_LOG_DEBUG)


def get_log_level():
    """The `logging` level of the FFmpeg messages forwarded now (None when silenced)."""
    ffmpeg_level = level()
    return None if ffmpeg_level < 0 else _python_level(ffmpeg_level)


install(AV_LOG_WARNING)


def ffmpeg_versions():
    """The FFmpeg that derenotes loaded: {"ffmpeg": its release as its build names it ("7.1.5",
    Debian's "5.1.9-0+deb12u1"), "libavutil": "59.39.100", "libavcodec": ..., "libavformat":
    ..., "libswscale": ..., "libswresample": ...}."""
    versions = {"ffmpeg": ffmpeg_release().decode()}
    for library in library_versions():
        versions[library.name.decode()] = library.version.decode()
    return versions


def _least_lossy_format(source, candidates):
    """Of `candidates` (pixel format names), the one FFmpeg picks as losing least from `source`,
    as the CLI picks an encoder's format (the command line's PNG format)."""
    return least_lossy_format(source.encode(), [name.encode() for name in candidates]).decode()


# The wrapper for every call into C++ that may block. Cython has no cheaper way to wrap a nogil
# block than a try/finally around it (a context manager object would add two Python calls to
# every frame), so each call site reads:
#
#     _enter(&self._holder, self)    # or _enter(NULL, None) for objects any thread may use
#     try:
#         with nogil:
#             ...the C++ call...
#     finally:
#         _leave(&self._holder)      # or _leave(NULL)
#
# and everything else a call needs (the claim, the log, errors through raise_error) is here.
# The claim holds the claiming thread's ident (0: free), so that close() from another thread can
# tell that it must cancel the call and wait for it to leave.

cdef inline int _enter(unsigned long* holder, object owner) except -1:
    """Claims `owner` (a reader) for this thread while the GIL is released: FFmpeg's decoders are
    not thread-safe, so a second thread gets an error instead of corrupting the first's work."""
    if holder != NULL:
        if holder[0]:
            raise RuntimeError(f"{type(owner).__name__} {_indexing.shown_name(owner.name)} is in use by another thread; "
                               "use one reader per thread")
        holder[0] = PyThread_get_thread_ident()
    return 0


cdef inline int _leave(unsigned long* holder) except -1:
    """Ends a call begun with _enter: releases the claim, forwards what FFmpeg logged, and raises
    what a file object raised during a call that went on regardless (FFmpeg takes a failed read
    for the end of the file in places)."""
    if holder != NULL:
        holder[0] = 0
    forward_log()
    if _pending_callback_errors:
        pending = _take_callback_error()
        if pending is not None:
            _raise_callback_error(pending)
    return 0
