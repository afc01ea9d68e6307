"""Clip samplers: which frames of a video to train on, chosen by index or by time from the
reader's index (nothing decoded), then decoded in one reader.get_frames call, so that each
stretch of the file is decoded once. NumPy only. The rules are in docs/samplers.md.

    clips = samplers.clips_at_random_indices("clip.mp4", num_clips=4, frames_per_clip=8, seed=0)
    clips.data      # (4, 8, H, W, 3) uint8; clips.indices and clips.times are (4, 8)
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import operator
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Union

import numpy as np

from derenotes import _indexing
from derenotes.libs.image.video import VideoReader

if TYPE_CHECKING:
    from derenotes.libs.image.video import _Source

__all__ = ["Clips", "POLICIES", "TIME_TOLERANCE", "clips_at_regular_indices", "clips_at_random_indices", "clips_at_regular_timestamps",
           "clips_at_random_timestamps", "frames_at_rate"]

POLICIES = ("repeat_last", "wrap", "error")
# Asked times are sums of floats (start + k * dt), which can fall a hair before the frame they
# mean (1.48 + 3 * 0.04 < 1.6): the frame on screen is looked up 1 ns later, far above doubles'
# error for any time below 10**6 s and far below any time base's tick, so that clips of 1/fps
# steps do not repeat a frame.
TIME_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class Clips:
    """Sampled clips. data: get_frames' array with its leading frame axis made (clips, frames)
    (for formats of several plane shapes, a tuple of such arrays); indices: int64 (clips, frames),
    the frames' numbers as iteration gives them; times: float64 (clips, frames), each frame's own
    time (frame.time), NaN for a frame without one."""

    data: Union[np.ndarray, tuple[np.ndarray, ...]]
    indices: np.ndarray
    times: np.ndarray


def clips_at_regular_indices(source: Union[VideoReader, _Source], *, num_clips: int = 1, frames_per_clip: int = 1,
                             frames_between: int = 1, start: int = 0, stop: Optional[int] = None,
                             policy: str = "repeat_last", format: str = "rgb24", width: Optional[int] = None,
                             height: Optional[int] = None) -> Clips:
    """num_clips clips whose first frames are evenly spaced from start to stop - 1, both included.
    A clip starting at s has frames s, s + frames_between, ... (frames_per_clip of them)."""
    _check_clip_arguments(num_clips, frames_per_clip, frames_between, policy)
    with _opened(source) as reader:
        first, stop = _index_range(reader, start, stop, frames_per_clip, frames_between)
        # first + floor(i * (last - first) / (num_clips - 1)) in integers: floats can floor 10 to 9.
        starts = first + np.arange(num_clips, dtype=np.int64) * (stop - 1 - first) // max(num_clips - 1, 1)
        return _index_clips(reader, starts, frames_per_clip, frames_between, policy, format, width, height)


def clips_at_random_indices(source: Union[VideoReader, _Source], *, num_clips: int = 1, frames_per_clip: int = 1,
                            frames_between: int = 1, start: int = 0, stop: Optional[int] = None,
                            policy: str = "repeat_last", seed: Union[None, int, np.random.Generator] = None,
                            format: str = "rgb24", width: Optional[int] = None,
                            height: Optional[int] = None) -> Clips:
    """num_clips clips whose first frames are drawn uniformly, with replacement, from
    [start, stop), by numpy.random.default_rng(seed) (a Generator is used as is)."""
    _check_clip_arguments(num_clips, frames_per_clip, frames_between, policy)
    with _opened(source) as reader:
        first, stop = _index_range(reader, start, stop, frames_per_clip, frames_between)
        starts = np.random.default_rng(seed).integers(first, stop, size=num_clips, dtype=np.int64)
        return _index_clips(reader, starts, frames_per_clip, frames_between, policy, format, width, height)


def clips_at_regular_timestamps(source: Union[VideoReader, _Source], *, seconds_between_clip_starts: float,
                                frames_per_clip: int = 1, seconds_between_frames: Optional[float] = None,
                                start: Optional[float] = None, stop: Optional[float] = None,
                                policy: str = "repeat_last", format: str = "rgb24", width: Optional[int] = None,
                                height: Optional[int] = None) -> Clips:
    """Clips starting at start, start + seconds_between_clip_starts, ... while before stop (one
    at start when none is). A clip starting at t has the frames on screen at t, t + dt, ...
    (dt: seconds_between_frames, default 1 / fps)."""
    _check_clip_arguments(1, frames_per_clip, 1, policy)
    between = _positive_number("seconds_between_clip_starts", seconds_between_clip_starts)
    seconds_between_frames = _optional_seconds("seconds_between_frames", seconds_between_frames)
    with _opened(source) as reader:
        dt = _frame_step(reader, frames_per_clip, seconds_between_frames)
        start, stop = _time_range(reader, start, stop, (frames_per_clip - 1) * dt)
        starts = start + np.arange(math.ceil((stop - start) / between) + 1) * between
        starts = starts[starts < stop] if stop > start else starts[:1]
        return _time_clips(reader, starts, frames_per_clip, dt, policy, format, width, height)


def clips_at_random_timestamps(source: Union[VideoReader, _Source], *, num_clips: int = 1, frames_per_clip: int = 1,
                               seconds_between_frames: Optional[float] = None, start: Optional[float] = None,
                               stop: Optional[float] = None, policy: str = "repeat_last",
                               seed: Union[None, int, np.random.Generator] = None, format: str = "rgb24",
                               width: Optional[int] = None, height: Optional[int] = None) -> Clips:
    """num_clips clips whose start times are drawn uniformly from [start, stop) by
    numpy.random.default_rng(seed); frames as clips_at_regular_timestamps gives them."""
    _check_clip_arguments(num_clips, frames_per_clip, 1, policy)
    seconds_between_frames = _optional_seconds("seconds_between_frames", seconds_between_frames)
    with _opened(source) as reader:
        dt = _frame_step(reader, frames_per_clip, seconds_between_frames)
        start, stop = _time_range(reader, start, stop, (frames_per_clip - 1) * dt)
        rng = np.random.default_rng(seed)
        starts = rng.uniform(start, stop, size=num_clips) if stop > start else np.full(num_clips, start)
        return _time_clips(reader, starts, frames_per_clip, dt, policy, format, width, height)


def frames_at_rate(source: Union[VideoReader, _Source], fps: float, *, start: Optional[float] = None,
                   stop: Optional[float] = None, format: str = "rgb24", width: Optional[int] = None,
                   height: Optional[int] = None) -> Clips:
    """One clip of the frames on screen at start, start + 1/fps, ... while before stop (default:
    the whole video), as a player showing the video at fps frames a second would show them."""
    rate = _positive_number("fps", fps)
    with _opened(source) as reader:
        start, stop = _time_range(reader, start, stop, 0.0)
        times = start + np.arange(math.ceil((stop - start) * rate) + 1) * (1 / rate)
        count = int(np.count_nonzero(times < stop))  # all before the end, so no policy is needed
        return _time_clips(reader, np.array([start]), count, 1 / rate, "error", format, width, height)


# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(source: Any) -> Iterator[VideoReader]:
    """A reader given is used as it is and left open; anything else is opened and closed again."""
    if isinstance(source, VideoReader):
        yield source
    else:
        with VideoReader(source) as reader:
            yield reader


def _check_clip_arguments(num_clips: int, frames_per_clip: int, frames_between: int, policy: str) -> None:
    for name, value in (("num_clips", num_clips), ("frames_per_clip", frames_per_clip),
                        ("frames_between", frames_between)):
        if operator.index(value) < 1:
            raise ValueError(f"{name} must be at least 1, not {value!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}, not {policy!r}")


def _positive_number(name: str, value: float) -> float:
    if not 0 < float(value) < math.inf:
        raise ValueError(f"{name} must be positive and finite, not {value!r}")
    return float(value)


def _optional_seconds(name: str, value: Optional[float]) -> Optional[float]:
    return None if value is None else _positive_number(name, value)


def _index_range(reader: VideoReader, start: int, stop: Optional[int], frames_per_clip: int,
                 frames_between: int) -> tuple[int, int]:
    """[first, stop) where clips may start, as the rules say: Python's slice bounds, and by default
    up to the last start whose clip fits (at least start itself)."""
    count, name = len(reader), _indexing.shown_name(reader.name)
    first, end, _ = slice(operator.index(start), None if stop is None else operator.index(stop)).indices(count)
    if first >= count:
        raise ValueError(f"{name} has {count} frames: no clip can start at frame {start}")
    if stop is None:
        end = max(count - (frames_per_clip - 1) * frames_between, first + 1)
    if end <= first:
        raise ValueError(f"{name}: no frame of its {count} to start a clip at in [{start}, {stop})")
    return first, end


def _index_clips(reader: VideoReader, starts: np.ndarray, frames_per_clip: int, frames_between: int, policy: str,
                 format: str, width: Optional[int], height: Optional[int]) -> Clips:
    indices = starts[:, None] + frames_between * np.arange(frames_per_clip, dtype=np.int64)
    count = len(reader)

    def past_the_end(clip: int) -> str:
        return (f"{_indexing.shown_name(reader.name)}: clip {clip} (frames {indices[clip, 0]} to "
                f"{indices[clip, -1]} by {frames_between}) runs past the last of its {count} frames")

    return _decoded(reader, _apply_policy(indices, indices < count, policy, past_the_end), format, width, height)


def _time_span(reader: VideoReader) -> tuple[float, float, float]:
    """(first frame's time, last frame's time, end): the last frame lasts 1/fps, or the frames'
    mean spacing when the stream has no frame rate."""
    times = [time for time in reader.frame_times if time is not None]
    if not times:
        raise ValueError(f"{_indexing.shown_name(reader.name)}: its frames have no timestamps, so none can be "
                         "chosen by time; use clips_at_regular_indices or clips_at_random_indices")
    first, last = min(times), max(times)
    fps = reader.fps
    return first, last, last + (1 / fps if fps else (last - first) / max(len(times) - 1, 1))


def _frame_step(reader: VideoReader, frames_per_clip: int, seconds_between_frames: Optional[float]) -> float:
    if seconds_between_frames is not None:
        return seconds_between_frames
    if frames_per_clip == 1:
        return 0.0  # one frame a clip: no step to take
    if not reader.fps:
        raise ValueError(f"{_indexing.shown_name(reader.name)} has no frame rate: give seconds_between_frames")
    return 1 / reader.fps


def _time_range(reader: VideoReader, start: Optional[float], stop: Optional[float],
                clip_seconds: float) -> tuple[float, float]:
    """[start, stop) where clips may start: by default from the first frame up to where a clip of
    clip_seconds still ends before the end (stop == start when none does: one clip at start); an
    explicit stop past the end is the end, since a clip has to start on a frame."""
    first, _, end = _time_span(reader)
    name = _indexing.shown_name(reader.name)
    start = first if start is None else float(start)
    stop = None if stop is None else float(stop)
    for label, value in (("start", start), ("stop", stop)):
        if value is not None and math.isnan(value):
            raise ValueError(f"{label} must be a time in seconds, not nan")
    if start + TIME_TOLERANCE < first:
        raise ValueError(f"{name}: start {start} s is before its first frame, at {first:.6g} s")
    if start >= end:
        raise ValueError(f"{name}: start {start} s is not before its end, {end:.6g} s")
    if stop is None:
        return start, max(end - clip_seconds, start)
    if stop <= start:
        raise ValueError(f"{name}: no time to start a clip at in [{start}, {stop}) s")
    return start, min(stop, end)


def _time_clips(reader: VideoReader, starts: np.ndarray, frames_per_clip: int, dt: float, policy: str,
                format: str, width: Optional[int], height: Optional[int]) -> Clips:
    asked = starts[:, None] + dt * np.arange(frames_per_clip)
    _, last, end = _time_span(reader)

    def past_the_end(clip: int) -> str:
        return (f"{_indexing.shown_name(reader.name)}: clip {clip} (times {starts[clip]:.6g} s to "
                f"{starts[clip] + dt * (frames_per_clip - 1):.6g} s, every {dt:.6g} s) runs past the end of its "
                f"{len(reader)} frames, at {end:.6g} s")

    asked = _apply_policy(asked, asked < end, policy, past_the_end)
    # From the last frame's time to the end, the last frame is on screen: the reader's own end may
    # come sooner (its packet's duration), so it is asked for that frame's time.
    on_screen = np.minimum(asked + TIME_TOLERANCE, last)
    indices = np.array(reader.frame_indices_at(on_screen.ravel().tolist()), dtype=np.int64)
    return _decoded(reader, indices.reshape(asked.shape), format, width, height)


def _apply_policy(values: np.ndarray, exists: np.ndarray, policy: str, past_the_end: Callable[[int], str]) -> np.ndarray:
    """Each clip's values (frame indices or times) with those past the end (exists False: a tail,
    after at least one that exists) replaced as the policy says."""
    existing = exists.sum(axis=1, keepdims=True)
    if policy == "error" and not exists.all():
        clip = int(np.argmin(exists.all(axis=1)))
        raise ValueError(f"{past_the_end(clip)} (policy='error'; 'repeat_last' or 'wrap' would fill it)")
    columns = np.arange(values.shape[1])
    taken = np.minimum(columns, existing - 1) if policy == "repeat_last" else columns % existing
    return np.take_along_axis(values, taken, axis=1)


def _decoded(reader: VideoReader, indices: np.ndarray, format: str, width: Optional[int],
             height: Optional[int]) -> Clips:
    """The clips' frames, decoded and converted in one get_frames call."""
    if format is None:
        raise ValueError("samplers need a format: they give arrays, not frames")
    data = reader.get_frames(indices.ravel().tolist(), format, width=width, height=height)
    shape = indices.shape
    if isinstance(data, tuple):
        data = tuple(array.reshape(shape + array.shape[1:]) for array in data)
    else:
        data = data.reshape(shape + data.shape[1:])
    frame_times = reader.frame_times  # after decoding: what it may have learned of the frames
    times = [math.nan if frame_times[index] is None else frame_times[index] for index in indices.ravel()]
    return Clips(data, indices, np.array(times, dtype=np.float64).reshape(shape))
