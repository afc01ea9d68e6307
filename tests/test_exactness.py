"""Exact on files whose containers do not tell the truth (samples/make_samples.py REGRESSIONS):
random access gives the frame iteration gives at that index, whatever the packets say, and the
frame count and times follow what decoding shows. Iteration itself is checked against the CLI."""
import hashlib
import logging
import math
import random

import numpy as np
import pytest

import derenotes
from conftest import MANIFEST, SAMPLES, ffmpeg_raw_frames, frame_bytes

REGRESSIONS = sorted(MANIFEST["regressions"])


def iterate(path):
    """(time, sha1 of the pixels) of every frame iteration gives, stopping where it raises
    DecodeError (a damaged end: the frames before it are the stream's)."""
    frames = []
    try:
        for frame in derenotes.VideoReader(path):
            frames.append((frame.time, hashlib.sha1(frame_bytes(frame)).hexdigest()))
    except derenotes.DecodeError:
        pass
    return frames


def described(frame):
    return frame.time, hashlib.sha1(frame_bytes(frame)).hexdigest()


@pytest.mark.parametrize("name", REGRESSIONS)
def test_iteration_gives_the_frames_the_cli_decodes(name):
    stream = MANIFEST["regressions"][name]["streams"][0]
    expected = ffmpeg_raw_frames(str(SAMPLES / name), 0, stream["pix_fmt"])
    frames = []
    try:
        for frame in derenotes.VideoReader(SAMPLES / name):
            frames.append(frame_bytes(frame))
    except derenotes.DecodeError:
        pass
    assert len(frames) == stream["frames"]
    assert b"".join(frames) == expected


@pytest.mark.parametrize("name", REGRESSIONS)
def test_every_frame_in_random_order_is_the_one_iteration_gives(name):
    expected = iterate(SAMPLES / name)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        order = list(range(len(expected)))
        random.Random(name).shuffle(order)
        for i in order:
            frame = reader[i]
            assert frame.index == i
            assert described(frame) == expected[i], i
        # Whatever the packets said, the count and times are what decoding showed by now.
        assert len(reader) == len(expected)
        assert reader.frame_times == [time for time, _ in expected]
    with derenotes.VideoReader(SAMPLES / name) as reader:  # backwards, after the last frame
        for i in [len(expected) - 1, *range(0, len(expected), 7)]:
            assert described(reader[i]) == expected[i], i
    with derenotes.VideoReader(SAMPLES / name) as reader:
        asked = [random.Random(i).randrange(len(expected)) for i in range(20)]
        assert [described(frame) for frame in reader.get_frames(asked)] == [expected[i] for i in asked]


@pytest.mark.parametrize("name", ["pal8_raw.mov", "pal8_raw.avi"])
def test_random_access_keeps_the_palette_the_demuxer_attached_to_the_first_packet(name):
    palettes = [np.asarray(frame.planes[1]).copy() for frame in derenotes.VideoReader(SAMPLES / name)]
    assert palettes[5][1:3].any()  # a real palette, not zeros
    with derenotes.VideoReader(SAMPLES / name) as reader:
        for i in (5, 12, 3, 19, 0):
            np.testing.assert_array_equal(np.asarray(reader[i].planes[1]), palettes[i])


def test_timestamps_the_decoder_replaces_are_learned_before_any_frame_is_asked(caplog):
    # B-frames, but the MP4 lost its composition offsets: every packet's pts is its dts.
    times = [time for time, _ in iterate(SAMPLES / "mpeg4_noctts.mp4")]
    with caplog.at_level(logging.WARNING, logger="derenotes"):
        with derenotes.VideoReader(SAMPLES / "mpeg4_noctts.mp4") as reader:
            assert reader.frame_times == times
            assert len(reader) == len(times)
            assert reader.frame_at(times[1]).index == 1
    assert "decoded the whole stream once" in caplog.text


def test_a_packet_that_decodes_to_nothing_does_not_shift_the_frames_after_it(caplog):
    # One GOP; packet 31 (a B-frame) is broken: iteration gives 59 frames, the packets list 60.
    expected = iterate(SAMPLES / "h264_damaged.mp4")
    assert len(expected) == 59
    with caplog.at_level(logging.WARNING, logger="derenotes"):
        with derenotes.VideoReader(SAMPLES / "h264_damaged.mp4") as reader:
            assert described(reader[40]) == expected[40]  # was iteration's frame 41
            assert len(reader) == 59 and reader.frame_times == [time for time, _ in expected]
            assert described(reader[-1]) == expected[-1]
    assert "decoded the whole stream once to number its 59 frames" in caplog.text


def test_frames_before_the_first_key_frame_that_the_decoder_shows_are_counted(caplog):
    # A stream copy cut between key frames: 7 frames before the first key frame, which the MPEG-4
    # decoder shows (from a grey picture) and no seek can reach.
    expected = iterate(SAMPLES / "mpeg4_cut_mid_gop.mkv")
    with caplog.at_level(logging.WARNING, logger="derenotes"):
        with derenotes.VideoReader(SAMPLES / "mpeg4_cut_mid_gop.mkv") as reader:
            assert len(reader) == len(expected) == 55
            assert reader.frame_times == [time for time, _ in expected]
            assert described(reader[3]) == expected[3] and described(reader[30]) == expected[30]
    assert "decoded the whole stream once" in caplog.text


