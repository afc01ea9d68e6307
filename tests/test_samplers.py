"""derenotes.samplers: every sampled frame of every clip is iteration's frame at the index the
sampler returns (pixels converted by frame.to_ndarray, and frame.time), and the indices are the
ones docs/samplers.md's rules give, worked out here independently (by hand for a few cases, else
from iteration's times), on MP4 with B-frames, an open GOP, variable frame rate Matroska,
MPEG-TS and Matroska without cues."""
import dataclasses
import functools
import io
import math

import numpy as np
import pytest

import derenotes
from conftest import SAMPLES
from derenotes import samplers

SAMPLE_NAMES = ["h264_bframes.mp4", "h264_opengop.mp4", "h264_vfr.mkv", "h264.ts", "h264_nocues.mkv"]
SIZES = [(64, 48), (57, 33)]
TOLERANCE = 1e-9  # docs/samplers.md: a time is looked up 1 ns later (samplers.TIME_TOLERANCE)


@functools.cache
def iterated(name, format="rgb24", width=64, height=48):
    """Iteration's frames converted by to_ndarray, stacked (one stack per plane for formats of
    several plane shapes), and their times."""
    converted, times = [], []
    with derenotes.VideoReader(SAMPLES / name) as reader:
        for frame in reader:
            converted.append(frame.to_ndarray(format, width=width, height=height))
            times.append(frame.time)
    if isinstance(converted[0], tuple):
        return tuple(np.stack(plane) for plane in zip(*converted)), times
    return np.stack(converted), times


def fps(name):
    with derenotes.VideoReader(SAMPLES / name) as reader:
        return reader.fps


def end_of(times, name):
    """The end of the video as docs/samplers.md says: the last frame's time plus 1/fps."""
    return max(times) + 1 / fps(name)


def on_screen(times, t):
    """The frame on screen at t: the last frame whose time is at or before it (1 ns later)."""
    shown = [i for i, time in enumerate(times) if time is not None and time <= t + TOLERANCE]
    return max(shown, key=lambda i: (times[i], i))


def check_frames(clips, name, format="rgb24", width=64, height=48):
    """Every frame of every clip is iteration's frame at its index, with iteration's time."""
    expected, times = iterated(name, format, width, height)
    assert clips.indices.dtype == np.int64 and clips.times.dtype == np.float64
    assert clips.times.shape == clips.indices.shape
    np.testing.assert_array_equal(clips.times, np.array(times)[clips.indices])
    planes = expected if isinstance(expected, tuple) else (expected,)
    data = clips.data if isinstance(clips.data, tuple) else (clips.data,)
    assert isinstance(clips.data, tuple) == isinstance(expected, tuple) and len(data) == len(planes)
    for got, frames in zip(data, planes):
        assert got.shape == clips.indices.shape + frames.shape[1:]
        for clip, place in np.ndindex(clips.indices.shape):
            assert np.array_equal(got[clip, place], frames[clips.indices[clip, place]]), (clip, place)


def regular_starts(first, last, num_clips):
    """floor(linspace(first, last, num_clips)), in exact arithmetic."""
    if num_clips == 1:
        return [first]
    return [first + math.floor(i * (last - first) / (num_clips - 1)) for i in range(num_clips)]


# ---------------------------------------------------------------------------------------------
# The rules, by hand.


def test_regular_indices_by_hand():
    path = SAMPLES / "h264_bframes.mp4"  # 100 frames
    clips = samplers.clips_at_regular_indices(path, num_clips=4, frames_per_clip=8, frames_between=2,
                                              width=64, height=48)
    # A clip spans 15 frames: the last start that fits is 85; linspace(0, 85, 4) = 0, 28.3, 56.7, 85.
    assert clips.indices.tolist() == [[0, 2, 4, 6, 8, 10, 12, 14], [28, 30, 32, 34, 36, 38, 40, 42],
                                      [56, 58, 60, 62, 64, 66, 68, 70], [85, 87, 89, 91, 93, 95, 97, 99]]
    assert clips.data.shape == (4, 8, 48, 64, 3)
    check_frames(clips, "h264_bframes.mp4")
    starts = samplers.clips_at_regular_indices(path, num_clips=5, start=10, stop=50, width=64, height=48).indices
    assert starts.ravel().tolist() == [10, 19, 29, 39, 49]  # linspace(10, 49, 5) = 10, 19.75, 29.5, 39.25, 49
    clips = samplers.clips_at_regular_indices(path, num_clips=3, frames_per_clip=4, start=-30, width=64, height=48)
    assert clips.indices[:, 0].tolist() == [70, 83, 96]  # starts in [70, 97)
    assert samplers.clips_at_regular_indices(path, start=42, width=8, height=8).indices.tolist() == [[42]]
    # A video shorter than a clip: one start, at start, and the policy for the rest.
    short = samplers.clips_at_regular_indices(SAMPLES / "odd_321x241_ffv1.mkv", num_clips=2, frames_per_clip=8,
                                              width=16, height=16)
    assert short.indices.tolist() == [[0, 1, 2, 3, 4, 5, 5, 5]] * 2


