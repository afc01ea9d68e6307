# Included by video.pyx: AudioReader, one audio stream of a source decoded frame by frame, and
# AudioFrame, whose planes are the decoder's samples exported as they are (no copy), through the
# same _Plane as video planes.


cdef AudioFrame _wrap_audio_frame(unique_ptr[Frame] frame, object time_base, double time_base_seconds):
    cdef AudioFrame out = AudioFrame.__new__(AudioFrame)
    out._frame = move(frame)
    out.time_base = time_base
    out._time_base_seconds = time_base_seconds
    return out


cdef class AudioFrame(_Frame):
    """AudioFrame()
--

    One decoded frame of audio, made by an AudioReader. Its planes are the decoder's own memory:
    for planar sample formats (fltp, s16p, ...) one per channel, numpy.asarray giving (samples,);
    for packed ones (s16, flt, ...) one plane of all channels, (samples, channels). Like video
    frames, it and its planes stay valid however far the reader moves on."""

    @property
    def samples(self):
        """Samples per channel in this frame."""
        return self._frame.get().samples()

    @property
    def sample_rate(self):
        """Samples per second."""
        return self._frame.get().sample_rate()

    @property
    def channels(self):
        """How many channels the frame has."""
        return self._frame.get().channels()

    @property
    def layout(self):
        """FFmpeg's name of the channel layout, e.g. 'mono', 'stereo', '5.1(side)'."""
        return _text(self._frame.get().channel_layout_name())

    @property
    def format(self):
        """FFmpeg's name of the sample format, e.g. 'fltp', 's16'."""
        return _text(self._frame.get().sample_format_name())

    def to_ndarray(self, format="flt", *, sample_rate=None, channels=None, layout=None):
        """The frame's samples converted with libswresample, as the ffmpeg CLI converts them
        (``-sample_fmt``, ``-ar``, ``-ac``/``-ch_layout``), in a new array of shape
        (channels, samples).

        format: the samples' format, by FFmpeg's name (u8, s16, s32, s64, flt, dbl; the planar
            forms u8p ... dblp mean the same here) or NumPy's (uint8, int16, int32, int64,
            float32, float64). Default float32.
        sample_rate: resample to this rate; the frame is resampled on its own, as if it were
            the whole stream (AudioReader.read resamples a stream as one). Default the frame's.
        channels, layout: remix to this many channels (FFmpeg's default layout for the count)
            or this layout by name ('mono', 'stereo', '5.1'); default the frame's.
        The GIL is released while converting.
        """
        cdef unique_ptr[AudioConverter] converter
        converter.reset(new AudioConverter(_audio_target(format, sample_rate, channels, layout)))
        with nogil:
            converter.get().convert(self._frame.get()[0])
            converter.get().flush()
        cdef _Samples samples = _Samples.of(converter.get(), converter.get().samples())
        samples.append(converter.get(), 0, converter.get().samples())
        return samples.result()

    def __repr__(self):
        return (f"<derenotes.AudioFrame index={self.index} pts={self.pts} {self.format} {self.layout} "
                f"{self.samples} samples at {self.sample_rate} Hz>")


