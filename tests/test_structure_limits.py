"""Limits on a file's own structure: an index of more packets than max_packets is refused
(LimitExceededError naming the limit) before it takes memory, MP4 sample tables before FFmpeg
indexes them; Ctrl-C stops the building of a long index; max_probe_bytes bounds FFmpeg's probe.
The hostile MOV is a real one whose sample-count fields are rewritten: its tables then list a
million (or 40 million) samples over the 64 the file holds."""
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time

import pytest

import derenotes
from conftest import CLIP_FFMPEG, TESTS, ffmpeg_raw_frames, run_isolated
from test_untrusted_inputs import PEAK_MIB

REAL_SAMPLES = 64


def boxes(data, start, end):
    """(type, offset, size) of the MP4 boxes in data[start:end]."""
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        yield kind, start, size
        start += size


def find_box(data, path, start=0, end=None):
    """(offset, size) of the first box at this path of box types."""
    for kind, at, size in boxes(data, start, len(data) if end is None else end):
        if kind == path[0]:
            return (at, size) if len(path) == 1 else find_box(data, path[1:], at + 8, at + size)
    raise LookupError(path)


# Where each table of one entry keeps its sample count: stts (count, delta), stsc (first chunk,
# samples per chunk, description), stsz (sample size, count).
SAMPLE_COUNT_FIELDS = {b"stts": 16, b"stsc": 20, b"stsz": 16}


def declare_samples(mov, samples):
    """The MOV with its one track's sample tables rewritten to list `samples` samples of the
    same size, one after the other in its one chunk (the real ones first)."""
    data = bytearray(mov)
    stbl, size = find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl"])
    for kind, field in SAMPLE_COUNT_FIELDS.items():
        at, _ = find_box(data, [kind], stbl + 8, stbl + size)
        assert struct.unpack(">I", data[at + field:at + field + 4]) == (REAL_SAMPLES,), kind
        data[at + field:at + field + 4] = struct.pack(">I", samples)
    return bytes(data)


@pytest.fixture(scope="module")
def real_mov(tmp_path_factory):
    """64 raw frames of one size in one chunk, no edit list: each table has one entry."""
    path = tmp_path_factory.mktemp("mov") / "real.mov"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x64:r=25", "-frames:v", str(REAL_SAMPLES),
                    "-c:v", "rawvideo", "-pix_fmt", "uyvy422", "-use_editlist", "0", "-f", "mov", str(path)], check=True)
    return path


def declared_frames(path):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames",
                            "-of", "json", str(path)], check=True, capture_output=True, text=True)
    return int(json.loads(probe.stdout)["streams"][0]["nb_frames"])


def test_a_mov_listing_40_million_samples_is_refused_before_ffmpeg_indexes_them(real_mov, tmp_path):
    # 2.8 GB at len() before: FFmpeg's index of every sample (24 bytes each), then ours.
    path = tmp_path / "declares_40M.mov"
    path.write_bytes(declare_samples(real_mov.read_bytes(), 40_000_000))
    assert path.stat().st_size < 1_000_000
    result = run_isolated(PEAK_MIB + """
        import sys, derenotes
        try:
            derenotes.VideoReader(sys.argv[1])
            print("opened")
        except derenotes.LimitExceededError as error:
            print("refused", error)
        print(peak_mib())
        """, path, timeout=60)
    assert result.returncode == 0, result.stderr
    outcome, peak_mib = result.stdout.splitlines()
    assert outcome.startswith("refused") and "40000000 packets" in outcome, outcome
    assert "max_packets = 10000000" in outcome and "raise max_packets" in outcome, outcome
    assert int(peak_mib) < 300, f"{peak_mib} MiB"


def test_a_mov_listing_a_million_samples_over_64_gives_its_64_frames(real_mov, tmp_path):
    path = tmp_path / "declares_1M.mov"
    path.write_bytes(declare_samples(real_mov.read_bytes(), 1_000_000))
    assert declared_frames(path) == 1_000_000  # ffprobe believes the tables
    result = run_isolated(PEAK_MIB + """
        import sys, time, derenotes
        started = time.monotonic()
        with derenotes.VideoReader(sys.argv[1]) as reader:
            print(len(reader), reader[19].index, reader[19].to_ndarray("uyvy422").tobytes().hex())
        print(round(time.monotonic() - started, 2), peak_mib())
        """, path, timeout=60)
    assert result.returncode == 0, result.stderr
    (count, index, pixels), (seconds, peak_mib) = (line.split() for line in result.stdout.splitlines())
    assert (int(count), int(index)) == (REAL_SAMPLES, 19)
    frame_bytes = 64 * 64 * 2
    assert bytes.fromhex(pixels) == ffmpeg_raw_frames(real_mov, 0, "uyvy422")[19 * frame_bytes:20 * frame_bytes]
    assert float(seconds) < 5 and int(peak_mib) < 300, result.stdout
    with pytest.raises(derenotes.LimitExceededError, match=r"1000000 packets, more than max_packets = 100000"):
        derenotes.VideoReader(path, max_packets=100_000)


