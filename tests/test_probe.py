"""probe() against ffprobe on every sample, field by field; VideoReader's metadata properties
against probe(); to_ndarray(rotate=True) against the ffmpeg CLI's autorotate, byte for byte."""
import functools
import io
import json
import math
import subprocess
from fractions import Fraction

import numpy as np
import pytest

import derenotes
from conftest import CLIP_STREAMS, MANIFEST, SAMPLES, as_the_oracle_demuxes, clip_id, hls_needs_its_extension

EVERY_SAMPLE = [*MANIFEST["clips"], *MANIFEST["regressions"]]
# The display matrix samples: how a player turns them (clockwise degrees) and whether it mirrors.
DISPLAY_MATRICES = {"rotate90.mp4": (90, False), "rotate180.mp4": (180, False), "rotate270.mp4": (270, False),
                    "hflip.mp4": (180, True), "transpose.mp4": (90, True)}


def ffprobe_all(path):
    args = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    return json.loads(subprocess.run(args, check=True, capture_output=True).stdout)


def known(value):
    return None if value in (None, "unknown", "N/A") else value


def number(value, kind=int):
    value = known(value)
    return None if value is None else kind(value)


def rate(value):
    num, den = map(int, value.split("/"))
    return Fraction(num, den) if num > 0 and den > 0 else None


def display_matrix(stream):
    """ffprobe's (rotation, matrix) of the stream's display matrix side data, or None."""
    for side_data in stream.get("side_data_list", []):
        if side_data.get("side_data_type") == "Display Matrix":
            rows = [line.split(":")[1].split() for line in side_data["displaymatrix"].strip().splitlines()]
            return side_data["rotation"], [int(value) for row in rows for value in row]
    return None


def expected_stream(stream):
    """What probe() should say of a stream, from ffprobe's JSON."""
    tags = stream.get("tags", {})
    profile = known(stream.get("profile"))
    expected = dict(index=stream["index"], kind=stream.get("codec_type", "unknown"),
                    codec=known(stream.get("codec_name")),
                    codec_tag=None if int(stream["codec_tag"], 16) == 0 else stream["codec_tag_string"],
                    profile=None if profile is None or profile.lstrip("-").isdigit() else profile,
                    duration=number(stream.get("duration"), float), bit_rate=number(stream.get("bit_rate")),
                    frame_count=number(stream.get("nb_frames")) or None,
                    language=tags.get("language"), title=tags.get("title"), filename=tags.get("filename"),
                    mimetype=tags.get("mimetype"))
    video = expected["kind"] == "video"
    audio = expected["kind"] == "audio"
    sar = known(stream.get("sample_aspect_ratio"))
    rotation, flipped = (0, False) if video else (None, None)
    if video and display_matrix(stream):
        angle, m = display_matrix(stream)
        rotation = -angle % 360  # ffprobe's angle is counter-clockwise
        flipped = m[0] * m[4] - m[1] * m[3] < 0
    expected.update(
        width=stream["width"] if video else None, height=stream["height"] if video else None,
        pix_fmt=known(stream.get("pix_fmt")) if video else None,
        avg_frame_rate=rate(stream["avg_frame_rate"]) if video else None,
        r_frame_rate=rate(stream["r_frame_rate"]) if video else None,
        sample_aspect_ratio=rate(sar.replace(":", "/")) if video and sar else None,
        rotation=rotation, flipped=flipped,
        color_range=known(stream.get("color_range")), color_space=known(stream.get("color_space")),
        color_primaries=known(stream.get("color_primaries")), color_transfer=known(stream.get("color_transfer")),
        field_order=known(stream.get("field_order")),
        sample_rate=number(stream.get("sample_rate")) if audio else None,
        channels=stream.get("channels") if audio else None,
        channel_layout=known(stream.get("channel_layout")) if audio else None,
        sample_fmt=known(stream.get("sample_fmt")) if audio else None)
    return expected


def close(a, b):
    return a == b or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-6))


