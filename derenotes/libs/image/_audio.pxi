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
        self._set_up(source, AVMEDIA_TYPE_AUDIO, stream, 1, 0, allow_nested, allow_network, max_streams,
                     max_packets, max_probe_bytes, timeout, max_nested_opens)

    def __next__(self):
        cdef unique_ptr[Frame] frame
        self._next_frame(&frame)
        if not frame:
            raise StopIteration
        return _wrap_audio_frame(move(frame), self._time_base, self._time_base_seconds)

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

    @property
    def audio_stream_count(self):
        """How many audio streams the file has."""
        return self._info().stream_count

    def __repr__(self):
        if self._closed:
            return f"<derenotes.AudioReader {_indexing.shown_name(self.name)} closed>"
        return (f"<derenotes.AudioReader {_indexing.shown_name(self.name)} {self.codec} {self.sample_format} "
                f"{self.layout} {self.sample_rate} Hz>")