def test_time_samplers_by_hand():
    path = SAMPLES / "h264.ts"  # 120 frames from 1.48 s every 0.04 s; the end is 6.28 s
    clips = samplers.clips_at_regular_timestamps(path, seconds_between_clip_starts=1.0, frames_per_clip=8,
                                                 width=64, height=48)
    # Clips fit up to 6.28 - 7 * 0.04 = 6.0: starts 1.48, 2.48, 3.48, 4.48, 5.48.
    assert clips.indices.tolist() == [list(range(start, start + 8)) for start in (0, 25, 50, 75, 100)]
    check_frames(clips, "h264.ts")
    at_rate = samplers.frames_at_rate(path, 10, width=64, height=48)
    assert at_rate.indices.shape == (1, 48)  # 1.48 + k / 10 before 6.28
    assert at_rate.indices[0, :6].tolist() == [0, 2, 5, 7, 10, 12]
    check_frames(at_rate, "h264.ts")
    part = samplers.frames_at_rate(path, 4, start=2.0, stop=3.0, width=64, height=48)
    assert part.indices.tolist() == [[13, 19, 25, 31]]  # 2.0, 2.25, 2.5, 2.75


def test_clips_stepping_one_frame_period_take_consecutive_frames():
    # 1.48 + 3 * 0.04 falls a hair before the frame at 1.6 s: looked up as is, it repeats a frame.
    clips = samplers.clips_at_regular_timestamps(SAMPLES / "h264.ts", seconds_between_clip_starts=0.04,
                                                 frames_per_clip=8, width=8, height=8)
    assert clips.indices.tolist() == [list(range(start, start + 8)) for start in range(113)]


# ---------------------------------------------------------------------------------------------
# Every sampler against iteration, on several files and sizes.


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sampler_gives_iterations_frames_at_the_rules_indices(name, size):
    width, height = size
    _, times = iterated(name, "rgb24", width, height)
    count, end, dt = len(times), end_of(times, name), 1 / fps(name)
    convert = dict(width=width, height=height)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        clips = samplers.clips_at_regular_indices(reader, num_clips=5, frames_per_clip=6, frames_between=3, **convert)
        starts = regular_starts(0, count - 16, 5)
        assert clips.indices.tolist() == [[start + 3 * j for j in range(6)] for start in starts]
        check_frames(clips, name, "rgb24", width, height)

        clips = samplers.clips_at_random_indices(reader, num_clips=6, frames_per_clip=4, frames_between=2,
                                                 start=10, seed=7, **convert)
        starts = np.random.default_rng(7).integers(10, count - 6, size=6)
        assert clips.indices.tolist() == [[start + 2 * j for j in range(4)] for start in starts]
        check_frames(clips, name, "rgb24", width, height)

        clips = samplers.clips_at_regular_timestamps(reader, seconds_between_clip_starts=0.7, frames_per_clip=5,
                                                     **convert)
        stop = end - 4 * dt
        starts = [times[0] + k * 0.7 for k in range(100) if times[0] + k * 0.7 < stop]
        assert clips.indices.tolist() == [[on_screen(times, start + j * dt) for j in range(5)] for start in starts]
        check_frames(clips, name, "rgb24", width, height)

        clips = samplers.clips_at_random_timestamps(reader, num_clips=5, frames_per_clip=3, seconds_between_frames=0.1,
                                                    seed=3, **convert)
        starts = np.random.default_rng(3).uniform(times[0], end - 0.2, size=5)
        assert clips.indices.tolist() == [[on_screen(times, start + j * 0.1) for j in range(3)] for start in starts]
        check_frames(clips, name, "rgb24", width, height)

        clips = samplers.frames_at_rate(reader, 7, **convert)
        asked = [times[0] + k * (1 / 7) for k in range(100) if times[0] + k * (1 / 7) < end]
        assert clips.indices.tolist() == [[on_screen(times, t) for t in asked]]
        check_frames(clips, name, "rgb24", width, height)
        assert not reader.closed  # a reader given is left open


