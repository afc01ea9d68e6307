"""What the commands share: reading the command line's values, opening sources with the library's
safe defaults, choosing frames, and reporting errors in one line."""
from __future__ import annotations

import argparse
import math
import os
import re
import sys

import derenotes

TYPE_CHECKING = False  # see derenotes/__init__.py: typing is for mypy, not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Union

STDIN = "-"

# --at's items: ("index", n) or ("percent", p).
Selection = tuple[str, float]


class UsageError(Exception):
    """Something the command line asked that cannot be done (exit status 2)."""


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _split(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"{text!r}: an empty item in the list")
    return items


def parse_at(text: str) -> list[Selection]:
    """'10,50%,-1' -> [("index", 10), ("percent", 50.0), ("index", -1)]."""
    selections: list[Selection] = []
    for item in _split(text):
        try:
            if item.endswith("%"):
                percent = float(item[:-1])
                if not 0 <= percent <= 100:
                    raise ValueError
                selections.append(("percent", percent))
            else:
                selections.append(("index", int(item)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is neither a frame index nor a percentage from 0% to 100%")
    return selections


def parse_times(text: str) -> list[float]:
    times = []
    for item in _split(text):
        try:
            seconds = float(item)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            raise argparse.ArgumentTypeError(f"{item!r} is not a time in seconds")
        times.append(seconds)
    return times


def parse_size(text: str) -> tuple[Optional[int], Optional[int]]:
    """'320x240', '320x' or 'x240' -> (width, height), None for the side that keeps the aspect."""
    match = re.fullmatch(r"(\d*)x(\d*)", text)
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not WxH, Wx or xH (e.g. 320x240, 320x)")
    width, height = (int(side) if side else None for side in match.groups())
    if width == 0 or height == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a side of 0 pixels")
    return width, height


def parse_grid(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match or "0" in (match[1].lstrip("0") or "0", match[2].lstrip("0") or "0"):
        raise argparse.ArgumentTypeError(f"{text!r} is not COLSxROWS (e.g. 4x4)")
    return int(match[1]), int(match[2])


def source(name: str) -> Any:
    """What the library reads for a command-line name: stdin's bytes for '-', else the name."""
    return sys.stdin.buffer if name == STDIN else name


def reader_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"allow_network": args.allow_network, "allow_nested": args.allow_nested, "timeout": args.timeout}


def report(error: BaseException) -> None:
    """The error as one line on stderr: the library's text names the source and the reason."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and error.filename is not None and repr(error.filename) not in text:
        text = f"{error.filename!r}: {text}"
    if isinstance(error, derenotes.UnsafeInputError):
        text += " (--allow-nested follows it, for files you trust)"
    print(f"derenotes: {text}", file=sys.stderr)


def display_size(reader: derenotes.VideoReader, rotate: bool) -> tuple[float, float]:
    """The picture's width and height as a player shows it: pixels widened by the sample aspect
    ratio, and turned a quarter when `rotate` and the stream says so."""
    width = float(reader.width)
    if reader.sample_aspect_ratio:
        width *= float(reader.sample_aspect_ratio)
    height = float(reader.height)
    if rotate and reader.rotation in (90, 270):
        width, height = height, width
    return width, height


def output_size(reader: derenotes.VideoReader, size: Optional[tuple[Optional[int], Optional[int]]],
                rotate: bool) -> tuple[Optional[int], Optional[int]]:
    """to_ndarray's width and height for --size: a missing side follows the display aspect
    (rounded to the nearest pixel, at least 1); no --size: the frame's own size (None, None)."""
    if size is None:
        return None, None
    width, height = size
    shown_width, shown_height = display_size(reader, rotate)
    if width is None and height is not None:
        width = max(1, round(height * shown_width / shown_height))
    elif height is None and width is not None:
        height = max(1, round(width * shown_height / shown_width))
    return width, height


def frame_indices(reader: derenotes.VideoReader, selections: list[Selection]) -> list[int]:
    """--at's frames as indices from 0, in the order asked. Percentages and negative indices
    need the number of frames, which a source that cannot seek does not give."""
    if not any(kind == "percent" or value < 0 for kind, value in selections):
        return [int(value) for _, value in selections]
    try:
        count = len(reader)
    except derenotes.NotSeekableError:
        raise UsageError("percentages and negative indices need the number of frames, "
                         "which a source read once (stdin, a pipe) does not give")
    indices = []
    for kind, value in selections:
        index = min(count - 1, int(value * count / 100)) if kind == "percent" else int(value)
        if not -count <= index < count:
            raise derenotes.FrameNotFoundError(f"{reader.name}: no frame {index}: the stream has {count} frames")
        indices.append(index % count)
    return indices


def pick_frames(reader: derenotes.VideoReader, selections: list[Selection],
                times: list[float]) -> list[derenotes.VideoFrame]:
    """The frames --at and --time ask for, in that order, duplicates once: by random access, or
    in one pass from the start when the source cannot seek."""
    if not selections and not times:
        raise UsageError("say which frames: --at INDEX[,PERCENT%...] or --time SECONDS[,...]")
    indices = frame_indices(reader, selections)
    try:
        frames = list(reader.get_frames(indices)) if indices else []
        frames += list(reader.frames_at(times)) if times else []
    except derenotes.NotSeekableError:
        frames = _pick_in_one_pass(reader, indices, times)
    unique: dict[int, derenotes.VideoFrame] = {}
    for frame in frames:
        unique.setdefault(frame.index, frame)
    return list(unique.values())


def _pick_in_one_pass(reader: derenotes.VideoReader, indices: list[int],
                      times: list[float]) -> list[derenotes.VideoFrame]:
    wanted = set(indices)
    by_index: dict[int, derenotes.VideoFrame] = {}
    by_time: dict[float, derenotes.VideoFrame] = {}
    pending = sorted(set(times))
    previous: Optional[derenotes.VideoFrame] = None
    for frame in reader:
        if frame.time is None and pending:
            raise derenotes.DecodeError(f"{reader.name}: frames without timestamps cannot be found by time")
        while pending and frame.time is not None and frame.time > pending[0]:
            if previous is None:
                raise derenotes.FrameNotFoundError(f"{reader.name}: no frame at {pending[0]} s, before the first")
            by_time[pending.pop(0)] = previous
        if frame.index in wanted:
            by_index[frame.index] = frame
        previous = frame
        if not pending and len(by_index) == len(wanted):
            break
    for seconds in pending:  # at or after the last frame's time: the last frame (its end is unknown here)
        if previous is None:
            raise derenotes.FrameNotFoundError(f"{reader.name}: no frames")
        by_time[seconds] = previous
    missing = wanted - by_index.keys()
    if missing:
        raise derenotes.FrameNotFoundError(f"{reader.name}: no frame {min(missing)}: the stream has "
                                           f"{previous.index + 1 if previous else 0} frames")
    return [by_index[index] for index in indices] + [by_time[seconds] for seconds in times]


def output_directory(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def frame_name(frame: derenotes.VideoFrame, suffix: str) -> str:
    return f"frame_{frame.index:06d}{suffix}"


def time_label(seconds: Union[float, None]) -> str:
    """H:MM:SS.mmm, as players show a position."""
    if seconds is None:
        return "?"
    sign = "-" if seconds < 0 else ""
    milliseconds = round(abs(seconds) * 1000)
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    return f"{sign}{hours}:{minutes:02d}:{milliseconds / 1000:06.3f}"
