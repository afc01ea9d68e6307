"""derenotes.probe(source): what a file holds, without decoding it: its format and every stream
(video, audio, subtitle, data, attachment) as plain, frozen objects, read by the C++ core's
demuxer with the same safety options as VideoReader (see docs/api.md, "probe")."""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Optional, Union

from derenotes import _indexing
from derenotes._indexing import (DEFAULT_MAX_NESTED_OPENS, DEFAULT_MAX_PACKETS, DEFAULT_MAX_PIXELS,
                                 DEFAULT_MAX_PROBE_BYTES, DEFAULT_MAX_STREAMS, DEFAULT_TIMEOUT)


def _json_value(value: Any) -> Any:
    return f"{value.numerator}/{value.denominator}" if isinstance(value, Fraction) else value


@dataclasses.dataclass(frozen=True)
class StreamInfo:
    """One stream of a file. FFmpeg's names throughout (ffprobe's); None where the file does not
    say, and for the fields of other kinds of stream (a video field of an audio stream)."""

    index: int  # among all the file's streams (ffprobe's index)
    kind: str  # "video", "audio", "subtitle", "data", "attachment" or "unknown"
    codec: Optional[str]  # the codec's name (ffprobe's codec_name: "av1", not the decoder "libdav1d")
    codec_tag: Optional[str]  # the container's fourcc (ffprobe's codec_tag_string): "avc1", "tmcd"
    profile: Optional[str]  # the codec's profile by name, e.g. "High", "Main 10"
    duration: Optional[float]  # seconds, the stream's own (Matroska gives only the file's)
    bit_rate: Optional[int]  # bits per second
    frame_count: Optional[int]  # the container's count of frames (ffprobe's nb_frames)
    language: Optional[str]  # the stream's tags: an ISO 639-2 code, e.g. "eng"
    title: Optional[str]
    filename: Optional[str]  # an attachment's file name and MIME type (tags too), e.g. "text/plain"
    mimetype: Optional[str]
    width: Optional[int]  # video: the coded size, before any turn
    height: Optional[int]
    pix_fmt: Optional[str]
    avg_frame_rate: Optional[Fraction]
    r_frame_rate: Optional[Fraction]  # FFmpeg's guess of the base rate
    sample_aspect_ratio: Optional[Fraction]  # a pixel's width / height
    rotation: Optional[int]  # clockwise degrees a player turns the picture (see VideoReader.rotation)
    flipped: Optional[bool]  # the picture is mirrored: flipped top to bottom before the turn
    color_range: Optional[str]  # "tv" or "pc"
    color_space: Optional[str]  # the YUV matrix, e.g. "bt709", "bt2020nc"
    color_primaries: Optional[str]  # e.g. "bt709", "bt2020"
    color_transfer: Optional[str]  # e.g. "bt709"; HDR: "smpte2084" (PQ), "arib-std-b67" (HLG)
    field_order: Optional[str]  # "progressive", or interlaced "tt", "bb", "tb", "bt"
    sample_rate: Optional[int]  # audio
    channels: Optional[int]
    channel_layout: Optional[str]  # e.g. "mono", "stereo", "5.1(side)"
    sample_fmt: Optional[str]  # e.g. "s16", "fltp"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict for JSON: fractions as "num/den" strings, as ffprobe writes them."""
        return {field.name: _json_value(getattr(self, field.name)) for field in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """A file: its format, duration and bit rate, and its streams in the file's order."""

    name: str  # the path, or a description of the source ("<bytes, 1.2 MB>")
    format: str  # the demuxer's name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2" (ffprobe's format_name)
    format_long_name: Optional[str]
    duration: Optional[float]  # seconds
    bit_rate: Optional[int]  # bits per second
    streams: tuple[StreamInfo, ...]

    @property
    def video(self) -> tuple[StreamInfo, ...]:
        """The video streams, in order: VideoReader(stream=N) decodes video[N]."""
        return tuple(stream for stream in self.streams if stream.kind == "video")

    @property
    def audio(self) -> tuple[StreamInfo, ...]:
        """The audio streams, in order."""
        return tuple(stream for stream in self.streams if stream.kind == "audio")

    @property
    def subtitles(self) -> tuple[StreamInfo, ...]:
        """The subtitle streams, in order."""
        return tuple(stream for stream in self.streams if stream.kind == "subtitle")

    @property
    def attachments(self) -> tuple[StreamInfo, ...]:
        """The attached files (fonts, covers, notes), in order: filename and mimetype say which."""
        return tuple(stream for stream in self.streams if stream.kind == "attachment")

    def to_dict(self) -> dict[str, Any]:
        """Everything as a dict for JSON (json.dumps(info.to_dict()))."""
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        fields["streams"] = [stream.to_dict() for stream in self.streams]
        return fields


def probe(source: Any, *, allow_nested: bool = False, allow_network: bool = False,
          max_streams: Optional[int] = DEFAULT_MAX_STREAMS, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
          max_packets: Optional[int] = DEFAULT_MAX_PACKETS,
          max_probe_bytes: Optional[int] = DEFAULT_MAX_PROBE_BYTES,
          timeout: Optional[Union[int, float]] = DEFAULT_TIMEOUT,
          max_nested_opens: Optional[int] = DEFAULT_MAX_NESTED_OPENS) -> MediaInfo:
    """Describes every stream of `source` without decoding it (FFmpeg's probe of the streams
    decodes a few packets, as ffprobe's does). The source and the options are VideoReader's:
    a path, bytes-like data or a binary file object; a playlist or concat list is refused with
    UnsafeInputError unless allow_nested, and so on."""
    _indexing.check_reader_arguments(index="packets", width=None, height=None, max_pixels=max_pixels,
                                     max_streams=max_streams, max_packets=max_packets,
                                     max_probe_bytes=max_probe_bytes, timeout=timeout,
                                     max_nested_opens=max_nested_opens)
    from derenotes.libs.image import video  # here: the extension imports this package's modules

    fields = video._probe(source, allow_nested=allow_nested, allow_network=allow_network, max_streams=max_streams,
                          max_pixels=max_pixels, max_packets=max_packets, max_probe_bytes=max_probe_bytes,
                          timeout=timeout, max_nested_opens=max_nested_opens)
    streams = tuple(StreamInfo(**stream) for stream in fields.pop("streams"))
    return MediaInfo(streams=streams, **fields)