# ---------------------------------------------------------------------------------------------
# Policies, seeds, formats, sources.


@pytest.mark.parametrize("policy, expected", [("repeat_last", [95, 97, 99, 99, 99]), ("wrap", [95, 97, 99, 95, 97])])
def test_policies_fill_a_clip_past_the_last_frame(policy, expected):
    clips = samplers.clips_at_regular_indices(SAMPLES / "h264_bframes.mp4", frames_per_clip=5, frames_between=2,
                                              start=95, stop=96, policy=policy, width=64, height=48)
    assert clips.indices.tolist() == [expected]
    check_frames(clips, "h264_bframes.mp4")
    # By time: 3.9, 3.94, 3.98, then 4.02 and 4.06 past the end at 4.0.
    clips = samplers.clips_at_regular_timestamps(SAMPLES / "h264_bframes.mp4", seconds_between_clip_starts=1,
                                                 frames_per_clip=5, start=3.9, stop=3.95, policy=policy,
                                                 width=64, height=48)
    assert clips.indices.tolist() == [[97, 98, 99] + ([99, 99] if policy == "repeat_last" else [97, 98])]
    check_frames(clips, "h264_bframes.mp4")


def test_a_stop_past_the_end_is_the_end_and_a_video_shorter_than_a_clip_gets_clips_at_start():
    path = SAMPLES / "h264.ts"  # 120 frames, from 1.48 s to 6.28 s
    clips = samplers.clips_at_random_indices(path, num_clips=40, start=110, stop=1000, policy="error", seed=0,
                                             width=8, height=8)
    assert set(clips.indices.ravel().tolist()) == set(range(110, 120))  # clips start on frames that exist
    clips = samplers.clips_at_random_timestamps(path, num_clips=40, start=5.9, stop=100, policy="error", seed=0,
                                                width=8, height=8)
    assert set(clips.indices.ravel().tolist()) == set(range(110, 120))
    # 6 frames over 0.6 s: a clip of 10 frames 0.1 s apart fits nowhere, so every clip starts at start.
    short = SAMPLES / "odd_321x241_ffv1.mkv"
    expected = [[0, 1, 2, 3, 4, 5, 5, 5, 5, 5]]
    clips = samplers.clips_at_regular_timestamps(short, seconds_between_clip_starts=0.1, frames_per_clip=10,
                                                 width=8, height=8)
    assert clips.indices.tolist() == expected
    clips = samplers.clips_at_random_timestamps(short, num_clips=3, frames_per_clip=10, seed=0, width=8, height=8)
    assert clips.indices.tolist() == expected * 3
    clips = samplers.clips_at_random_indices(short, num_clips=3, frames_per_clip=10, start=2, policy="wrap",
                                             seed=0, width=8, height=8)
    assert clips.indices.tolist() == [[2, 3, 4, 5, 2, 3, 4, 5, 2, 3]] * 3


def test_policy_error_names_the_source_the_clip_and_the_frame_count():
    path = SAMPLES / "h264_bframes.mp4"
    with pytest.raises(ValueError, match=r"h264_bframes\.mp4.*clip 1 \(frames 97 to 105 by 2\).*100 frames"):
        samplers.clips_at_regular_indices(path, num_clips=2, frames_per_clip=5, frames_between=2, start=90,
                                          stop=98, policy="error")  # clips from 90 and 97
    with pytest.raises(ValueError, match=r"h264_bframes\.mp4.*clip 0 .*100 frames"):
        samplers.clips_at_random_timestamps(path, frames_per_clip=5, start=3.9, stop=3.95, policy="error")
    # Clips that fit are no error.
    assert samplers.clips_at_regular_indices(path, num_clips=3, frames_per_clip=5, policy="error",
                                             width=8, height=8).indices[-1, -1] == 99


def test_seeds_reproduce_and_a_generator_is_used_as_is():
    path = SAMPLES / "h264_opengop.mp4"
    with derenotes.VideoReader(path) as reader:
        for sampler in (samplers.clips_at_random_indices, samplers.clips_at_random_timestamps):
            one = sampler(reader, num_clips=6, frames_per_clip=3, seed=11, width=32, height=24)
            again = sampler(reader, num_clips=6, frames_per_clip=3, seed=11, width=32, height=24)
            assert np.array_equal(one.indices, again.indices) and np.array_equal(one.data, again.data)
            other = sampler(reader, num_clips=6, frames_per_clip=3, seed=12, width=32, height=24)
            assert not np.array_equal(one.indices, other.indices)
            generator = np.random.default_rng(11)
            first = sampler(reader, num_clips=6, frames_per_clip=3, seed=generator, width=32, height=24)
            second = sampler(reader, num_clips=6, frames_per_clip=3, seed=generator, width=32, height=24)
            assert np.array_equal(first.indices, one.indices)  # the generator's first draw, then its next
            assert not np.array_equal(second.indices, one.indices)
            spread = sampler(reader, num_clips=200, seed=0, width=8, height=8).indices
            assert len(set(spread.ravel().tolist())) > 60  # uniform over the range, not a few frames


