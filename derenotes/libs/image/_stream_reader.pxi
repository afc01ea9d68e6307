# Included by video.pyx: what every reader of one stream shares (VideoReader, AudioReader): the
# source, the options, the iteration decoder, the claim that keeps a second thread out, close()
# (also from another thread, which cancels the call in progress), the stream's description, and
# life across processes (pickling, fork).


# Fork: a child process has none of FFmpeg's decoding threads, and a file FFmpeg opened shares its
# offset with the parent's. A reader first used in a child (it compares the fork count it was
# opened under with this one) lets go of its decoders without freeing them (freeing joins threads
# that do not exist there: the call never returns) and opens new ones from its source.
cdef unsigned long _forks = 0


def _count_fork():
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_count_fork)


def _reopened(cls, source, arguments):
    """What unpickling a reader calls: a new reader of the same source with the same arguments."""
    return cls(source, **arguments)


def _file_descriptor(source):
    """The OS file descriptor under a file object source (open(path, "rb")), or None."""
    if isinstance(source, (str, os.PathLike)) or PyObject_CheckBuffer(source):
        return None
    try:
        return source.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None


cdef class _StreamReader:
    """_StreamReader()
--

    The part of a reader common to video and audio; not made directly."""

    cdef unique_ptr[Decoder] _decoder  # iteration's; empty after random access took it unused
    cdef StreamInfo _stream_info  # copied at open: the reader keeps it whoever has the decoder
    cdef bint _closed
    cdef shared_ptr[const Source] _source  # what every decoder of the reader reads, made once
    cdef DecoderOptions _decoder_options  # made once by _set_up
    cdef readonly object path
    """The path the reader was opened with, as os.fspath gave it (str or bytes); None for bytes and
    file objects."""
    cdef readonly str name
    """The source as messages name it, its path or else a description such as "<bytes, 1.2 MB>"
    or "<BufferedReader 'clip.mp4'>"."""
    cdef readonly int stream
    """Which stream is decoded, counted among the file's streams of its kind (video or audio)."""
    cdef readonly int threads
    """The decoding threads asked of FFmpeg (0: FFmpeg's own count), as threads=None chose them
    in this process."""
    cdef readonly object max_streams
    """The most streams a file may have (None: FFmpeg's own limit, 1000)."""
    cdef readonly object max_packets
    """The most packets a file's index may hold (None: no limit)."""
    cdef readonly object max_probe_bytes
    """The bytes FFmpeg may read to find the streams' parameters (None: FFmpeg's default)."""
    cdef readonly bint allow_nested
    """Whether the file may make the reader open other files or URLs (playlists, concat lists)."""
    cdef readonly bint allow_network
    """Whether a path with a scheme ("https://...") is a URL; otherwise every string is a path."""
    cdef readonly object timeout
    """Seconds a call may wait without anything arriving (None: forever)."""
    cdef readonly object max_nested_opens
    """With allow_nested, the most other resources one step may open (None: no limit)."""
    cdef shared_ptr[CancelFlag] _cancel  # set by close() from another thread: stops every decoder of the reader
    cdef object _time_base
    cdef double _time_base_seconds
    cdef bint _started  # frames were taken: a new iteration must start from the top
    cdef unsigned long _holder  # the thread inside the decoder with the GIL released (its ident), 0: none
    cdef unsigned long _fork_count  # _forks when the decoders were made: another value means a child process
    cdef object _source_object  # what the reader was given, which pickling hands on
    cdef dict _arguments  # the keyword arguments it was given, which pickling hands on

    cdef int _set_up(self, source, AVMediaType media, int stream, int threads, int64_t max_pixels,
                     bint allow_nested, bint allow_network, max_streams, max_packets, max_probe_bytes, timeout,
                     max_nested_opens) except -1:
        """Makes the source and the decoder options (the arguments are checked), and opens."""
        # (FFmpeg's URL timeouts are microseconds in an int64: anything past 30 years is forever.)
        self._source = _make_source(source, allow_network, <int64_t>(min(timeout or 0, 1e9) * 1e6))
        self._source_object = source
        self._fork_count = _forks
        self.path = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
        self.name = os.fsdecode(self.path) if self.path is not None else _text(self._source.get().name())
        self._cancel = make_shared[CancelFlag]()
        self.stream = stream
        self.threads = threads
        self.max_streams = max_streams
        self.max_packets = max_packets
        self.max_probe_bytes = max_probe_bytes
        self.allow_nested = allow_nested
        self.allow_network = allow_network
        self.timeout = timeout
        self.max_nested_opens = max_nested_opens
        cdef DecoderOptions* options = &self._decoder_options
        options.media = media
        options.stream = stream
        options.threads = threads
        options.max_pixels = max_pixels
        options.max_streams = max_streams or 0
        options.max_packets = max_packets or 0
        options.max_probe_bytes = max_probe_bytes or 0
        options.interrupted = _interrupted
        options.allow_nested = allow_nested
        options.cancel = self._cancel
        options.timeout = timeout or 0
        options.max_nested_opens = max_nested_opens or 0
        self._open()
        cdef const StreamInfo* info = &self._stream_info
        self._time_base = Fraction(info.time_base_num, info.time_base_den)
        self._time_base_seconds = <double>info.time_base_num / info.time_base_den
        return 0

    cdef DecoderOptions _options(self):
        return self._decoder_options

    cdef _open(self):
        cdef shared_ptr[const Source] source = self._source
        cdef DecoderOptions options = self._options()
        cdef unique_ptr[Decoder] decoder
        self._claim()
        try:
            with nogil:
                decoder.reset(new Decoder(source, options))
                decoder.swap(self._decoder)
                decoder.reset()  # the previous decoder, if any
        finally:
            _leave(&self._holder)
        self._stream_info = self._decoder.get().info()
        self._started = False

    cdef inline int _claim(self) except -1:
        """_enter for this reader, which must still be open: close() from another thread may have
        come between this call's own check and its claim."""
        _enter(&self._holder, self)
        if self._closed:
            _leave(&self._holder)
            self._check_open()
        return 0

    cdef inline int _check_open(self) except -1:
        if self._closed:
            raise ValueError(f"I/O operation on a closed {type(self).__name__} ({_indexing.shown_name(self.name)})")
        if self._fork_count != _forks:
            self._start_over_in_child()
        return 0

    cdef int _start_over_in_child(self) except -1:
        """In a child process: forgets the parent's decoders, to open new ones on first use.
        Iteration starts again from the first frame."""
        if _file_descriptor(self._source_object) is not None:
            raise RuntimeError(f"{type(self).__name__} {_indexing.shown_name(self.name)} was made before a fork, on a "
                               "file object over an open file, whose offset the parent and the child share: "
                               "give the reader the path, or make it in the child")
        self._forget_decoders()
        if self._arguments.get("threads", 0) is None:  # chosen for the process: the child is another
            self.threads = self._decoder_options.threads = _indexing.decoding_threads(None)
        self._holder = 0  # whichever thread held the reader is not in this process
        self._started = False
        self._fork_count = _forks
        return 0

    cdef int _forget_decoders(self) except -1:
        """Lets go of every decoder without freeing it (subclasses with more let go of theirs
        too): after a fork, their threads are the parent's."""
        self._decoder.release()
        return 0

    def __dealloc__(self):
        if self._fork_count != _forks:
            self._decoder.release()  # a subclass's own are let go by its own __dealloc__, which runs first

    def __reduce__(self):
        """Pickling: the reader is made again, from its source and arguments, where it is unpickled
        (a path, bytes as themselves, other buffers as their bytes, a file object if it pickles)."""
        self._check_open()
        source = self._source_object
        if _file_descriptor(source) is not None:
            raise TypeError(f"cannot pickle {type(self).__name__} {_indexing.shown_name(self.name)}: it reads a file "
                            "object over an open file; give the reader the path")
        if PyObject_CheckBuffer(source) and not isinstance(source, (bytes, bytearray)):
            source = memoryview(source).tobytes()  # memoryview and mmap do not pickle
        return _reopened, (type(self), source, self._arguments)

    cdef Decoder* _iteration_decoder(self) except NULL:
        """The decoder iteration uses, opened anew if random access took the first one."""
        self._check_open()
        if not self._decoder:
            self._open()
        return self._decoder.get()

    cdef int _next_frame(self, unique_ptr[Frame]* frame) except -1:
        """The iteration decoder's next frame into `frame` (empty at the end)."""
        cdef Decoder* decoder = self._iteration_decoder()
        cdef unique_ptr[Frame] decoded
        self._claim()
        self._started = True
        try:
            with nogil:
                decoded = decoder.next()
        finally:
            _leave(&self._holder)
        frame[0].swap(decoded)
        return 0

    cdef int _free_decoders(self) except -1:
        """Frees every decoder of the reader (subclasses with more free theirs too)."""
        cdef unique_ptr[Decoder] decoder
        decoder.swap(self._decoder)
        with nogil:
            decoder.reset()  # joins FFmpeg's threads: without the GIL, so they cannot wait on us
        return 0

    def close(self):
        """Closes the file and frees the decoder; frames already taken stay valid. Idempotent.
        From another thread while a call is in progress: that call raises CancelledError, and
        close() returns once it has."""
        if self._fork_count != _forks:
            self._forget_decoders()  # the parent's: freeing them here would wait on threads that do not exist
            self._holder = 0
        if self._holder and self._holder != PyThread_get_thread_ident():
            self._closed = True  # the holder's next call, and everyone's, sees a closed reader
            self._cancel_call_in_progress()
        _enter(&self._holder, self)
        try:
            self._closed = True
            self._free_decoders()
        finally:
            _leave(&self._holder)

    cdef int _cancel_call_in_progress(self) except -1:
        """Stops another thread's call into the decoder and waits, without the GIL, until it has
        left: its decoder stops at its next interrupt check (FFmpeg's I/O asks every read and
        every 100 ms of waiting, FIFOs every 20 ms)."""
        cdef unsigned long me = PyThread_get_thread_ident()
        self._cancel.get().cancel()
        while self._holder and self._holder != me:
            with nogil:
                usleep(1000)
        return 0

    @property
    def closed(self):
        """True once close() was called (or the with block ended)."""
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

    cdef const StreamInfo* _info(self) except NULL:
        self._check_open()
        return &self._stream_info

    @property
    def codec(self):
        """The name of the FFmpeg decoder in use, e.g. 'h264', 'libdav1d', 'aac'."""
        return _text(self._info().codec)

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
    def stream_index(self):
        """The index of the decoded stream among all the file's streams (ffprobe's index)."""
        return self._info().stream_index

    @property
    def frame_count(self):
        """The frame count the container's header gives (ffprobe's nb_frames; for audio, usually
        its packets), or None when it gives none."""
        cdef int64_t count = self._info().frame_count
        return count if count >= 0 else None

    @property
    def video_stream_count(self):
        """How many video streams the file has."""
        return self._info().video_stream_count

    @property
    def audio_stream_count(self):
        """How many audio streams the file has."""
        return self._info().audio_stream_count

    @property
    def decode_errors(self):
        """How many packets or frames the decoder rejected as damaged in this iteration."""
        self._check_open()
        return self._decoder.get().decode_errors() if self._decoder else 0

    @property
    def ffmpeg_errors(self):
        """FFmpeg's error lines about this reader's file and stream in this iteration (since the
        file was opened), whatever the log level: what `ffmpeg -v error` prints of them, as the
        `derenotes` logger has them ("[matroska,webm] File ended prematurely ..."). At most 100."""
        self._check_open()
        if not self._decoder:
            return ()
        cdef vector[string] lines = self._decoder.get().logged_errors()
        return tuple(_text(line) for line in lines)

