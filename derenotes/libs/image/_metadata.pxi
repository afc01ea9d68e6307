# Included by video.pyx: what a file holds without decoding it (probe: every stream described by
# the C++ core's StreamDescription), and how a player shows a video stream: its display matrix as
# a turn and a flip, which to_ndarray(rotate=True) applies to the converted arrays. The public
# probe() and its result's classes are plain Python, in derenotes/_probe.py.


cdef object _fraction(int num, int den):
    return Fraction(num, den) if num > 0 and den > 0 else None


cdef object _name(const string& value):
    return _text(value) or None


cdef dict _stream_fields(const StreamDescription& s):
    """A stream's description as _probe.StreamInfo's fields; those of other kinds None."""
    fields = dict(index=s.index, kind=_text(s.kind), codec=_name(s.codec), codec_tag=_name(s.codec_tag),
                  profile=_name(s.profile), duration=s.duration if s.duration >= 0 else None,
                  bit_rate=s.bit_rate or None, frame_count=s.frame_count or None, language=_name(s.language),
                  title=_name(s.title), filename=_name(s.filename), mimetype=_name(s.mimetype))
    video = s.kind == b"video"
    fields.update(
        width=s.width if video else None, height=s.height if video else None,
        pix_fmt=_name(s.pixel_format) if video else None,
        avg_frame_rate=_fraction(s.avg_rate_num, s.avg_rate_den) if video else None,
        r_frame_rate=_fraction(s.r_rate_num, s.r_rate_den) if video else None,
        sample_aspect_ratio=_fraction(s.sar_num, s.sar_den) if video else None,
        rotation=s.rotation if video else None, flipped=s.flipped if video else None,
        color_range=_name(s.color_range), color_space=_name(s.color_space),
        color_primaries=_name(s.color_primaries), color_transfer=_name(s.color_transfer),
        field_order=_name(s.field_order))
    audio = s.kind == b"audio"
    fields.update(sample_rate=s.sample_rate or None if audio else None,
                  channels=s.channels or None if audio else None,
                  channel_layout=_name(s.channel_layout) if audio else None,
                  sample_fmt=_name(s.sample_format) if audio else None)
    return fields


def _probe(source, *, allow_nested, allow_network, max_streams, max_pixels, max_packets, max_probe_bytes,
           timeout, max_nested_opens):
    """The description of every stream of `source` and of the file, as dicts (see _probe.probe)."""
    cdef shared_ptr[const Source] c_source = _make_source(source, allow_network,
                                                          <int64_t>(min(timeout or 0, 1e9) * 1e6))
    cdef DecoderOptions options
    options.max_pixels = max_pixels or 0
    options.max_streams = max_streams or 0
    options.max_packets = max_packets or 0
    options.max_probe_bytes = max_probe_bytes or 0
    options.interrupted = _interrupted
    options.allow_nested = allow_nested
    options.timeout = timeout or 0
    options.max_nested_opens = max_nested_opens or 0
    cdef MediaDescription description
    _enter(NULL, None)
    try:
        with nogil:
            description = probe(c_source, options)
    finally:
        _leave(NULL)
    cdef StreamDescription stream
    return dict(name=os.fsdecode(os.fspath(source)) if isinstance(source, (str, os.PathLike))
                else _text(c_source.get().name()),
                format=_text(description.format), format_long_name=_name(description.format_long_name),
                duration=description.duration if description.duration >= 0 else None,
                bit_rate=description.bit_rate or None,
                streams=[_stream_fields(stream) for stream in description.streams])


# ---------------------------------------------------------------------------------------------
# The display matrix applied: flip top to bottom when flipped, then turn clockwise by rotation, as
# the ffmpeg CLI's autorotate does (transpose, hflip, vflip), on each plane of a converted frame.

cdef tuple _display_transform(const StreamInfo& info):
    return (info.description.rotation, info.description.flipped)


cdef inline bint _turns(tuple transform):
    """Whether the transform swaps width and height (a quarter turn)."""
    return transform[0] in (90, 270)


cdef int _check_transform(tuple transform) except -1:
    if transform[0] % 90:
        raise ValueError(f"rotate=True turns by quarter turns only; the stream's display matrix turns by "
                         f"{transform[0]} degrees (the ffmpeg CLI's rotate filter interpolates such turns)")
    return 0


cdef object _displayed(plane, tuple transform):
    """A plane's array (rows, columns[, items]) as displayed: a view, flipped and turned."""
    import numpy
    rotation, flipped = transform
    if flipped:
        plane = plane[::-1]
    return numpy.rot90(plane, -(rotation // 90), axes=(0, 1)) if rotation else plane


cdef int _copy_displayed(list planes, list out_planes, tuple transform) except -1:
    import numpy
    for plane, out in zip(planes, out_planes):
        shown = _displayed(plane, transform)
        if shown.shape != out.shape:  # yuv422p and the like: their chroma would have to be resampled
            raise ValueError(f"rotate=True cannot turn this format's planes by {transform[0]} degrees: "
                             "they are subsampled differently across and down; convert to another format")
        numpy.copyto(out, shown)
    return 0