cdef class AudioReader(_StreamReader):
    """AudioReader(source, *, stream=0, allow_nested=False, allow_network=False, max_streams=DEFAULT_MAX_STREAMS, max_packets=DEFAULT_MAX_PACKETS, max_probe_bytes=DEFAULT_MAX_PROBE_BYTES, timeout=DEFAULT_TIMEOUT, max_nested_opens=DEFAULT_MAX_NESTED_OPENS)
--

    Decodes one audio stream of a source, frame by frame, in order.

    source: a path, the file's bytes or a binary file object, as for VideoReader.
    stream: which audio stream, counted among the file's audio streams only (like ffmpeg's
        ``-map 0:a:N``).
    The other options are VideoReader's, with the same defaults and meaning.

    Iterating yields every frame (AudioFrame); each new ``for`` loop starts again from the first.
    Use it as a context manager, or call close(); frames and their planes stay valid after.
    """

    def __cinit__(self, source, *, int stream=0, bint allow_nested=False, bint allow_network=False,
                  max_streams=DEFAULT_MAX_STREAMS, max_packets=DEFAULT_MAX_PACKETS,
                  max_probe_bytes=DEFAULT_MAX_PROBE_BYTES, timeout=DEFAULT_TIMEOUT,
                  max_nested_opens=DEFAULT_MAX_NESTED_OPENS):
        _indexing.check_reader_arguments(index="packets", width=None, height=None, max_pixels=None,
                                         max_streams=max_streams, max_packets=max_packets,
                                         max_probe_bytes=max_probe_bytes, timeout=timeout,
                                         max_nested_opens=max_nested_opens)
        self._arguments = dict(stream=stream, allow_nested=allow_nested, allow_network=allow_network,
                               max_streams=max_streams, max_packets=max_packets, max_probe_bytes=max_probe_bytes,
                               timeout=timeout, max_nested_opens=max_nested_opens)
        self._set_up(source, AVMEDIA_TYPE_AUDIO, stream, 1, 0, allow_nested, allow_network, max_streams,
                     max_packets, max_probe_bytes, timeout, max_nested_opens)

    cdef _AudioRead _read_state  # where read() stopped, for the next read to go on; None: start again

    def __iter__(self):
        self._read_state = None
        return _StreamReader.__iter__(self)

    cdef int _forget_decoders(self) except -1:
        _StreamReader._forget_decoders(self)
        self._read_state = None  # its place was the parent's decoder's
        return 0

    def __next__(self):
        cdef unique_ptr[Frame] frame
        self._read_state = None
        self._next_frame(&frame)
        if not frame:
            raise StopIteration
        return _wrap_audio_frame(move(frame), self._time_base, self._time_base_seconds)

    def read(self, start=None, stop=None, *, format="flt", sample_rate=None, channels=None, layout=None):
        """The stream's samples from `start` to `stop` (seconds; None: its beginning, its end) as
        one new array of shape (channels, samples), converted as AudioFrame.to_ndarray converts
        (format, sample_rate, channels, layout; default float32), the stream resampled as one.

        Sample-exact, and equal to the ffmpeg CLI's output for ``-ss start -t (stop - start)``
        after ``-i``: the samples kept are those at output sample positions from
        round(start * rate) up to, not including, round(stop * rate), on the timeline of
        frame.time (the decoder's own, after the priming samples it drops). A read of a range at
        or after where the previous read with the same conversion stopped goes on from there;
        otherwise the stream is decoded again from its beginning, except for lossless codecs
        (PCM, FLAC, ALAC ...) read without resampling, which seek: that way every result is the
        one decoding the whole stream gives. Holds nothing but its result, which it sizes from
        the container's duration and grows in place. The GIL is released while decoding.
        """
        start_seconds = _seconds_or_none("start", start)
        stop_seconds = _seconds_or_none("stop", stop)
        if start_seconds is not None and stop_seconds is not None and stop_seconds < start_seconds:
            raise ValueError(f"stop ({stop}) is before start ({start})")
        cdef AudioTarget target = _audio_target(format, sample_rate, channels, layout)
        key = (format, sample_rate, channels, layout)
        self._check_open()
        cdef _AudioRead state = self._read_state
        self._read_state = None  # set again once this read has ended well
        if (state is None or state.key != key or start_seconds is None or not state.anchored
                or _sample_at(start_seconds, state.converter.get().sample_rate()) < state.position):
            state = self._start_reading(target, key, start_seconds)
        result = self._read_into(state, start_seconds, stop_seconds)
        if result is None:  # a seek landed past `start`: decode from the beginning instead
            state = self._start_reading(target, key, None)
            result = self._read_into(state, start_seconds, stop_seconds)
        self._read_state = state
        return result

    cdef _AudioRead _start_reading(self, AudioTarget target, key, start_seconds):
        """A new read from the stream's beginning, or from a seek before `start_seconds` when
        seeking gives the same samples: a lossless codec whose frames stand alone, converted
        without resampling (which has memory)."""
        cdef _AudioRead state = _AudioRead.__new__(_AudioRead)
        cdef int64_t time
        state.key = key
        state.converter.reset(new AudioConverter(target))
        if self._started or not self._decoder:
            self._open()  # a source that cannot seek says so here, on a second pass
        cdef const StreamInfo* info = self._info()
        # And timestamps as fine as the samples: coarser ones (Matroska's milliseconds) are
        # rounded, and where a frame starts then depends on the frames before it.
        if (start_seconds is not None and info.lossless and info.intra_only and self._source.get().seekable()
                and target.sample_rate in (0, info.description.sample_rate)
                and <int64_t>info.time_base_num * info.description.sample_rate <= info.time_base_den):
            time = math.floor(Fraction(start_seconds) / self._time_base)
            self._claim()
            self._started = True
            try:
                with nogil:
                    state.seeked = self._decoder.get().seek(time).has_value()
            finally:
                _leave(&self._holder)
            if not state.seeked:  # past the end, as far as the demuxer knows: from the beginning
                self._open()
        return state

    cdef object _read_into(self, _AudioRead state, start_seconds, stop_seconds):
        """Decodes and converts until `stop`, into a new array; None when the read seeked and
        landed past `start`."""
        cdef Decoder* decoder = self._iteration_decoder()
        cdef AudioConverter* converter = state.converter.get()
        cdef unique_ptr[Frame] frame
        cdef _Samples samples = None
        cdef int64_t first = INT64_MIN, end = INT64_MAX
        cdef int rate
        cdef AVRational time_base
        time_base.num, time_base.den = self._stream_info.time_base_num, self._stream_info.time_base_den
        self._started = True
        self._claim()  # for the whole read: another thread's call in between would take its frames
        try:
            while True:
                if state.anchored:
                    if samples is None:
                        rate = converter.sample_rate()
                        if start_seconds is not None:
                            first = _sample_at(start_seconds, rate)
                        if stop_seconds is not None:
                            end = _sample_at(stop_seconds, rate)
                        if state.seeked and state.position > first:
                            return None
                        samples = _Samples.of(converter, self._expected_samples(state, first, end))
                    _take(state, samples, first, end)
                    if state.ended or state.position >= end:
                        break
                with nogil:
                    frame = decoder.next()
                if not frame:
                    if not converter.started():
                        break  # no frames at all
                    with nogil:
                        converter.flush()
                    state.ended = True
                    continue
                with nogil:
                    converter.convert(frame.get()[0], time_base)
                if converter.position() != NO_TIMESTAMP:  # else the samples follow those before
                    state.position = converter.position()
                state.anchored = True  # (the frame lives on until the next: the output may be its planes)
        finally:
            _leave(&self._holder)
        converter.keep_passed_through()  # what the next read may take outlives the frame
        if samples is None:
            return _no_samples(converter, self._stream_info.description.channels)
        return samples.result()

    cdef int64_t _expected_samples(self, _AudioRead state, int64_t first, int64_t end):
        """The samples a read will likely give, from the container's duration (without one, a
        guess), at most _FIRST_CAPACITY_BYTES of them (the array grows if there are more, and
        is cut if fewer)."""
        cdef const StreamInfo* info = &self._stream_info
        cdef int rate = state.converter.get().sample_rate()
        cdef int64_t stream_end = max(first, state.position) + _UNKNOWN_DURATION_CAPACITY
        if info.duration >= 0:
            stream_end = _sample_at(info.start_time + info.duration, rate) + 4096  # some slack: durations round
        cdef int64_t expected = min(end, stream_end) - max(first, state.position)
        cdef int64_t sample_bytes = state.converter.get().channels() * state.converter.get().bytes_per_sample()
        return min(max(expected, 1), _FIRST_CAPACITY_BYTES // sample_bytes)

    @property
    def sample_rate(self):
        """Samples per second, from the stream's parameters."""
        return self._info().description.sample_rate

    @property
    def channels(self):
        """How many channels, from the stream's parameters."""
        return self._info().description.channels

    @property
    def layout(self):
        """FFmpeg's name of the stream's channel layout, e.g. 'stereo' ('' if unknown)."""
        return _text(self._info().description.channel_layout)

    @property
    def sample_format(self):
        """FFmpeg's name of the decoder's sample format, e.g. 'fltp' ('' if unknown)."""
        return _text(self._info().description.sample_format)

    def __repr__(self):
        if self._closed:
            return f"<derenotes.AudioReader {_indexing.shown_name(self.name)} closed>"
        return (f"<derenotes.AudioReader {_indexing.shown_name(self.name)} {self.codec} {self.sample_format} "
                f"{self.layout} {self.sample_rate} Hz>")