@pytest.mark.parametrize("name", EVERY_SAMPLE)
def test_probe_matches_ffprobe(name):
    info = derenotes.probe(SAMPLES / name)
    oracle = ffprobe_all(SAMPLES / name)
    fmt = oracle["format"]
    assert (info.format, info.format_long_name) == (fmt["format_name"], fmt.get("format_long_name"))
    assert close(info.duration, number(fmt.get("duration"), float))
    assert info.bit_rate == number(fmt.get("bit_rate"))
    assert len(info.streams) == fmt["nb_streams"] == len(oracle["streams"])
    for stream, theirs in zip(info.streams, oracle["streams"]):
        ours, expected = stream.to_dict(), expected_stream(theirs)
        expected = {key: f"{value.numerator}/{value.denominator}" if isinstance(value, Fraction) else value
                    for key, value in expected.items()}
        assert close(ours.pop("duration"), expected.pop("duration")), stream
        assert ours == expected


def test_the_samples_have_streams_of_every_kind():
    # So that the comparison above covers each kind: the samples hold every kind probe() names.
    kinds = {stream.kind for name in EVERY_SAMPLE for stream in derenotes.probe(SAMPLES / name).streams}
    assert kinds == {"video", "audio", "subtitle", "data", "attachment"}


@pytest.mark.parametrize("name", [name for name, clip in MANIFEST["clips"].items() if "other_streams" in clip])
def test_probe_lists_the_streams_the_sample_was_made_with(name):
    # The manifest says what the encoder was asked for, apart from ffprobe.
    clip, info = MANIFEST["clips"][name], derenotes.probe(SAMPLES / name)
    assert [(s.codec, s.sample_rate) for s in info.audio] == [(a["codec"], a["sample_rate"]) for a in clip["audio_streams"]]
    for stream, expected in zip(info.audio, clip["audio_streams"]):
        assert (stream.language, stream.title) == (expected.get("language"), expected.get("title"))
    others = [stream for stream in info.streams if stream.kind not in ("video", "audio")]
    assert len(others) == len(clip["other_streams"])
    for stream, expected in zip(others, map(as_the_oracle_demuxes, clip["other_streams"])):
        expected = {"codec_tag" if key == "codec_tag_string" else key: value for key, value in expected.items()}
        assert {key: getattr(stream, key) for key in expected} == expected
    assert info.subtitles == tuple(s for s in info.streams if s.kind == "subtitle")
    assert info.attachments == tuple(s for s in info.streams if s.kind == "attachment")


@pytest.mark.parametrize("name", DISPLAY_MATRICES)
def test_the_display_matrix_samples_turn_as_named(name):
    # The convention itself, apart from ffprobe's: rotate90.mp4 is a phone's upright video.
    (stream,) = derenotes.probe(SAMPLES / name).streams
    assert (stream.rotation, stream.flipped) == DISPLAY_MATRICES[name]


def test_colour_hdr_sar_and_interlaced_samples():
    def video(name):
        return derenotes.probe(SAMPLES / name).video[0]
    pq, hlg, interlaced = video("hevc_pq.mp4"), video("h264_hlg_sar.mkv"), video("mpeg2_interlaced.mkv")
    assert (pq.color_transfer, pq.color_primaries, pq.color_space, pq.color_range) == (
        "smpte2084", "bt2020", "bt2020nc", "tv")
    assert (hlg.color_transfer, hlg.color_range, hlg.sample_aspect_ratio) == ("arib-std-b67", "pc", Fraction(4, 3))
    assert (interlaced.field_order, interlaced.color_space) == ("tt", "bt709")
    # FFmpeg 4.3 leaves this H.264 stream's field order unknown, and its ffprobe prints none.
    known_order = "field_order" in ffprobe_all(SAMPLES / "h264_bframes.mp4")["streams"][0]
    assert video("h264_bframes.mp4").field_order == ("progressive" if known_order else None)


@pytest.mark.parametrize("clip", CLIP_STREAMS, ids=clip_id)
def test_the_reader_shows_what_probe_says(clip):
    name, number = clip
    stream = derenotes.probe(SAMPLES / name).video[number]
    with derenotes.VideoReader(SAMPLES / name, stream=number) as reader:
        assert reader.stream_index == stream.index
        shown = {field: getattr(reader, field) for field in (
            "rotation", "flipped", "sample_aspect_ratio", "color_range", "color_space", "color_primaries",
            "color_transfer", "field_order")}
    assert shown == {field: getattr(stream, field) for field in shown}


