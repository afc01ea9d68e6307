# Included by video.pyx: VideoFrame, one decoded frame, and its conversion with libswscale
# (to_ndarray; the arrays it makes are shaped in _conversion.pxi).

cdef VideoFrame _wrap_frame(unique_ptr[Frame] frame, object time_base, double time_base_seconds,
                            tuple conversion):
    cdef VideoFrame out = VideoFrame.__new__(VideoFrame)
    out._frame = move(frame)
    out.time_base = time_base
    out._time_base_seconds = time_base_seconds
    out._conversion = conversion
    return out


# One freelist for both kinds: Cython keeps spare objects only for the base type, and reuses them
# for a subtype of the same size, so every field lives here (a frame is made per decoded frame).
@cython.freelist(16)
cdef class _Frame:
    """_Frame()
--

    What video and audio frames share: the C++ frame (its own reference to FFmpeg's frame, so
    that it and its planes stay valid however far the reader moves on, and after the reader is
    closed), its planes, times and damage."""

    cdef unique_ptr[Frame] _frame
    cdef readonly object time_base
    """The unit of pts, in seconds, as a Fraction (the stream's time base)."""
    cdef double _time_base_seconds
    cdef Py_ssize_t _exports  # buffers of any of its planes exported and not yet released
    cdef tuple _conversion  # video: the reader's defaults for to_ndarray()

    def __init__(self):
        raise TypeError(f"{type(self).__name__} objects come from a reader")

    @property
    def planes(self):
        """One buffer per data plane, of the frame's pixel format (for palette formats the
        palette is the last plane) or of its samples (one per channel for planar sample
        formats, one of all channels for packed ones)."""
        # Made anew on each access, not cached: a cached tuple would be a reference cycle
        # (frame -> plane -> frame), and the frame's memory would wait for the cyclic garbage
        # collector instead of returning to FFmpeg's pool as soon as the user lets go.
        cdef int count = self._frame.get().planes().size()
        return tuple([_make_plane(self, i) for i in range(count)])

    @property
    def arrays(self):
        """The planes as NumPy arrays, without copying, the same arrays as numpy.asarray(plane)
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
        _enter(NULL, None)
        try:
            with nogil:
                frame.make_writable()
        finally:
            _leave(NULL)



cdef class VideoFrame(_Frame):
    """VideoFrame()
--

    One decoded frame, made by a VideoReader (not by calling VideoFrame). It owns its own
    reference to FFmpeg's frame, so it and its planes stay valid however far the reader moves on,
    and after the reader is closed."""

    @property
    def width(self):
        """Width of the decoded picture in pixels."""
        return self._frame.get().width()

    @property
    def height(self):
        """Height of the decoded picture in pixels."""
        return self._frame.get().height()

    @property
    def pix_fmt(self):
        """FFmpeg's name of the frame's pixel format, e.g. 'yuv420p'."""
        return _text(self._frame.get().pixel_format_name())

    @property
    def key_frame(self):
        """True when FFmpeg flagged the frame as a key frame."""
        return self._frame.get().key_frame()

    @property
    def pict_type(self):
        """'I', 'P', 'B', 'S', 'SI', ... as FFmpeg's single-letter code; '?' when unknown."""
        return chr(self._frame.get().picture_type())

    def to_ndarray(self, format=None, *, width=None, height=None, out=None, sws_flags=None, rotate=None):
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
        rotate: True turns the result as players and the ffmpeg CLI's autorotate do (the
            stream's display matrix: VideoReader.rotation and flipped), width and height being
            then the turned picture's (scaled before the turn: the CLI scales after it);
            None: the reader's rotate (default False).
        The GIL is released while converting.
        """
        default_format, default_width, default_height, default_flags, default_rotate, transform = self._conversion
        format = default_format if format is None else format
        sws_flags = default_flags if sws_flags is None else sws_flags
        rotate = default_rotate if rotate is None else rotate
        if not rotate or transform == (0, False):
            return self._convert(format, width, height, out, sws_flags, default_width, default_height)
        _check_transform(transform)
        cdef bint turned = _turns(transform)
        cdef Frame* frame = self._frame.get()
        if width is None:
            width = (frame.height() if turned else frame.width()) if default_width is None else default_width
        if height is None:
            height = (frame.width() if turned else frame.height()) if default_height is None else default_height
        converted = self._convert(format, height if turned else width, width if turned else height, None,
                                  sws_flags, None, None)
        cdef int pixel_format = pixel_format_named(format.encode())
        cdef _Conversion conversion = _Conversion.of(pixel_format, width, height, False)
        if out is None:
            out = conversion.allocate(())
        planes = converted if isinstance(converted, tuple) else [converted]
        if not isinstance(converted, tuple) and conversion.stacked:
            planes = list(converted)
        _copy_displayed(list(planes), conversion.planes_of(out), transform)
        return out

    cdef object _convert(self, format, width, height, out, sws_flags, default_width, default_height):
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
        _enter(NULL, None)
        try:
            with nogil:
                convert_frame(frame[0], pixel_format, out_width, out_height, flags, data, linesize)
        finally:
            _leave(NULL)
        return out

    def __repr__(self):
        return (f"<derenotes.VideoFrame index={self.index} pts={self.pts} {self.pix_fmt} "
                f"{self.width}x{self.height} {self.pict_type}>")
