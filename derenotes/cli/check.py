"""derenotes check FILE... [--jobs N] [--json]: decodes every video and audio stream of each file
and reports what the decoder found.

Damage (exit status 1): frames the decoder marked corrupt (frame.corrupt), packets it rejected
(reader.decode_errors), a file or stream that cannot be read to its end, errors the demuxer
logged (reader.ffmpeg_errors: a container damaged or cut short). Noted, not damage: gaps
in time, timestamps missing or going back, a first frame that is not a key frame, and a frame
count other than the header's (edit lists and encoder priming make those normal). docs/cli.md says how each is measured.
"""
from __future__ import annotations

import argparse
import sys
import threading
from array import array

import derenotes
from derenotes.cli import _inputs, _progress

TYPE_CHECKING = False  # see derenotes/__init__.py: typing is for mypy, not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Optional

# A video frame comes "late" when the step from the previous frame is this many times the
# stream's median step: a lost frame makes a step of 2; a variable frame rate's ordinary steps
# (20, 40 and 60 ms around a median of 40) stay below.
VIDEO_GAP_STEPS = 1.9
# An audio frame comes late when it starts this long after the previous frame's last sample:
# half a frame, and more than a container's millisecond rounding.
AUDIO_GAP_FRAMES = 0.5
AUDIO_GAP_MIN_SECONDS = 0.002
SHOWN = 8  # frame indices and gaps listed per stream in the text report


class _Readers:
    """The readers open now, so that Ctrl-C can cancel those of worker threads (--jobs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[Any] = set()

    def add(self, reader: Any) -> None:
        with self._lock:
            self._open.add(reader)

    def discard(self, reader: Any) -> None:
        with self._lock:
            self._open.discard(reader)

    def close_all(self) -> None:
        with self._lock:
            readers = list(self._open)
        for reader in readers:
            reader.close()


def _expected_frames(reader: Any) -> int:
    """The bar's guess of a stream's frames: the header's count, else from its duration."""
    if reader.frame_count:
        return reader.frame_count
    if isinstance(reader, derenotes.VideoReader):
        return round((reader.duration or 0) * (reader.fps or 0))
    return round((reader.duration or 0) * reader.sample_rate / 1024)  # a typical audio frame's samples


