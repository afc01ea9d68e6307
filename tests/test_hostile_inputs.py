"""Hostile and damaged files: each gets frames equal to the ffmpeg CLI's or an exception naming
the file and FFmpeg's reason, never a crash or a silently wrong picture (docs/robustness.md).

Decoding runs in a child process, so that a crash fails one test instead of the whole run."""
import hashlib
import json
import logging
import os
import struct
import subprocess
import textwrap

import pytest

import derenotes
from conftest import CLIP_FFMPEG, MANIFEST, SAMPLES, ffmpeg_raw_frames, run_isolated

# The child: decodes a file (opening it again after each step of `actions`, see below) and
# prints one JSON line per frame, then how decoding ended.
DECODE_REPORT = """
    import hashlib, json, os, sys
    import derenotes
    from conftest import frame_bytes

    def report(**fields):
        print(json.dumps(fields), flush=True)

    path = sys.argv[1]
    # Optional: after N frames, do something to the file ("delete", or "shrink:<bytes>").
    at, action = (int(sys.argv[2]), sys.argv[3]) if len(sys.argv) > 3 else (-1, "")
    try:
        with derenotes.VideoReader(path, threads=1) as reader:
            for frame in reader:
                if frame.index == at:
                    if action == "delete":
                        os.unlink(path)
                    else:
                        os.truncate(path, int(action.split(":")[1]))
                report(pts=frame.pts, corrupt=frame.corrupt,
                       sha1=hashlib.sha1(frame_bytes(frame)).hexdigest())
        report(end="end")
    except derenotes.DerenotesError as error:
        report(end=type(error).__name__, message=str(error), path=error.path, reason=error.reason)
    """


def decode_in_child(path, *action, log_level=logging.WARNING):
    code = f"import derenotes; derenotes.set_log_level({log_level!r})\n" + textwrap.dedent(DECODE_REPORT)
    result = run_isolated(code, path, *action)
    assert result.returncode == 0, f"the child died ({result.returncode}): {result.stderr[-3000:]}"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines[:-1], lines[-1]


def ffmpeg_frames_by_pts(path, pix_fmt):
    """{pts: sha1 of the frame} for every frame the ffmpeg CLI decodes from the whole file."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "frame=best_effort_timestamp", "-of", "json", str(path)],
                           check=True, capture_output=True, text=True)
    times = [frame["best_effort_timestamp"] for frame in json.loads(probe.stdout)["frames"]]
    raw = ffmpeg_raw_frames(str(path), 0, pix_fmt)
    size = len(raw) // len(times)
    assert size * len(times) == len(raw)
    return {pts: hashlib.sha1(raw[i * size:(i + 1) * size]).hexdigest() for i, pts in enumerate(times)}


def assert_frames_are_ffmpegs_or_marked_corrupt(frames, expected_by_pts):
    for frame in frames:
        if not frame["corrupt"]:
            assert expected_by_pts.get(frame["pts"]) == frame["sha1"], f"frame at pts {frame['pts']} differs"


def assert_names_file_and_reason(ending, path):
    assert ending["path"] == str(path) and str(path) in ending["message"], ending
    assert ending["reason"] and ending["reason"] in ending["message"], ending


def faststart_copy(tmp_path):
    """The demo clip with its index (moov) first, as streaming sites serve MP4."""
    path = tmp_path / "faststart.mp4"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-i", str(SAMPLES / MANIFEST["demo"]), "-c", "copy",
                    "-movflags", "+faststart", str(path)], check=True)
    return path


# Containers with and without an index, intra and inter codecs, raw video.
TRUNCATED = ["h264_bframes.mp4", "faststart.mp4", "hevc_10bit.mp4", "vp9.webm", "av1.mkv", "mjpeg_fullrange.avi",
             "bgr24_bottomup.avi", "nv12_raw.nut", "bgra_ffv1.mkv", "audio_first.mkv"]


@pytest.mark.parametrize("name", TRUNCATED)
@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_a_truncated_file_gives_ffmpegs_frames_before_the_cut(tmp_path, name, cut):
    whole = faststart_copy(tmp_path) if name == "faststart.mp4" else SAMPLES / name
    pix_fmt = MANIFEST["clips"][MANIFEST["demo"] if name == "faststart.mp4" else name]["streams"][0]["pix_fmt"]
    path = tmp_path / f"truncated-{name}"
    data = whole.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)])
    frames, ending = decode_in_child(path)
    assert_frames_are_ffmpegs_or_marked_corrupt(frames, ffmpeg_frames_by_pts(whole, pix_fmt))
    assert ending["end"] in ("end", "DecodeError"), ending
    if ending["end"] == "DecodeError":
        assert_names_file_and_reason(ending, path)


@pytest.mark.parametrize("log_level", [logging.WARNING, None])
def test_a_truncated_frame_is_marked_corrupt(tmp_path, log_level):
    # The AVI demuxer flags the packet cut short; the MJPEG decoder still makes a picture of it.
    # FFmpeg 4.3's parser drops the flag, and only FFmpeg's log names the packet: silenced too.
    path = tmp_path / "truncated.avi"
    data = (SAMPLES / "mjpeg_fullrange.avi").read_bytes()
    path.write_bytes(data[:len(data) // 2])
    frames, ending = decode_in_child(path, log_level=log_level)
    assert ending["end"] == "end"
    assert frames and frames[-1]["corrupt"] and not any(frame["corrupt"] for frame in frames[:-1])


def mp4_boxes(data):
    """(offset, size, type) of an MP4's top-level boxes."""
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        yield offset, size, kind
        offset += size


