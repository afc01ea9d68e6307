"""Random access: reader[i] is byte for byte the i-th frame of sequential decoding (itself checked
against the ffmpeg CLI in test_oracle.py), for every frame of every sample, asked in random order."""
import hashlib
import random

import pytest

import derenotes
from conftest import CLIP_STREAMS, MANIFEST, SAMPLES, clip_id, frame_bytes


def sequential(path, stream=0):
    """(time, key_frame, sha1 of the pixels) of every frame, by iterating."""
    with derenotes.VideoReader(path, stream=stream) as reader:
        return [(frame.time, frame.key_frame, hashlib.sha1(frame_bytes(frame)).hexdigest()) for frame in reader]


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_every_frame_by_index_in_random_order_equals_sequential_decoding(clip_stream):
    name, stream = clip_stream
    expected = sequential(SAMPLES / name, stream)
    assert len(expected) == MANIFEST["clips"][name]["streams"][stream]["frames"]
    with derenotes.VideoReader(SAMPLES / name, stream=stream) as reader:
        assert len(reader) == len(expected)
        assert reader.frame_times == [time for time, _, _ in expected]
        assert reader.keyframes == [i for i, (_, key, _) in enumerate(expected) if key]
        order = list(range(len(expected)))
        random.Random(name).shuffle(order)
        for i in order:
            frame = reader[i]
            assert frame.index == i
            assert (frame.time, frame.key_frame, hashlib.sha1(frame_bytes(frame)).hexdigest()) == expected[i], i


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_sparse_batches_equal_sequential_decoding(clip_stream):
    # get_frames lets the decoder drop the unreferenced frames it was not asked for (H.264, HEVC):
    # the frames asked for, and their numbers, must not change, however sparse the batch.
    name, stream = clip_stream
    expected = sequential(SAMPLES / name, stream)
    count = len(expected)
    draws = random.Random(name)
    for asked in (list(range(1, count, 5)), draws.sample(range(count), max(1, count // 8))):
        with derenotes.VideoReader(SAMPLES / name, stream=stream) as reader:
            frames = reader.get_frames(asked)
            assert [frame.index for frame in frames] == asked
            got = [(frame.time, frame.key_frame, hashlib.sha1(frame_bytes(frame)).hexdigest()) for frame in frames]
            assert got == [expected[i] for i in asked]


@pytest.mark.parametrize("name", ["h264_bframes.mp4", "h264_opengop.mp4", "hevc_opengop.mp4", "h264.ts",
                                  "h264_nocues.mkv", "h264_damaged.mp4"])
def test_sparse_batches_decode_fewer_frames_and_stay_exact(name):
    expected = sequential(SAMPLES / name)
    asked = list(range(2, len(expected), 10))
    with derenotes.VideoReader(SAMPLES / name, threads=1) as reader:
        got = [hashlib.sha1(frame_bytes(frame)).hexdigest() for frame in reader.get_frames(asked)]
        assert got == [expected[i][2] for i in asked]
        done = reader._random_access_statistics()
        assert done["skipped"] > 0
        # Nothing decoded again from the beginning, but to number the damaged clip's frames.
        assert done["passes"] == (name == "h264_damaged.mp4")
        # One frame at a time, with no batch to plan for, none is dropped.
        before = reader._random_access_statistics()["skipped"]
        assert [hashlib.sha1(frame_bytes(reader[i])).hexdigest() for i in (7, 3)] == [expected[7][2], expected[3][2]]
        assert reader._random_access_statistics()["skipped"] == before


@pytest.mark.parametrize("name", ["h264_opengop.mp4", "hevc_opengop.mp4", "h264.ts", "h264_nocues.mkv"])
def test_batches_and_slices_give_the_frames_asked_in_the_order_asked(name):
    expected = sequential(SAMPLES / name)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        asked = [100, 3, 57, 3, -1, 24, 23, 119, 0]
        frames = reader.get_frames(asked)
        assert [frame.index for frame in frames] == [i % len(expected) for i in asked]
        assert frames[1] is frames[3]  # a duplicate is the same frame, decoded once
        for i, frame in zip(asked, frames):
            assert hashlib.sha1(frame_bytes(frame)).hexdigest() == expected[i][2]
        assert [frame.index for frame in reader[10:40:7]] == list(range(10, 40, 7))
        assert [frame.index for frame in reader[::-30]] == list(range(len(expected) - 1, -1, -30))
        assert reader[-len(expected)].index == 0
        for bad in (len(expected), -len(expected) - 1):
            with pytest.raises(IndexError, match="out of range"):
                reader[bad]
        with pytest.raises(IndexError):
            reader.get_frames([0, len(expected)])
        with pytest.raises(TypeError):
            reader[1.5]


@pytest.mark.parametrize("name", ["h264_vfr.mkv", "h264_editlist.mp4", "vp9_keyframes.webm"])
def test_frame_at_gives_the_frame_on_screen_at_that_time(name):
    times = [time for time, _, _ in sequential(SAMPLES / name)]
    with derenotes.VideoReader(SAMPLES / name) as reader:
        for i in (0, 1, 2, 3, len(times) // 2, len(times) - 1):
            assert reader.frame_at(times[i]).index == i
            if i + 1 < len(times):
                between = (times[i] + times[i + 1]) / 2
                assert reader.frame_at(between).index == i
        asked = [times[5], times[1], times[-1], times[5]]
        assert [frame.index for frame in reader.frames_at(asked)] == [5, 1, len(times) - 1, 5]
        assert reader.frame_indices_at(asked) == [5, 1, len(times) - 1, 5]
        with pytest.raises(IndexError, match="first frame"):
            reader.frame_at(times[0] - 0.001)
        with pytest.raises(IndexError, match="last frame ends"):
            reader.frame_at(times[-1] + 10)


def test_random_access_leaves_an_iteration_in_progress_undisturbed():
    path = SAMPLES / "h264_opengop.mp4"
    expected = sequential(path)
    with derenotes.VideoReader(path) as reader:
        seen = []
        for frame in reader:
            seen.append(hashlib.sha1(frame_bytes(frame)).hexdigest())
            if frame.index == 30:
                assert reader[100].index == 100 and reader[2].index == 2
        assert seen == [digest for _, _, digest in expected]
        reader[60]
        assert [frame.index for frame in reader][:3] == [0, 1, 2]  # a new iteration starts at the first frame


def test_random_access_after_close_is_refused():
    reader = derenotes.VideoReader(SAMPLES / "vp9_keyframes.webm")
    frame = reader[50]
    reader.close()
    assert frame.index == 50 and bytes(frame.planes[0])  # frames taken stay valid
    with pytest.raises(ValueError, match="closed"):
        reader[0]
    with pytest.raises(ValueError, match="closed"):
        len(reader)


def test_iteration_after_random_access_starts_from_the_first_frame():
    # Random access took the reader's unused decoder: iteration opens another, from the top.
    path = SAMPLES / "hevc_opengop.mp4"
    expected = sequential(path)
    with derenotes.VideoReader(path) as reader:
        assert reader[70].index == 70 and len(reader) == len(expected)
        assert (reader.width, reader.height, reader.codec, reader.decode_errors) == (160, 120, "hevc", 0)
        assert next(reader).index == 0
        assert [hashlib.sha1(frame_bytes(frame)).hexdigest() for frame in reader] == [d for _, _, d in expected]
        assert reader[119].index == 119