def _check_stream(reader: Any, bar: Any, readers: _Readers) -> dict:
    kind = "audio" if isinstance(reader, derenotes.AudioReader) else "video"
    report: dict[str, Any] = {"index": reader.stream_index, "kind": kind, "codec": reader.codec, "frames": 0,
                              "header_frames": reader.frame_count, "corrupt_frames": [], "decode_errors": 0,
                              "starts_without_key_frame": False,
                              "gaps": [], "missing_timestamps": 0, "backward_timestamps": 0,
                              "first_time": None, "last_time": None, "error": None}
    times = array("d")
    previous_end: Optional[float] = None
    readers.add(reader)
    try:
        for frame in reader:
            report["frames"] += 1
            bar.update()
            if report["frames"] == 1 and kind == "video" and not frame.key_frame:
                report["starts_without_key_frame"] = True  # cut between key frames, or an edit list's start
            if frame.corrupt:
                report["corrupt_frames"].append(frame.index)
            if frame.time is None:
                report["missing_timestamps"] += 1
                continue
            if times and frame.time <= times[-1]:
                report["backward_timestamps"] += 1
            if kind == "audio":
                length = frame.samples / frame.sample_rate
                if previous_end is not None and frame.time - previous_end > max(AUDIO_GAP_FRAMES * length,
                                                                                AUDIO_GAP_MIN_SECONDS):
                    report["gaps"].append({"after": previous_end, "seconds": frame.time - previous_end})
                previous_end = frame.time + length
            times.append(frame.time)
    except (derenotes.DerenotesError, OSError) as error:
        report["error"] = " ".join(str(error).split())
    finally:
        readers.discard(reader)
        report["decode_errors"] = reader.decode_errors
        # The demuxer's error lines are the container's damage ("partial file", "File ended
        # prematurely": a file cut after its last whole frame has no other sign); the decoder's
        # are noted only, as files people keep have them too (an edit list's "mmco: unref short
        # failure", a cut's "first frame is no keyframe").
        decoder = f"[{reader.codec}]"
        logged = reader.ffmpeg_errors
        report["demuxer_errors"] = [line for line in logged if not line.startswith(decoder)]
        report["decoder_errors"] = [line for line in logged if line.startswith(decoder)]
    if times:
        report["first_time"], report["last_time"] = times[0], max(times)
    if kind == "video" and len(times) > 2:
        steps = [later - earlier for earlier, later in zip(times, times[1:])]
        forward = sorted(step for step in steps if step > 0)
        typical = forward[len(forward) // 2] if forward else 0  # the median (the higher middle one)
        report["gaps"] = [{"after": times[i], "seconds": step} for i, step in enumerate(steps)
                          if typical and step > VIDEO_GAP_STEPS * typical]
    report["damaged"] = bool(report["corrupt_frames"] or report["decode_errors"] or report["error"]
                             or report["demuxer_errors"])
    return report


def _open(name: str, kind: str, number: int, options: dict) -> Any:
    open_reader = derenotes.VideoReader if kind == "video" else derenotes.AudioReader
    return open_reader(_inputs.source(name), stream=number, **options)


def _stream_readers(name: str, options: dict) -> Iterator[Any]:
    """A reader for each video stream, then each audio stream, each opened when the one before
    is done. The first reader says how many of each the file has (no separate probe: one open
    fewer). stdin is read once: its first video stream only."""
    try:
        first = _open(name, "video", 0, options)
    except derenotes.StreamNotFoundError:
        if name == _inputs.STDIN:
            raise
        try:
            first = _open(name, "audio", 0, options)
        except derenotes.StreamNotFoundError:
            return  # nothing to decode: subtitles, data, attachments
    plan = [("video", number) for number in range(first.video_stream_count)] + \
           [("audio", number) for number in range(first.audio_stream_count)]
    yield first  # the caller closes it
    if name == _inputs.STDIN:
        return
    for kind, number in plan[1:]:
        yield _open(name, kind, number, options)


def check_file(name: str, args: argparse.Namespace, bar: Any, readers: _Readers) -> dict:
    """One file's report: {"source", "status": "ok", "damaged" or "unreadable", "streams", "error"}."""
    report: dict[str, Any] = {"source": name, "status": "ok", "streams": [], "error": None}
    try:
        for reader in _stream_readers(name, _inputs.reader_options(args)):
            with reader:
                bar.total = (bar.total or 0) + _expected_frames(reader)
                bar.refresh()
                report["streams"].append(_check_stream(reader, bar, readers))
    except (derenotes.DerenotesError, OSError) as error:
        _inputs.report(error)
        report["status"], report["error"] = "unreadable", " ".join(str(error).split())
        return report
    report["streams"].sort(key=lambda stream: stream["index"])  # in the file's order
    if any(stream["damaged"] for stream in report["streams"]):
        report["status"] = "damaged"
    return report


def _listed(values: list, shown: int = SHOWN) -> str:
    text = ", ".join(str(value) for value in values[:shown])
    return text + (f" and {len(values) - shown} more" if len(values) > shown else "")


def _quoted(lines: list) -> str:
    return _listed([f'"{line}"' for line in lines], 3)


def _plural(count: int, noun: str) -> str:
    """'1 packet', '3 packets'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _stream_line(stream: dict) -> str:
    span = (f", {stream['first_time']:.3f} to {stream['last_time']:.3f} s" if stream["first_time"] is not None
            else "")
    parts = [f"{stream['frames']} frames{span}"]
    if stream["corrupt_frames"]:
        corrupt = stream["corrupt_frames"]
        parts.append(f"{len(corrupt)} corrupt ({'frame' if len(corrupt) == 1 else 'frames'} {_listed(corrupt)})")
    if stream["starts_without_key_frame"]:
        parts.append("note: the first frame is not a key frame")
    if stream["decode_errors"]:
        parts.append(f"{_plural(stream['decode_errors'], 'packet')} rejected by the decoder")
    if stream["error"]:
        parts.append(f"stopped: {stream['error']}")
    if stream["demuxer_errors"]:
        parts.append(f"the demuxer says: {_quoted(stream['demuxer_errors'])}")
    if stream["decoder_errors"]:
        parts.append(f"note: the decoder says: {_quoted(stream['decoder_errors'])}")
    if stream["gaps"]:
        gaps = [f"{gap['seconds']:.3f} s after {gap['after']:.3f} s" for gap in stream["gaps"]]
        parts.append(f"note: {_plural(len(gaps), 'gap')} in time ({_listed(gaps, 3)})")
    if stream["missing_timestamps"]:
        parts.append(f"note: {_plural(stream['missing_timestamps'], 'frame')} without a timestamp")
    if stream["backward_timestamps"]:
        parts.append(f"note: {_plural(stream['backward_timestamps'], 'timestamp')} not after the previous frame's")
    if stream["header_frames"] is not None and stream["header_frames"] != stream["frames"]:
        parts.append(f"note: the header lists {stream['header_frames']} frames")
    return f"  {stream['kind']} #{stream['index']} ({stream['codec']}): " + "; ".join(parts)


def _text(report: dict) -> str:
    lines = [f"{report['source']}: {report['status']}"] + [_stream_line(stream) for stream in report["streams"]]
    if report["status"] == "ok" and not report["streams"]:
        lines.append("  no video or audio stream to decode")
    return "\n".join(lines)


def _check_in_threads(args: argparse.Namespace, bar: Any, readers: _Readers, done: Callable[[dict], None]) -> None:
    """--jobs N: N files at once, each in a thread, reported in the order given."""
    import concurrent.futures  # here only: it imports logging, which one file at a time does without

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(check_file, name, args, bar, readers) for name in args.files]
        try:
            for future in futures:
                done(future.result())
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            readers.close_all()  # the workers' calls end with CancelledError
            raise


def run(args: argparse.Namespace) -> int:
    if args.files.count(_inputs.STDIN) > 1:
        raise _inputs.UsageError("stdin (-) can be read once only")
    reports: list[dict] = []
    readers = _Readers()
    with _progress.bar(None, "frame", "check", args.quiet) as bar:
        def done(report: dict) -> None:
            reports.append(report)
            if not args.json:
                bar.write(_text(report), file=sys.stdout)

        if args.jobs == 1:
            for name in args.files:
                done(check_file(name, args, bar, readers))
        else:
            _check_in_threads(args, bar, readers, done)
    if args.json:
        import json

        print(json.dumps(reports, indent=2))
    elif len(reports) > 1:
        bad = sum(report["status"] != "ok" for report in reports)
        print(f"{bad} of {len(reports)} files damaged or unreadable" if bad else f"all {len(reports)} files ok")
    return 1 if any(report["status"] != "ok" for report in reports) else 0
