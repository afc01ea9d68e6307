"""derenotes probe FILE [--json]: derenotes.probe() as a table, or its fields as JSON."""
from __future__ import annotations

import argparse
import json
from fractions import Fraction
from typing import Optional

import derenotes
from derenotes.cli import _inputs


def run(args: argparse.Namespace) -> int:
    info = derenotes.probe(_inputs.source(args.file), **_inputs.reader_options(args))
    print(json.dumps(info.to_dict(), indent=2) if args.json else table(info))
    return 0


def _seconds(value: Optional[float]) -> Optional[str]:
    return None if value is None else f"{value:.3f} s"


def _rate(value: Optional[Fraction]) -> Optional[str]:
    if not value:
        return None
    return f"{float(value):.6g} fps" + ("" if value.denominator == 1 else f" ({value.numerator}/{value.denominator})")


def _bit_rate(value: Optional[int]) -> Optional[str]:
    return None if value is None else f"{value / 1000:.0f} kb/s"


def _details(stream: derenotes.StreamInfo) -> list[Optional[str]]:
    if stream.kind == "video":
        colour = "/".join(str(part) for part in (stream.color_range, stream.color_space, stream.color_primaries,
                                                 stream.color_transfer) if part)
        sar = stream.sample_aspect_ratio
        return [f"{stream.width}x{stream.height}", stream.pix_fmt, _rate(stream.avg_frame_rate),
                f"SAR {sar.numerator}:{sar.denominator}" if sar and sar != 1 else None,
                f"rotation {stream.rotation}" if stream.rotation else None,
                "flipped" if stream.flipped else None, colour or None,
                stream.field_order if stream.field_order not in (None, "progressive") else None]
    if stream.kind == "audio":
        return [f"{stream.sample_rate} Hz" if stream.sample_rate else None, stream.channel_layout
                or (f"{stream.channels} channels" if stream.channels else None), stream.sample_fmt]
    if stream.kind == "attachment":
        return [stream.filename, stream.mimetype]
    return []


def table(info: derenotes.MediaInfo) -> str:
    """The file in a line, then a line per stream: kind, codec, then what matters for its kind,
    its duration, frame count, bit rate and tags."""
    header = ", ".join(part for part in (info.format_long_name or info.format, _seconds(info.duration),
                                         _bit_rate(info.bit_rate)) if part)
    lines = [f"{info.name}: {header}"]
    rows = []
    for stream in info.streams:
        fields = _details(stream) + [
            _seconds(stream.duration),
            f"{stream.frame_count} frames" if stream.frame_count is not None else None,
            _bit_rate(stream.bit_rate),
            f"language {stream.language}" if stream.language else None,
            f"title {stream.title!r}" if stream.title else None,
        ]
        codec = stream.codec or stream.codec_tag or "?"
        if stream.profile:
            codec += f" ({stream.profile})"
        rows.append((f"#{stream.index}", stream.kind, codec, ", ".join(field for field in fields if field)))
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(3)]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return "\n".join(line.rstrip() for line in lines)