def test_planar_formats_keep_get_frames_layout_with_clips_and_frames_in_front():
    path = SAMPLES / "h264_vfr.mkv"
    clips = samplers.clips_at_regular_indices(path, num_clips=3, frames_per_clip=4, format="yuv420p",
                                              width=64, height=48)
    assert isinstance(clips.data, tuple)
    assert [plane.shape for plane in clips.data] == [(3, 4, 48, 64), (3, 4, 24, 32), (3, 4, 24, 32)]
    check_frames(clips, "h264_vfr.mkv", "yuv420p", 64, 48)
    clips = samplers.clips_at_random_timestamps(path, num_clips=2, frames_per_clip=3, format="yuv444p", seed=1,
                                                width=57, height=33)
    assert clips.data.shape == (2, 3, 3, 33, 57)
    check_frames(clips, "h264_vfr.mkv", "yuv444p", 57, 33)


def test_a_path_bytes_or_file_give_what_a_reader_gives():
    path = SAMPLES / "h264_nocues.mkv"
    sample = functools.partial(samplers.clips_at_random_indices, num_clips=3, frames_per_clip=4, seed=5,
                               width=64, height=48)
    with derenotes.VideoReader(path) as reader:
        expected = sample(reader)
        assert not reader.closed
    for source in (path, str(path), path.read_bytes(), io.BytesIO(path.read_bytes())):
        clips = sample(source)
        assert np.array_equal(clips.indices, expected.indices) and np.array_equal(clips.data, expected.data)
        assert np.array_equal(clips.times, expected.times)


# ---------------------------------------------------------------------------------------------
# The calls: one get_frames each, the datasource's keywords, and errors before decoding.


class CountingReader(derenotes.VideoReader):
    """A reader that counts its get_frames calls, and may say it has no frame rate (no_fps) or
    give other frame times (times)."""

    calls, no_fps, times = 0, False, None

    def get_frames(self, *args, **kwargs):
        self.calls += 1
        return super().get_frames(*args, **kwargs)

    @property
    def fps(self):
        return None if self.no_fps else super().fps

    @property
    def frame_times(self):
        return super().frame_times if self.times is None else self.times


ALL_SAMPLERS = [
    functools.partial(samplers.clips_at_regular_indices, num_clips=3, frames_per_clip=4),
    functools.partial(samplers.clips_at_random_indices, num_clips=3, frames_per_clip=4, seed=0),
    functools.partial(samplers.clips_at_regular_timestamps, seconds_between_clip_starts=1.5, frames_per_clip=4),
    functools.partial(samplers.clips_at_random_timestamps, num_clips=3, frames_per_clip=4, seed=0),
    functools.partial(samplers.frames_at_rate, fps=5),
]


@pytest.mark.parametrize("sampler", ALL_SAMPLERS, ids=lambda sampler: sampler.func.__name__)
def test_each_sampler_decodes_in_one_get_frames_call_and_takes_the_datasources_keywords(sampler):
    with CountingReader(SAMPLES / "h264_opengop.mp4") as reader:
        clips = sampler(reader, format="rgb24", width=57, height=33)  # as derenotes.ray calls it
        assert reader.calls == 1
        assert clips.data.shape[2:] == (33, 57, 3) and clips.data.shape[:2] == clips.indices.shape
        check_frames(clips, "h264_opengop.mp4", "rgb24", 57, 33)
        with pytest.raises(dataclasses.FrozenInstanceError):
            clips.indices = None


