# Included by video.pyx: audio converted with libswresample into NumPy arrays of shape
# (channels, samples): AudioFrame.to_ndarray and AudioReader.read, which trims a stream to a time
# range sample for sample as the ffmpeg CLI does (`-ss`/`-t` after `-i`: in the output's samples).

# NumPy's dtype of each planar sample format's samples.
cdef dict _SAMPLE_DTYPES = {AV_SAMPLE_FMT_U8P: "uint8", AV_SAMPLE_FMT_S16P: "int16", AV_SAMPLE_FMT_S32P: "int32",
                            AV_SAMPLE_FMT_S64P: "int64", AV_SAMPLE_FMT_FLTP: "float32",
                            AV_SAMPLE_FMT_DBLP: "float64"}
# read() sizes its array from the container's duration, but at most this many bytes at first (a
# header cannot make it reserve more), growing as samples come. Memory the array reserves costs
# nothing until written (the system maps it lazily), and the unwritten end is cut off at the end.
cdef int64_t _FIRST_CAPACITY_BYTES = 1 << 30
cdef int64_t _UNKNOWN_DURATION_CAPACITY = 1 << 16  # samples per channel when the container has no duration


cdef AudioTarget _audio_target(format, sample_rate, channels, layout) except *:
    cdef AudioTarget target
    if not isinstance(format, str):
        raise TypeError(f"format must be a sample format's name such as 'flt' or 's16', not {format!r}")
    target.sample_format = sample_format_named(format.encode())
    target.sample_rate = _positive_or_zero("sample_rate", sample_rate)
    target.channels = _positive_or_zero("channels", channels)
    if layout is not None:
        if not isinstance(layout, str):
            raise TypeError(f"layout must be a channel layout's name such as 'stereo', not {layout!r}")
        target.layout = layout.encode()
    return target


cdef int _positive_or_zero(str name, value) except -1:
    """0 for None, else the positive int given (ValueError, TypeError otherwise)."""
    if value is None:
        return 0
    value = operator.index(value)
    if not 0 < value <= INT_MAX:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


cdef class _SampleMemory:
    """The memory of a (channels, samples) result: one PyMem_RawMalloc block (traced, like NumPy's
    own), grown and cut by realloc, which moves large blocks by remapping their pages rather than
    copying them. The array read() returns is made over it (its base) and frees it. (NumPy 2.5's
    ndarray.resize, which this used to rely on, copies: old and new held at once.)"""
    cdef uint8_t* data
    cdef Py_ssize_t nbytes

    def __dealloc__(self):
        PyMem_RawFree(self.data)

    def __getbuffer__(self, Py_buffer* view, int flags):
        PyBuffer_FillInfo(view, self, self.data, self.nbytes, 0, flags)

    def __releasebuffer__(self, Py_buffer* view):
        pass

    cdef int resize(self, Py_ssize_t nbytes) except -1:
        cdef void* moved = PyMem_RawRealloc(self.data, max(nbytes, 1))
        if moved == NULL:
            raise MemoryError(f"cannot hold {nbytes} bytes of samples")
        self.data = <uint8_t*>moved
        self.nbytes = nbytes
        return 0


