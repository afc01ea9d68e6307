"""VideoReader and VideoFrame properties against ffprobe, iteration, streams and threads."""
import fractions
import pathlib

import numpy as np
import pytest

import derenotes
from conftest import CLIP_STREAMS, DEMO_CLIP, MANIFEST, SAMPLES, clip_id, ffprobe

# ffprobe names the codec; we name the decoder FFmpeg picked for it.
DECODER_FOR_CODEC = {"av1": "libdav1d"}


def probe_stream(path, stream):
    data = ffprobe(str(path), stream, "stream=codec_name,pix_fmt,width,height,avg_frame_rate,time_base,duration,nb_frames",
                   "format=duration")
    return data["streams"][0], data["format"]


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_stream_properties_agree_with_ffprobe_and_manifest(clip_stream):
    name, stream = clip_stream
    path = SAMPLES / name
    probed, container = probe_stream(path, stream)
    expected = MANIFEST["clips"][name]["streams"][stream]
    with derenotes.VideoReader(path, stream=stream) as reader:
        assert reader.codec == DECODER_FOR_CODEC.get(probed["codec_name"], probed["codec_name"]) == expected["codec"]
        assert reader.pix_fmt == probed["pix_fmt"] == expected["pix_fmt"]
        assert (reader.width, reader.height) == (probed["width"], probed["height"])
        assert (reader.width, reader.height) == (expected["width"], expected["height"])
        assert reader.fps == pytest.approx(float(fractions.Fraction(probed["avg_frame_rate"])))
        assert reader.fps == pytest.approx(expected["fps"])
        assert reader.time_base == fractions.Fraction(probed["time_base"])
        duration = probed.get("duration", container.get("duration"))
        if duration is None:  # a file written to a pipe cannot go back to write it
            assert reader.duration is None
        else:
            assert reader.duration == pytest.approx(float(duration), abs=1e-6)
        if "nb_frames" in probed:
            assert reader.frame_count == int(probed["nb_frames"])
        else:
            assert reader.frame_count is None


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_frame_timestamps_and_types_agree_with_ffprobe(clip_stream):
    name, stream = clip_stream
    path = SAMPLES / name
    frames = ffprobe(str(path), stream, "-show_frames", "frame=best_effort_timestamp,key_frame,pict_type")["frames"]
    with derenotes.VideoReader(path, stream=stream) as reader:
        ours = [(f.index, f.pts, f.key_frame, f.pict_type) for f in reader]
    theirs = [(i, f.get("best_effort_timestamp"), bool(f["key_frame"]), f["pict_type"]) for i, f in enumerate(frames)]
    assert ours == theirs


def test_frame_time_is_pts_in_seconds():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        for frame in reader:
            assert frame.time == pytest.approx(float(frame.pts * reader.time_base))
            assert frame.time_base == reader.time_base


def test_demo_clip_has_b_frames_in_presentation_order():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        frames = list(reader)
    assert "B" in {f.pict_type for f in frames}
    pts = [f.pts for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)
    assert frames[0].key_frame and frames[0].pict_type == "I"


def test_each_iteration_starts_again_from_the_first_frame():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        first = [(f.index, f.pts, bytes(f.planes[0])) for f in reader]
        second = [(f.index, f.pts, bytes(f.planes[0])) for f in reader]
        partial = []
        for frame in reader:
            partial.append(frame.pts)
            if len(partial) == 5:
                break
        third = [f.pts for f in reader]
    assert first == second
    assert partial == [pts for _, pts, _ in first[:5]]
    assert third == [pts for _, pts, _ in first]


def test_next_works_without_iter_and_stops_at_the_end():
    with derenotes.VideoReader(SAMPLES / "gray_ffv1.mkv") as reader:
        frames = [next(reader) for _ in range(8)]
        with pytest.raises(StopIteration):
            next(reader)
        assert [f.index for f in frames] == list(range(8))
        assert len(list(reader)) == 8  # a new iteration starts from the top


def test_stream_counts_video_streams_only():
    path = SAMPLES / "audio_first.mkv"
    with derenotes.VideoReader(path) as first, derenotes.VideoReader(path, stream=1) as second:
        assert first.video_stream_count == second.video_stream_count == 2
        assert first.stream_index == 1 and second.stream_index == 2  # stream 0 is the audio
        assert (first.codec, second.codec) == ("h264", "mjpeg")


def test_accepts_str_and_pathlike_paths_and_the_files_bytes():
    for source in (str(DEMO_CLIP), pathlib.Path(DEMO_CLIP), DEMO_CLIP.read_bytes()):
        with derenotes.VideoReader(source) as reader:
            assert reader.width == 640


def test_one_thread_and_the_default_give_identical_planes():
    with derenotes.VideoReader(DEMO_CLIP, threads=1) as single, derenotes.VideoReader(DEMO_CLIP) as automatic:
        count = 0
        for a, b in zip(single, automatic):
            assert a.pts == b.pts and len(a.planes) == len(b.planes)
            for pa, pb in zip(a.planes, b.planes):
                np.testing.assert_array_equal(np.asarray(pa), np.asarray(pb))
            count += 1
        assert next(single, None) is None and next(automatic, None) is None  # both ended together
    assert count == 100
    with derenotes.VideoReader(DEMO_CLIP, threads=3) as reader:
        assert sum(1 for _ in reader) == 100


def test_close_is_idempotent_and_a_closed_reader_refuses_use():
    reader = derenotes.VideoReader(DEMO_CLIP)
    with reader:
        assert not reader.closed
    assert reader.closed
    reader.close()
    for use in (lambda: next(reader), lambda: iter(reader), lambda: reader.width, lambda: reader.__enter__()):
        with pytest.raises(ValueError, match="closed"):
            use()
    assert "closed" in repr(reader)


def test_local_names_with_colons_are_files_not_protocols(tmp_path):
    path = tmp_path / "12:30 take:2.mkv"
    path.write_bytes((SAMPLES / "gray_ffv1.mkv").read_bytes())
    with derenotes.VideoReader(path) as reader:
        assert sum(1 for _ in reader) == 8


def test_one_reader_in_two_threads_raises_instead_of_crashing():
    import threading

    outcomes = []
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        def drain():
            try:
                while next(reader, None) is not None:
                    pass
                outcomes.append("done")
            except RuntimeError as error:
                assert "another thread" in str(error)
                outcomes.append("refused")

        threads = [threading.Thread(target=drain) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert "done" in outcomes and set(outcomes) <= {"done", "refused"}