@pytest.mark.parametrize("name", ["h264_damaged.mp4", "h264_damaged_pyramid.mp4", "h264_truncated.mp4"])
def test_sparse_batches_of_damaged_files_are_the_frames_iteration_gives(name):
    # get_frames lets the decoder drop unreferenced frames not asked for; around damage that
    # would change the frames the decoder conceals (from the pictures it decoded last) and hide a
    # packet that makes no frame. The B-pyramid clip's broken reference B-frame is concealed in
    # the B-frames that refer to it.
    expected = iterate(SAMPLES / name)
    draws = random.Random(name)
    for _ in range(30):
        asked = sorted(draws.sample(range(len(expected)), 10))
        with derenotes.VideoReader(SAMPLES / name) as reader:
            assert [described(frame) for frame in reader.get_frames(asked)] == [expected[i] for i in asked], asked


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("name", ["h264_truncated.mp4", "h264_damaged.mp4"])
def test_damage_at_the_end_or_inside_reads_alike_with_any_thread_count(name, threads):
    # With some thread counts FFmpeg reports a frame thread's error on the last packets when it is
    # told the input ended: that is damage to count, not a reason to stop (it raised before).
    expected = [(frame.time, hashlib.sha1(frame_bytes(frame)).hexdigest())
                for frame in derenotes.VideoReader(SAMPLES / name, threads=1)]
    with derenotes.VideoReader(SAMPLES / name, threads=threads) as reader:
        assert [described(frame) for frame in reader] == expected
        assert [described(frame) for frame in reader.get_frames(range(len(expected)))] == expected


def test_a_file_cut_short_has_the_frames_iteration_gives_from_the_start():
    expected = iterate(SAMPLES / "h264_truncated.mp4")
    with derenotes.VideoReader(SAMPLES / "h264_truncated.mp4") as reader:
        assert len(reader) == len(expected) == 59  # its last packet was flagged damaged: checked
        assert described(reader[-1]) == expected[-1]
        with pytest.raises(derenotes.FrameNotFoundError):
            reader[59]


def test_a_damaged_file_reads_up_to_where_iteration_stops_and_seeks_that_fail_fall_back():
    expected = iterate(SAMPLES / "rv20_damaged.rm")
    with pytest.raises(derenotes.DecodeError):
        for _ in derenotes.VideoReader(SAMPLES / "rv20_damaged.rm"):
            pass
    with derenotes.VideoReader(SAMPLES / "rv20_damaged.rm") as reader:
        assert len(reader) == len(expected) == 56
        for i in (40, 9, 55, 0, 30):  # forward, then back: seeks fail here
            assert described(reader[i]) == expected[i]


def test_a_damaged_key_frame_is_looked_for_again_from_an_earlier_one():
    # Cinepak whose last key frame is junk: iteration gives the frames after it from those before.
    expected = iterate(SAMPLES / "cinepak_badkey.mov")
    for i in (46, 40, 36):
        with derenotes.VideoReader(SAMPLES / "cinepak_badkey.mov") as reader:  # fresh each time
            assert described(reader[i]) == expected[i]


def test_packets_flagged_key_that_are_not_are_not_decoded_from():
    expected = iterate(SAMPLES / "zmbv_allkeys.avi")
    with derenotes.VideoReader(SAMPLES / "zmbv_allkeys.avi") as reader:
        assert reader.keyframes == list(range(40))  # as the index says
        for i in (16, 4, 36, 8):
            assert described(reader[i]) == expected[i]


def test_frame_at_finds_the_last_frame_without_its_duration_from_the_guessed_rate():
    # No packet has a duration and the average rate is unknown; FFmpeg guesses 30/1.
    times = [time for time, _ in iterate(SAMPLES / "vp9_nodurations.webm")]
    with derenotes.VideoReader(SAMPLES / "vp9_nodurations.webm") as reader:
        assert reader.fps == 30.0
        assert reader.frame_at(times[-1]).index == len(times) - 1
        assert reader.frame_at(times[-1] + 1 / 30 - 1e-6).index == len(times) - 1
        with pytest.raises(derenotes.FrameNotFoundError, match="last frame ends"):
            reader.frame_at(times[-1] + 1 / 30)


@pytest.mark.parametrize("bad", [math.nan, float("-nan")])
def test_frame_at_nan_is_a_value_error(bad):
    with derenotes.VideoReader(SAMPLES / "h264_vfr.mkv") as reader:
        with pytest.raises(ValueError, match="NaN"):
            reader.frame_at(bad)
        with pytest.raises(ValueError, match="NaN"):
            reader.frames_at([0.05, bad])


def test_index_decode_learns_the_frames_by_decoding_them_all():
    expected = iterate(SAMPLES / "h264_damaged.mp4")
    with derenotes.VideoReader(SAMPLES / "h264_damaged.mp4", index="decode") as reader:
        assert len(reader) == 59 and reader.frame_times == [time for time, _ in expected]
        assert described(reader[45]) == expected[45]
    with pytest.raises(ValueError, match="index"):
        derenotes.VideoReader(SAMPLES / "h264_damaged.mp4", index="guess")


@pytest.mark.parametrize("name", ["h264_bframes.mp4", "h264_opengop.mp4", "hevc_opengop.mp4", "h264.ts",
                                  "h264_vfr.mkv", "vp9_keyframes.webm", "h264_editlist.mp4", "rgba_png.mov"])
def test_well_made_files_are_never_decoded_whole_for_their_index(name, caplog):
    with caplog.at_level(logging.WARNING, logger="derenotes"):
        with derenotes.VideoReader(SAMPLES / name) as reader:
            for i in random.Random(name).sample(range(len(reader)), min(len(reader), 12)):
                reader[i]
    assert "decoded the whole stream" not in caplog.text and "seeking fails" not in caplog.text