@pytest.mark.parametrize("name", EVERY_SAMPLE)
def test_every_reader_counts_the_files_streams_and_frames_as_ffprobe(name):
    """Each reader sees the whole file: how many video and audio streams it has (what `derenotes
    check` plans its work from) and its own stream's header frame count."""
    streams = ffprobe_all(SAMPLES / name)["streams"]
    counts = {kind: sum(stream["codec_type"] == kind for stream in streams) for kind in ("video", "audio")}
    decodable = [stream for stream in streams if stream["codec_type"] in counts and stream.get("codec_name")]
    if not decodable:
        pytest.skip("no video or audio stream")
    readers = {"video": derenotes.VideoReader, "audio": derenotes.AudioReader}
    opened = 0
    for stream in decodable:
        among_its_kind = sum(other["codec_type"] == stream["codec_type"] for other in streams[:stream["index"]])
        try:
            reader = readers[stream["codec_type"]](SAMPLES / name, stream=among_its_kind)
        except derenotes.DerenotesError:
            continue  # a stream the reader refuses (test_untrusted_inputs covers those)
        with reader:
            opened += 1
            assert reader.stream_index == stream["index"]
            assert (reader.video_stream_count, reader.audio_stream_count) == (counts["video"], counts["audio"])
            assert reader.frame_count == (number(stream.get("nb_frames")) or None)
    if not opened:
        pytest.skip("the reader refuses every stream")


def test_probe_reads_bytes_and_file_objects_as_the_path():
    path = SAMPLES / "audio_first.mkv"
    by_path = derenotes.probe(path)
    with open(path, "rb") as file:
        by_file = derenotes.probe(file)
    by_bytes = derenotes.probe(path.read_bytes())
    by_bytesio = derenotes.probe(io.BytesIO(path.read_bytes()))
    assert by_path.name == str(path) and by_bytes.name.startswith("<bytes")
    for other in (by_file, by_bytes, by_bytesio):
        assert other.streams == by_path.streams
        assert (other.format, other.duration, other.bit_rate) == (by_path.format, by_path.duration, by_path.bit_rate)
    assert [stream.kind for stream in by_path.streams] == ["audio", "video", "video"]
    assert [stream.index for stream in by_path.video] == [1, 2]
    json.dumps(by_path.to_dict())  # plain values only


def test_probe_refuses_a_playlist_as_the_reader_does(tmp_path):
    playlist = tmp_path / "upload.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1,\n{SAMPLES / 'h264.ts'}\n#EXT-X-ENDLIST\n")
    if hls_needs_its_extension():  # FFmpeg 7.1 and later: no video under that name, as the reader says
        for source in (playlist, playlist.read_bytes()):
            for allowed in (False, True):
                with pytest.raises(derenotes.DecodeError) as refused:
                    derenotes.probe(source, allow_nested=allowed)
                assert not isinstance(refused.value, derenotes.UnsafeInputError)
        return
    with pytest.raises(derenotes.UnsafeInputError):
        derenotes.probe(playlist)
    with pytest.raises(derenotes.UnsafeInputError):
        derenotes.probe(playlist.read_bytes())
    assert derenotes.probe(playlist, allow_nested=True).video[0].codec == "h264"


def test_probe_checks_its_options():
    with pytest.raises(ValueError):
        derenotes.probe(SAMPLES / "h264.ts", max_streams=0)
    with pytest.raises(derenotes.LimitExceededError):
        derenotes.probe(SAMPLES / "audio_first.mkv", max_streams=2)
    with pytest.raises(TypeError):
        derenotes.probe(42)


# The filters the CLI's autorotate inserts for the mirrored samples from FFmpeg 5.1 on. FFmpeg 4.3's
# turns by the matrix's angle alone and drops the mirror (hflip.mp4 turned 180 degrees).
MIRROR_FILTERS = {"hflip.mp4": "hflip", "transpose.mp4": "transpose=cclock_flip"}