@pytest.fixture(scope="module")
def long_mkv(tmp_path_factory):
    """500,000 packets of 2x2 raw video: a Matroska file without an index, read to index it."""
    folder = tmp_path_factory.mktemp("long")
    second = folder / "second.nut"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "color=s=2x2:r=1000:d=1", "-c:v", "rawvideo",
                    "-pix_fmt", "uyvy422", str(second)], check=True)
    path = folder / "long.mkv"
    # Without the sanitizer runtime `make asan` preloads into every process: reopening the input
    # 500 times under it took ffmpeg over 2 minutes instead of 1.5 s.
    environment = {name: value for name, value in os.environ.items() if name != "LD_PRELOAD"}
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-stream_loop", "499", "-i", str(second), "-c", "copy", str(path)],
                   check=True, timeout=120, env=environment)
    return path


def test_a_stream_of_more_packets_than_the_limit_is_refused_while_they_are_read(long_mkv):
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets",
                            "-of", "csv=p=0", str(long_mkv)], check=True, capture_output=True, text=True)
    packets = int(probe.stdout)
    assert packets == 500_000
    with derenotes.VideoReader(long_mkv, max_packets=packets - 1) as reader:
        assert reader.max_packets == packets - 1
        with pytest.raises(derenotes.LimitExceededError, match=rf"more than {packets - 1} packets.*raise max_packets"):
            len(reader)
    with derenotes.VideoReader(long_mkv, max_packets=packets) as reader:
        assert len(reader) == packets
    with pytest.raises(ValueError):
        derenotes.VideoReader(long_mkv, max_packets=0)


@pytest.mark.parametrize("given_as", ["path", "bytes", "file object"])
def test_ctrl_c_stops_the_building_of_a_long_index(long_mkv, given_as):
    # The child prints when it starts indexing (about 3 s of reading) and when KeyboardInterrupt
    # lands, on the monotonic clock this process shares.
    code = textwrap.dedent("""
        import signal, sys, time, derenotes
        signal.signal(signal.SIGINT, signal.default_int_handler)
        path, given_as = sys.argv[1:]
        source = {"path": path, "bytes": open(path, "rb").read(), "file object": open(path, "rb")}[given_as]
        reader = derenotes.VideoReader(source)
        print("indexing", flush=True)
        try:
            len(reader)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("KeyboardInterrupt", time.monotonic(), flush=True)
        """)
    child = subprocess.Popen([sys.executable, "-c", code, str(long_mkv), given_as], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=TESTS.parent)
    try:
        assert child.stdout.readline().strip() == "indexing", child.stderr.read()
        time.sleep(0.5)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    outcome, landed = out.split()
    assert outcome == "KeyboardInterrupt", err
    latency = float(landed) - sent
    print(f"KeyboardInterrupt {latency * 1000:.1f} ms after SIGINT")
    assert latency < 1, latency


def probed_size(path, probe_bytes):
    probe = subprocess.run(["ffprobe", "-v", "error", "-probesize", str(probe_bytes), "-select_streams", "v:0",
                            "-show_entries", "stream=width,height", "-of", "json", str(path)],
                           check=True, capture_output=True, text=True)
    stream = json.loads(probe.stdout)["streams"][0]
    return stream["width"], stream["height"]


def test_max_probe_bytes_is_ffmpegs_probesize(tmp_path):
    # MPEG-TS whose video starts after 3 s (about 150 KB) of audio: a probe of 60,000 bytes ends
    # before the video's first packet and finds no size, as ffprobe's does; FFmpeg's 5 MB finds it.
    path = tmp_path / "video_late.ts"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6", "-itsoffset", "3", "-f",
                    "lavfi", "-i", "testsrc=s=64x64:r=25:d=2", "-map", "0", "-map", "1", "-c:a", "mp2", "-b:a", "384k",
                    "-c:v", "libx264", "-f", "mpegts", str(path)], check=True)
    for probe_bytes in (60_000, 5_000_000):
        with derenotes.VideoReader(path, max_probe_bytes=probe_bytes) as reader:
            assert reader.max_probe_bytes == probe_bytes
            assert (reader.width, reader.height) == probed_size(path, probe_bytes)
            assert next(iter(reader)).width == 64  # decoding finds the size either way: not an error
    assert probed_size(path, 60_000) == (0, 0)
    with derenotes.VideoReader(path) as reader:  # FFmpeg's default
        assert (reader.width, reader.height) == (64, 64) and reader.max_probe_bytes == 5_000_000
    with pytest.raises(ValueError):
        derenotes.VideoReader(path, max_probe_bytes=31)
