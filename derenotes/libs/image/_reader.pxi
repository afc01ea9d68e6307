# Included by video.pyx: VideoReader, iteration and random access over the C++ Decoder and
# RandomAccess. The rules that need no speed (argument checks, frame numbers, times) are plain
# Python in derenotes/_indexing.py.

_INDEX_SOURCES = {"packets": IndexSource.Packets, "decode": IndexSource.Decoding}


cdef class VideoReader(_StreamReader):
    """VideoReader(source, *, stream=0, threads=None, max_pixels=DEFAULT_MAX_PIXELS, format=None, width=None, height=None, sws_flags=None, index='packets', allow_nested=False, allow_network=False, max_streams=DEFAULT_MAX_STREAMS, max_packets=DEFAULT_MAX_PACKETS, max_probe_bytes=DEFAULT_MAX_PROBE_BYTES, timeout=DEFAULT_TIMEOUT, max_nested_opens=DEFAULT_MAX_NESTED_OPENS, rotate=False)
--

    Decodes one video stream of a file, frame by frame, in presentation order.

    source: what to read (see docs/api.md, "Sources"):
        - a path, str or os.PathLike (a URL only with allow_network);
        - the file's bytes: bytes, bytearray, memoryview, mmap or any contiguous buffer, read where
          they are (no copy) and kept alive (a bytearray cannot be resized, an mmap not closed,
          while the reader or a decoder of it lives);
        - a binary file object with read(), and seek() when it can (io.BytesIO, open(..., "rb"),
          fsspec and pyarrow files): the reader calls them while it decodes, from the thread that
          uses the reader, and leaves the object open when it closes. An exception they raise
          reaches the caller as itself. A source that cannot seek (a pipe, seekable() false) is
          read once, from start to end: random access on it raises NotSeekableError.
    stream: which video stream, counted among the file's video streams only (like ffmpeg's
        ``-map 0:v:N``): 0 is the first video stream even when an audio stream comes first.
    threads: None (default) picks for the process: $OMP_NUM_THREADS when set (Ray sets it per
        task), else 1 in a worker process of multiprocessing (DataLoader workers: many
        processes each with many threads would fight for the cores), else FFmpeg's own count.
        0: FFmpeg picks the count (one per core, with frame and slice threading); N: exactly N.
    max_pixels: frames of more pixels than this are refused (LimitExceededError when the
        stream's header says so, a damaged frame when one grows mid-stream), so that a hostile
        header cannot make the decoder allocate gigabytes. The default, 8192 * 8192, admits 8K
        video; None leaves only FFmpeg's own limit (about 2**28 pixels).

    format, width, height, sws_flags, rotate: what frame.to_ndarray() converts to when not
        told (default rgb24 at the frame's size, bicubic, not turned); get_frames(indices,
        format=) uses them too. rotate=True shows frames as players do (see rotation).
    index: how random access learns where the frames are. "packets" (default): from the
        packets, without decoding, checked against every frame it decodes and learned by
        decoding the whole stream once where the check fails (the log says so). "decode":
        by decoding the whole stream once, first: exact whatever the file holds, at the cost
        of one full decode.
    max_streams: files of more streams than this are refused with LimitExceededError before
        FFmpeg probes them (each probed stream costs a decoder: 999 streams in 1 MB took 1.5 GB).
        The default, 128, admits any real film; None leaves FFmpeg's own limit (1000).
    max_packets: files whose index holds more packets than this are refused with
        LimitExceededError: an MP4's sample tables are counted before FFmpeg indexes them (a
        1 KB file listing 40 million samples took 2.8 GB), any other index as it is read. The
        default, 10,000,000, admits 24 hours at 60 fps with audio (a 2-hour 4K film at 60 fps
        has 432,000); None: no limit.
    max_probe_bytes: the bytes FFmpeg may read to find the streams' parameters (its
        ``probesize``; the format's probe reads no more than this either). The default,
        5,000,000, is FFmpeg's own; None leaves FFmpeg's defaults.
    allow_nested: whether the file may make the reader open other files or URLs: the entries of
        a playlist (HLS), a manifest (DASH) or a concat list. Off by default: such a file gets
        UnsafeInputError naming what it asked for, so that an upload cannot make a server read
        its other files. Turn it on only for files you trust.
    allow_network: whether a path with a scheme ("https://host/clip.mp4", "rtsp://...") is a URL
        FFmpeg opens. Off by default: every string is a file name ("tcp://host:1" and "pipe:0"
        too, which are then files that do not exist), so that a name from a stranger cannot make
        the reader connect anywhere or read stdin.
    timeout: seconds a call may wait without anything arriving before it raises
        derenotes.TimeoutError (a builtins.TimeoutError): connecting to a URL and each read from
        it, a FIFO or device whose writer stalls, a live playlist that is not reloaded. The
        default, 30, is generous for any network; None waits forever (close() from another
        thread or Ctrl-C still stop the wait).
    max_nested_opens: with allow_nested, the most other resources (playlist entries, segments)
        one step may open: opening the file, reading one packet or seeking. Past it,
        LimitExceededError: a master playlist that names itself once grew memory without end.
        The default, 1000, admits a master of hundreds of variants, and a playlist of any
        length (its segments open one at a time); None: no limit. Lists that name lists nest
        at most a few hundred deep whatever this says (a concat list naming itself once
        overflowed the stack): LimitExceededError too.

    Iterating yields every frame; each new ``for`` loop starts again from the first frame.
    Random access gives the same frames by their number or time, exactly: len(reader),
    reader[i], reader[a:b:step], get_frames(indices), frame_at(seconds), frames_at(times),
    keyframes, frame_times.
    A reader pickles (it is made again from its source where it is unpickled) and works in a
    child process after a fork (it opens new decoders there, iteration starting again).
    Use it as a context manager, or call close(); frames and their planes stay valid after.
    close() from another thread stops a call in progress (one waiting on a stalled stream, a
    long index build), which raises derenotes.CancelledError, and returns once it has.
    """

    cdef unique_ptr[RandomAccess] _random  # made on first random access
    cdef object _times  # _indexing.FrameTimes from the index, made on first use
    cdef int64_t _times_version  # the index's version _times was made from
    cdef IndexSource _index_source
    cdef readonly object max_pixels
    """The largest frame, in pixels, the reader decodes (None: FFmpeg's own limit)."""
    cdef tuple _conversion  # to_ndarray()'s defaults: (format, width, height, sws_flags, rotate, (rotation, flipped))

    def __cinit__(self, source, *, int stream=0, threads=None, max_pixels=DEFAULT_MAX_PIXELS, format=None,
                  width=None, height=None, sws_flags=None, index="packets", bint allow_nested=False,
                  bint allow_network=False, max_streams=DEFAULT_MAX_STREAMS, max_packets=DEFAULT_MAX_PACKETS,
                  max_probe_bytes=DEFAULT_MAX_PROBE_BYTES, timeout=DEFAULT_TIMEOUT,
                  max_nested_opens=DEFAULT_MAX_NESTED_OPENS, bint rotate=False):
        self._arguments = dict(stream=stream, threads=threads, max_pixels=max_pixels, format=format, width=width,
                               height=height, sws_flags=sws_flags, index=index, allow_nested=allow_nested,
                               allow_network=allow_network, max_streams=max_streams, max_packets=max_packets,
                               max_probe_bytes=max_probe_bytes, timeout=timeout, max_nested_opens=max_nested_opens,
                               rotate=rotate)
        _indexing.check_reader_arguments(index=index, width=width, height=height, max_pixels=max_pixels,
                                         max_streams=max_streams, max_packets=max_packets,
                                         max_probe_bytes=max_probe_bytes, timeout=timeout,
                                         max_nested_opens=max_nested_opens)
        self._index_source = _INDEX_SOURCES[index]
        self._conversion = (format or "rgb24", width, height, sws_flags or "")
        scale_flags_named(self._conversion[3].encode())  # a ValueError now, not at the first frame
        self.max_pixels = max_pixels
        self._set_up(source, AVMEDIA_TYPE_VIDEO, stream, _indexing.decoding_threads(threads), max_pixels or 0, allow_nested, allow_network,
                     max_streams, max_packets, max_probe_bytes, timeout, max_nested_opens)
        self._conversion += (rotate, _display_transform(self._stream_info))
        if format is not None and format != _text(self._stream_info.pixel_format):
            conversion_planes(pixel_format_named(format.encode()), 1, 1, False)  # an error now, not later

    cdef int _forget_decoders(self) except -1:
        _StreamReader._forget_decoders(self)
        self._random.release()
        self._times = None
        return 0

    def __dealloc__(self):
        if self._fork_count != _forks:
            self._random.release()  # see _StreamReader._forget_decoders

    cdef int _free_decoders(self) except -1:
        cdef unique_ptr[Decoder] decoder
        cdef unique_ptr[RandomAccess] random
        decoder.swap(self._decoder)
        random.swap(self._random)
        with nogil:
            decoder.reset()  # joins FFmpeg's threads: without the GIL, so they cannot wait on us
            random.reset()
        return 0

    def __next__(self):
        cdef unique_ptr[Frame] frame
        self._next_frame(&frame)
        if not frame:
            raise StopIteration
        return _wrap_frame(move(frame), self._time_base, self._time_base_seconds, self._conversion)

    # -----------------------------------------------------------------------------------------
    # Random access: frames by number (their place in iteration) and by time. A decoder of its
    # own, so that an iteration in progress goes on undisturbed: the reader's own if no frame
    # was taken from it yet (opening a second one would cost more than the index itself).

    cdef const FrameIndex* _index(self) except NULL:
        """The frame index, made on first use from the packets' descriptions, nothing decoded."""
        self._check_open()
        cdef shared_ptr[const Source] source = self._source
        cdef DecoderOptions options = self._options()
        cdef const FrameIndex* index
        cdef bint take_unused = self._decoder and not self._started
        cdef unique_ptr[Decoder] unused
        cdef IndexSource index_source = self._index_source
        if not self._random:
            require_seekable(source.get()[0], b"random access")  # before the unused decoder is given away
        self._claim()
        try:
            with nogil:
                if not self._random:
                    if take_unused:
                        unused = move(self._decoder)
                    self._random.reset(new RandomAccess(source, options, move(unused), index_source))
                index = &self._random.get().index()
        finally:
            _leave(&self._holder)
        return index

    cdef VideoFrame _frame_number(self, int64_t number):
        cdef unique_ptr[Frame] frame
        self._claim()
        try:
            with nogil:
                frame = self._random.get().frame(number)
        finally:
            _leave(&self._holder)
        return _wrap_frame(move(frame), self._time_base, self._time_base_seconds, self._conversion)

    def _random_access_statistics(self):
        """What random access did so far (for tests and benchmarks): seeks, earlier_keys,
        passes (decodes from the beginning), skipped (frames the decoder dropped, see get_frames)."""
        self._index()
        cdef const RandomAccessStatistics* done = &self._random.get().statistics()
        return {"seeks": done.seeks, "earlier_keys": done.earlier_keys, "passes": done.passes,
                "skipped": done.skipped}

    def __len__(self):
        """The number of frames iterating the reader gives, from the frame index."""
        return self._index().size()

    def __getitem__(self, key):
        """reader[i]: frame i (as iteration numbers them; negative counts from the end).
        reader[a:b:step]: a list of frames."""
        if isinstance(key, slice):
            return self.get_frames(_indexing.slice_numbers(key, len(self)))
        return self._frame_number(_indexing.frame_number(key, self._index().size(), self.name))

    def get_frames(self, indices, format=None, *, width=None, height=None):
        """The frames of these indices, in the order given (duplicates allowed: the same frame
        object again). Each stretch of the file is decoded once, in file order, and no decoded
        frame is held but the ones returned.

        With format (see VideoFrame.to_ndarray; width and height default to the reader's): the
        frames converted into one array, (N, H, W, channels), (N, planes, H, W) or a tuple of
        such arrays, one per plane, as to_ndarray shapes them; each frame is converted straight
        into its place and dropped."""
        if format is None and (width is not None or height is not None):
            raise ValueError("get_frames: width and height need a format (frames are only resized when converted)")
        _indexing.check_size(width, height)
        cdef int64_t count = self._index().size()
        numbers = [_indexing.frame_number(index, count, self.name) for index in indices]
        self._plan(numbers)  # on the way, the decoder may drop unreferenced frames not asked for
        try:
            return self._decode_frames(numbers, format, width, height)
        finally:
            if not self._closed and not self._holder:  # (else a stale plan: harmless, see plan())
                self._plan(())

    cdef int _plan(self, numbers) except -1:
        cdef vector[int64_t] wanted = numbers
        self._claim()
        try:
            self._random.get().plan(move(wanted))
        finally:
            _leave(&self._holder)
        return 0

    def _decode_frames(self, numbers, format, width, height):
        if format is None:
            frames = {number: self._frame_number(number) for number in sorted(set(numbers))}
            return [frames[number] for number in numbers]
        _, default_width, default_height, _, rotate, transform = self._conversion
        width = default_width if width is None else width
        height = default_height if height is None else height
        turned = rotate and _turns(transform)  # then width and height are the turned picture's
        width = (self.height if turned else self.width) if width is None else width  # one size for all
        height = (self.width if turned else self.height) if height is None else height
        cdef _Conversion conversion = _Conversion.of(
            pixel_format_named(format.encode()), width, height,
            format == self.pix_fmt and width == self.width and height == self.height)
        batch = conversion.allocate((len(numbers),))
        for number, (first, *others) in _indexing.places_by_frame(numbers).items():
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
        return list(self._frame_times().times)

    cdef object _frame_times(self):
        """The index's frame times as an _indexing.FrameTimes, made again when the index changed."""
        cdef const FrameIndex* index = self._index()
        cdef int64_t version = self._random.get().index_version()  # learned or cut short since?
        if self._times is None or self._times_version != version:
            times = [None if index.pts(number) == NO_TIMESTAMP else index.pts(number) * self._time_base_seconds
                     for number in range(index.size())]
            self._times = _indexing.FrameTimes(times, not index.learned(), self.name)
            self._times_version = version
        return self._times

    def frame_at(self, seconds):
        """The frame on screen at this time, in seconds: the last one whose time is at or before it.
        IndexError before the first frame's time and from the end of the last frame on (its
        duration from its packet, else from the stream's frame rate); ValueError for NaN, and for
        streams whose frames have no timestamps (raw elementary streams)."""
        return self._frame_number(self._frame_number_at(seconds))

    def frames_at(self, times, format=None, *, width=None, height=None):
        """frame_at() for many times, in the order given; decoded, and converted with format,
        as get_frames() does."""
        return self.get_frames([self._frame_number_at(seconds) for seconds in times], format, width=width,
                               height=height)

    def frame_indices_at(self, times):
        """The indices of the frames frames_at(times) gives, from the frame index, nothing
        decoded: for choosing frames by time before decoding them (derenotes.samplers does)."""
        return [self._frame_number_at(seconds) for seconds in times]

    cdef int64_t _frame_number_at(self, seconds) except -1:
        return self._frame_times().number_at(seconds, lambda number: self._frame_duration(number))

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
        """Coded height in pixels, from the stream's parameters."""
        return self._info().height

    @property
    def pix_fmt(self):
        """FFmpeg's name of the stream's pixel format, e.g. 'yuv420p' ('' if unknown)."""
        return _text(self._info().pixel_format)

    @property
    def fps(self):
        """The stream's frame rate as a float: its average rate, else FFmpeg's guess from the
        container and codec (ffprobe's r_frame_rate), or None when neither tells."""
        cdef const StreamInfo* info = self._info()
        if info.fps_den:
            return <double>info.fps_num / info.fps_den
        return <double>info.rate_num / info.rate_den if info.rate_den else None

    @property
    def rotation(self):
        """Degrees a player turns the picture clockwise (0, 90, 180, 270; others are rare), from
        the stream's display matrix (phones record upright video this way); 0 without one.
        ffprobe's "rotation" is the same angle counter-clockwise (-90 for 90)."""
        return self._info().description.rotation

    @property
    def flipped(self):
        """Whether the display matrix mirrors the picture (a player flips it top to bottom, then
        turns it by rotation; a left-right mirror is rotation 180, flipped)."""
        return self._info().description.flipped

    @property
    def sample_aspect_ratio(self):
        """The shape of a pixel, width / height, as a Fraction (1 for square pixels), or None."""
        cdef const StreamInfo* info = self._info()
        return _fraction(info.description.sar_num, info.description.sar_den)

    @property
    def color_range(self):
        """'tv' (limited) or 'pc' (full), FFmpeg's name; None when the stream does not say."""
        return _name(self._info().description.color_range)

    @property
    def color_space(self):
        """The YUV matrix, e.g. 'bt709', 'bt2020nc' (FFmpeg's name); None when not said."""
        return _name(self._info().description.color_space)

    @property
    def color_primaries(self):
        """The colour primaries, e.g. 'bt709', 'bt2020'; None when not said."""
        return _name(self._info().description.color_primaries)

    @property
    def color_transfer(self):
        """The transfer characteristic, e.g. 'bt709', or for HDR 'smpte2084' (PQ) and
        'arib-std-b67' (HLG); None when not said."""
        return _name(self._info().description.color_transfer)

    @property
    def field_order(self):
        """'progressive', or interlaced 'tt', 'bb', 'tb', 'bt' (FFmpeg's); None when not said."""
        return _name(self._info().description.field_order)

    @property
    def rotate(self):
        """Whether the frames' to_ndarray() and get_frames(format=) turn as players do by default."""
        self._check_open()
        return self._conversion[4]

    def __repr__(self):
        if self._closed:
            return f"<derenotes.VideoReader {_indexing.shown_name(self.name)} closed>"
        return (f"<derenotes.VideoReader {_indexing.shown_name(self.name)} {self.codec} {self.pix_fmt} "
                f"{self.width}x{self.height}>")