def cli_frames(path, pix_fmt="rgb24", input_options=(), filters=None):
    args = ["ffmpeg", "-v", "error", "-nostdin", *input_options, "-i", str(path)]
    args += ["-vf", filters] if filters else []
    return subprocess.run(args + ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"], check=True, capture_output=True).stdout


@functools.lru_cache(maxsize=None)
def cli_autorotate_mirrors():
    """Whether the oracle CLI's autorotate applies a display matrix's mirror, or only its angle
    (FFmpeg 4.3): its frames of transpose.mp4 against a mere quarter turn clockwise."""
    path = SAMPLES / "transpose.mp4"
    return cli_frames(path) != cli_frames(path, input_options=["-noautorotate"], filters="transpose=clock")


def autorotated(path, pix_fmt="rgb24"):
    """The ffmpeg CLI's frames with its autorotate (the default): the display matrix applied. From a
    CLI that drops mirrors, a mirrored sample's are those of the filters later CLIs insert."""
    if path.name in MIRROR_FILTERS and not cli_autorotate_mirrors():
        return cli_frames(path, pix_fmt, ["-noautorotate"], MIRROR_FILTERS[path.name])
    return cli_frames(path, pix_fmt)


@pytest.mark.parametrize("name", DISPLAY_MATRICES)
@pytest.mark.parametrize("pix_fmt", ["rgb24", "yuv420p", "gray"])
def test_rotate_matches_the_cli_autorotate(name, pix_fmt):
    expected = autorotated(SAMPLES / name, pix_fmt)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        frames = list(reader)
        arrays = [frame.to_ndarray(pix_fmt, rotate=True) for frame in frames]
        plain = frames[0].to_ndarray(pix_fmt)
    data = b"".join(b"".join(a.tobytes() for a in array) if isinstance(array, tuple) else array.tobytes()
                    for array in arrays)
    assert data == expected
    first = arrays[0][0] if isinstance(arrays[0], tuple) else arrays[0]
    plain = plain[0] if isinstance(plain, tuple) else plain
    turned = DISPLAY_MATRICES[name][0] in (90, 270)
    assert first.shape[:2] == (plain.shape[1::-1] if turned else plain.shape[:2])


@pytest.mark.parametrize("name", DISPLAY_MATRICES)
def test_the_reader_rotate_default(name):
    expected = autorotated(SAMPLES / name)
    with derenotes.VideoReader(SAMPLES / name, rotate=True) as reader:
        assert reader.rotate is True
        assert b"".join(frame.to_ndarray().tobytes() for frame in reader) == expected
        batch = reader.get_frames(range(len(reader)), format="rgb24")
        assert batch.tobytes() == expected
        assert not np.array_equal(reader[0].to_ndarray(rotate=False), batch[0])  # none of them is left alone
        out = np.zeros_like(batch[1])
        assert reader[1].to_ndarray(out=out) is out and np.array_equal(out, batch[1])


def test_rotate_sizes_are_the_turned_pictures():
    with derenotes.VideoReader(SAMPLES / "rotate90.mp4", rotate=True, width=24, height=32) as reader:
        assert reader.get_frames([0, 1], format="rgb24").shape == (2, 32, 24, 3)
        assert next(iter(reader)).to_ndarray("rgb24", width=48, height=64).shape == (64, 48, 3)


def test_rotate_refuses_a_format_it_cannot_turn():
    with derenotes.VideoReader(SAMPLES / "rotate90.mp4", rotate=True) as reader:
        frame = next(iter(reader))
        with pytest.raises(ValueError, match="subsampled"):
            frame.to_ndarray("yuv422p")
        assert frame.to_ndarray("yuv422p", rotate=False)[0].shape == (48, 64)


def test_rotate_leaves_an_unturned_stream_alone():
    with derenotes.VideoReader(SAMPLES / "h264_bframes.mp4", rotate=True) as reader:
        frame = next(iter(reader))
        assert (reader.rotation, reader.flipped) == (0, False)
        assert np.array_equal(frame.to_ndarray(), frame.to_ndarray(rotate=False))