def test_an_mp4_without_its_moov_box_is_a_decode_error(tmp_path):
    # A recording stopped before it wrote its index: every frame's data is there, but not where.
    data = (SAMPLES / MANIFEST["demo"]).read_bytes()
    boxes = list(mp4_boxes(data))
    assert [kind for _, _, kind in boxes] == [b"ftyp", b"free", b"mdat", b"moov"]
    path = tmp_path / "no-moov.mp4"
    path.write_bytes(data[:boxes[-1][0]])
    _, ending = decode_in_child(path)
    assert ending["end"] == "DecodeError"
    assert_names_file_and_reason(ending, path)
    assert "moov atom not found" in ending["message"]


def crc32_mpeg2(data):
    """The CRC of MPEG-TS sections (polynomial 0x04C11DB7, not reflected)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def mpegts_with_stream_type(source, target, stream_type):
    """Copies an MPEG-TS file, declaring its first stream as `stream_type` in the program map."""
    data = bytearray(source.read_bytes())
    patched = 0
    for start in range(0, len(data), 188):
        packet = data[start:start + 188]
        pid = (packet[1] & 0x1F) << 8 | packet[2]
        if pid != 0x1000 or not packet[1] & 0x40:  # the PMT, as FFmpeg's muxer writes it
            continue
        section = 5 + packet[4]
        end = section + 3 + ((packet[section + 1] & 0x0F) << 8 | packet[section + 2])
        first_stream = section + 12 + ((packet[section + 10] & 0x0F) << 8 | packet[section + 11])
        packet[first_stream] = stream_type
        packet[end - 4:end] = crc32_mpeg2(packet[section:end - 4]).to_bytes(4, "big")
        data[start:start + 188] = packet
        patched += 1
    assert patched
    target.write_bytes(data)


def test_a_codec_ffmpeg_knows_but_cannot_decode_is_unsupported(tmp_path):
    # AVS2 video: FFmpeg parses it, but decodes it only with libdavs2, which Debian leaves out.
    h264 = tmp_path / "h264.ts"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:duration=0.2",
                    "-c:v", "libx264", str(h264)], check=True)
    path = tmp_path / "avs2.ts"
    mpegts_with_stream_type(h264, path, 0xD2)  # AVS2's stream type
    with pytest.raises(derenotes.UnsupportedCodecError) as info:
        derenotes.VideoReader(path)
    assert info.value.path == str(path)
    assert f"{str(path)!r}: no decoder for codec avs2: Decoder not found" == str(info.value)


def test_a_codec_ffmpeg_does_not_know_is_unsupported_and_named_by_its_tag(tmp_path):
    # A64 multicolor: FFmpeg encodes it but has no decoder, nor a name for it when reading AVI.
    path = tmp_path / "a64.avi"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x200:duration=0.2",
                    "-c:v", "a64multi", str(path)], check=True)
    with pytest.raises(derenotes.UnsupportedCodecError, match="unknown codec .the container calls it 'a64m'"):
        derenotes.VideoReader(path)


def test_a_file_deleted_while_being_read_is_read_to_the_end(tmp_path):
    # POSIX keeps an open file's data until it is closed: the reader sees the whole file.
    path = tmp_path / "deleted.webm"
    path.write_bytes((SAMPLES / "vp9.webm").read_bytes())
    frames, ending = decode_in_child(path, 3, "delete")
    assert not path.exists()
    expected = ffmpeg_frames_by_pts(SAMPLES / "vp9.webm", "yuv420p")
    assert ending["end"] == "end" and len(frames) == len(expected)
    assert_frames_are_ffmpegs_or_marked_corrupt(frames, expected)
    assert not any(frame["corrupt"] for frame in frames)


@pytest.mark.parametrize("name", ["faststart.mp4", "vp9.webm", "mjpeg_fullrange.avi"])
def test_a_file_that_shrinks_while_being_read_gives_ffmpegs_frames_then_ends(tmp_path, name):
    whole = faststart_copy(tmp_path) if name == "faststart.mp4" else SAMPLES / name
    pix_fmt = MANIFEST["clips"][MANIFEST["demo"] if name == "faststart.mp4" else name]["streams"][0]["pix_fmt"]
    path = tmp_path / f"shrinking-{name}"
    data = whole.read_bytes()
    path.write_bytes(data)
    frames, ending = decode_in_child(path, 2, f"shrink:{len(data) // 2}")
    expected = ffmpeg_frames_by_pts(whole, pix_fmt)
    assert 2 < len(frames) < len(expected)
    assert_frames_are_ffmpegs_or_marked_corrupt(frames, expected)
    assert ending["end"] in ("end", "DecodeError"), ending


NON_UTF8_NAME = b"clip-caf\xe9-\xff.webm"  # Latin-1 bytes, as old archives and cameras write them


class BytesPath:
    """An os.PathLike whose path is bytes (bytes themselves are a file's contents)."""

    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


@pytest.mark.parametrize("as_type", [BytesPath, str])
def test_a_path_with_non_utf8_bytes_opens(tmp_path, as_type):
    path = os.path.join(os.fsencode(tmp_path), NON_UTF8_NAME)
    with open(path, "wb") as copy:
        copy.write((SAMPLES / "vp9.webm").read_bytes())
    given = BytesPath(path) if as_type is BytesPath else os.fsdecode(path)  # str: undecodable bytes as \udcXX
    with derenotes.VideoReader(given) as reader:
        assert reader.path == os.fspath(given)
        assert reader.name == os.fsdecode(path)
        assert sum(1 for _ in reader) == MANIFEST["clips"]["vp9.webm"]["streams"][0]["frames"]


def test_errors_name_a_non_utf8_path_as_python_shows_it(tmp_path):
    path = os.path.join(os.fsencode(tmp_path), NON_UTF8_NAME)
    with open(path, "wb") as junk:
        junk.write(b"not a video\n" * 10)
    with pytest.raises(derenotes.DecodeError) as info:
        derenotes.VideoReader(BytesPath(path))
    assert info.value.path == os.fsdecode(path)
    assert str(info.value).startswith(repr(os.fsdecode(path)) + ": cannot open file")
    str(info.value).encode("utf-8")  # printable: repr() escaped the undecodable bytes

    with pytest.raises(FileNotFoundError) as missing:
        derenotes.VideoReader(BytesPath(path + b".missing"))
    assert missing.value.filename == os.fsdecode(path + b".missing")