cdef class _Samples:
    """A (channels, samples) array filled from an AudioConverter's output, grown as needed in
    place (realloc, rows moved), and cut to what was filled at the end, also in place: it never
    holds more than the result and its spare room."""
    cdef _SampleMemory memory
    cdef unique_ptr[Prefault] prefault  # maps the array's fresh pages ahead of the writes
    cdef int channels, item_bytes
    cdef int64_t capacity, filled
    cdef str dtype

    @staticmethod
    cdef _Samples of(AudioConverter* converter, int64_t capacity):
        """Room for `capacity` samples of the converter's output."""
        cdef _Samples samples = _Samples.__new__(_Samples)
        samples.channels = converter.channels()
        samples.item_bytes = converter.bytes_per_sample()
        samples.capacity = max(capacity, 1)
        samples.dtype = _SAMPLE_DTYPES[converter.sample_format()]
        samples.memory = _SampleMemory.__new__(_SampleMemory)
        samples.memory.resize(samples.channels * samples.capacity * samples.item_bytes)
        samples.prefault.reset(new Prefault(samples.memory.data, samples.memory.nbytes))
        return samples

    cdef inline uint8_t* _row(self, int64_t channel, int64_t capacity) noexcept:
        """Where a channel's row starts when the rows have room for `capacity` samples."""
        return self.memory.data + channel * capacity * self.item_bytes

    cdef int _reshape(self, int64_t capacity) except -1:
        """Gives the rows room for `capacity` samples, moving each row to its new place."""
        cdef int64_t old = self.capacity, channel
        cdef int64_t keep = min(self.filled, capacity) * self.item_bytes
        with nogil:
            self.prefault.reset()  # joined: the memory is about to move
        if capacity < old:  # rows move towards the start first, then the memory shrinks
            for channel in range(1, self.channels):
                memmove(self._row(channel, capacity), self._row(channel, old), keep)
        self.memory.resize(self.channels * capacity * self.item_bytes)
        if capacity > old:  # the memory grew: rows move towards the end, the last first
            for channel in range(self.channels - 1, 0, -1):
                memmove(self._row(channel, capacity), self._row(channel, old), keep)
        self.capacity = capacity
        return 0

    cdef int append(self, AudioConverter* converter, int first, int count) except -1:
        """Copies samples [first, first + count) of the converter's output."""
        cdef int channel
        if self.filled + count > self.capacity:
            self._reshape(max(self.filled + count, self.capacity + self.capacity // 2))
        cdef size_t offset = self.filled * self.item_bytes
        for channel in range(self.channels):
            memcpy(self._row(channel, self.capacity) + offset,
                   converter.plane(channel) + <size_t>first * self.item_bytes, <size_t>count * self.item_bytes)
        self.filled += count
        return 0

    cdef object result(self):
        """The array, over this memory (no copy); this object is done with."""
        import numpy
        with nogil:
            self.prefault.reset()
        if self.filled != self.capacity:
            self._reshape(self.filled)
        memory, self.memory = self.memory, None
        return numpy.ndarray((self.channels, self.filled), self.dtype, buffer=memory)  # its base: the memory


cdef class _AudioRead:
    """Where AudioReader.read left the stream, so that the next read of a later range goes on
    from there (the decoder and the resampler as they were) instead of starting again."""
    cdef unique_ptr[AudioConverter] converter
    cdef object key  # the conversion asked for: (format, sample_rate, channels, layout)
    cdef int64_t position  # the time of the converter's output sample `offset`, in output samples
    cdef int offset  # the first of the converter's output samples not yet returned
    cdef bint anchored  # position is known: a frame came since the start
    cdef bint ended  # the decoder is at the end, the resampler flushed
    cdef bint seeked  # the read began with a seek (which must land at or before its start)


cdef inline int64_t _sample_at(double seconds, int rate) noexcept:
    """The sample a time falls on, rounded to the nearest as FFmpeg rounds (-ss, -t, atrim)."""
    return <int64_t>floor(seconds * rate + 0.5)


cdef int _take(_AudioRead state, _Samples samples, int64_t first, int64_t end) except -1:
    """Appends what of the converter's output (from state.offset) falls in [first, end), and
    moves past it; stops at `end`, the rest kept for the next read."""
    cdef AudioConverter* converter = state.converter.get()
    cdef int available = converter.samples() - state.offset
    cdef int64_t begin = max(state.position, first)
    cdef int64_t stop = min(state.position + available, end)
    if stop > begin:
        samples.append(converter, state.offset + <int>(begin - state.position), <int>(stop - begin))
    cdef int64_t passed = max(min(state.position + available, end) - state.position, 0)
    state.offset += <int>passed
    state.position += passed
    if state.offset == converter.samples():
        converter.clear_output()
        state.offset = 0
    return 0


cdef object _seconds_or_none(str name, value):
    """None, or `value` as a float of seconds (TypeError, ValueError when it is no time)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or value is True or value is False or not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a number of seconds or None, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
    return seconds


cdef object _no_samples(AudioConverter* converter, int stream_channels):
    """The (channels, 0) array of a read that found no samples: the channels asked for, else
    the stream's."""
    import numpy
    return numpy.empty((converter.channels() or stream_channels, 0), _SAMPLE_DTYPES[converter.sample_format()])

