# Included by video.pyx: what every reader of one stream shares (VideoReader, AudioReader): the
# source, the options, the iteration decoder, the claim that keeps a second thread out, close()
# (also from another thread, which cancels the call in progress) and the stream's description.


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
    """Decoding threads asked for (0: FFmpeg's automatic count)."""
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

    cdef int _set_up(self, source, AVMediaType media, int stream, int threads, int64_t max_pixels,
                     bint allow_nested, bint allow_network, max_streams, max_packets, max_probe_bytes, timeout,
                     max_nested_opens) except -1:
        """Makes the source and the decoder options (the arguments are checked), and opens."""
        # (FFmpeg's URL timeouts are microseconds in an int64: anything past 30 years is forever.)
        self._source = _make_source(source, allow_network, <int64_t>(min(timeout or 0, 1e9) * 1e6))
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
        return 0

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
    def decode_errors(self):
        """How many packets or frames the decoder rejected as damaged in this iteration."""
        self._check_open()
        return self._decoder.get().decode_errors() if self._decoder else 0