BAD_ARGUMENTS = [
    (samplers.clips_at_regular_indices, dict(num_clips=0), "num_clips must be at least 1"),
    (samplers.clips_at_random_indices, dict(frames_per_clip=0), "frames_per_clip must be at least 1"),
    (samplers.clips_at_regular_indices, dict(frames_between=0), "frames_between must be at least 1"),
    (samplers.clips_at_random_indices, dict(policy="clamp"), "'repeat_last', 'wrap', 'error'.*'clamp'"),
    (samplers.clips_at_regular_timestamps, dict(seconds_between_clip_starts=0), "seconds_between_clip_starts"),
    (samplers.clips_at_regular_timestamps, dict(seconds_between_clip_starts=math.nan), "seconds_between_clip_starts"),
    (samplers.clips_at_random_timestamps, dict(seconds_between_frames=-0.1), "seconds_between_frames"),
    (samplers.clips_at_random_timestamps, dict(num_clips=-1), "num_clips"),
    (samplers.frames_at_rate, dict(fps=0), "fps must be positive"),
    (samplers.frames_at_rate, dict(fps=math.inf), "fps must be positive"),
]


@pytest.mark.parametrize("sampler, arguments, message", BAD_ARGUMENTS)
def test_bad_arguments_raise_before_the_file_is_opened(sampler, arguments, message):
    if sampler is samplers.clips_at_regular_timestamps:
        arguments = {"seconds_between_clip_starts": 1, **arguments}
    if sampler is samplers.frames_at_rate:
        arguments = {"fps": 1, **arguments}
    with pytest.raises(ValueError, match=message):
        sampler(SAMPLES / "no such file.mp4", **arguments)  # opening it would raise another error


BAD_RANGES = [  # on h264.ts: 120 frames, from 1.48 s to 6.28 s
    (samplers.clips_at_regular_indices, dict(start=120), r"h264\.ts.*120 frames.*start at frame 120"),
    (samplers.clips_at_random_indices, dict(start=50, stop=50), r"h264\.ts.*\[50, 50\)"),
    (samplers.clips_at_regular_indices, dict(start=-10, stop=-20), r"h264\.ts.*\[-10, -20\)"),
    (samplers.clips_at_random_timestamps, dict(start=1.0), r"h264\.ts.*before its first frame, at 1\.48 s"),
    (samplers.clips_at_random_timestamps, dict(start=math.nan), r"start must be a time in seconds, not nan"),
    (samplers.frames_at_rate, dict(fps=1, start=6.3), r"h264\.ts.*not before its end, 6\.28 s"),
    (samplers.clips_at_random_timestamps, dict(stop=math.nan), r"stop must be a time in seconds, not nan"),
    (samplers.clips_at_regular_timestamps, dict(seconds_between_clip_starts=1, start=3, stop=2),
     r"h264\.ts.*\[3\.0, 2\.0\)"),
    (samplers.frames_at_rate, dict(fps=1, start=3, stop=3), r"\[3\.0, 3\.0\)"),
]


@pytest.mark.parametrize("sampler, arguments, message", BAD_RANGES)
def test_ranges_without_a_clip_raise_before_decoding(sampler, arguments, message):
    with CountingReader(SAMPLES / "h264.ts") as reader:
        with pytest.raises(ValueError, match=message):
            sampler(reader, **arguments)
        assert reader.calls == 0


def test_time_samplers_without_a_frame_rate_or_timestamps():
    with CountingReader(SAMPLES / "h264_opengop.mp4") as reader:
        reader.no_fps = True
        with pytest.raises(ValueError, match=r"h264_opengop\.mp4' has no frame rate: give seconds_between_frames"):
            samplers.clips_at_random_timestamps(reader, frames_per_clip=2)
        assert reader.calls == 0
        # The last frame then lasts the frames' mean spacing: 4.76 / 119 = 0.04 s, so the end is 4.8 s.
        clips = samplers.clips_at_regular_timestamps(reader, seconds_between_clip_starts=1, frames_per_clip=4,
                                                     seconds_between_frames=0.04, start=4.7, stop=5,
                                                     policy="wrap", width=64, height=48)
        assert clips.indices.tolist() == [[117, 118, 119, 117]]  # 4.82 is past the end
        clips = samplers.frames_at_rate(reader, 25, start=4.7, width=64, height=48)
        assert clips.indices.tolist() == [[117, 118, 119]]  # 4.7, 4.74, 4.78: the last before 4.8
    with CountingReader(SAMPLES / "h264_opengop.mp4") as reader:
        reader.times = [None] * 120
        with pytest.raises(ValueError, match="no timestamps.*clips_at_regular_indices"):
            samplers.frames_at_rate(reader, 5)
        # Index samplers do not need times: a frame without one has time NaN.
        clips = samplers.clips_at_regular_indices(reader, num_clips=2, width=8, height=8)
        assert clips.indices.tolist() == [[0], [119]] and np.isnan(clips.times).all()
