"""Limits and interruption: a hostile header cannot make us allocate gigabytes, and Ctrl-C stops
a decode promptly, also one blocked on a read that never completes."""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import derenotes
from conftest import CLIP_FFMPEG, DEMO_CLIP

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def y4m_claiming(width, height):
    """A YUV4MPEG2 header claiming width x height frames, followed by a few bytes of one."""
    return f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\nFRAME\n".encode() + bytes(1000)


def test_a_header_claiming_huge_frames_is_refused_by_the_pixel_limit(tmp_path):
    path = tmp_path / "huge.y4m"
    path.write_bytes(y4m_claiming(10000, 10000))  # 100 megapixels: within FFmpeg's own limit
    with pytest.raises(derenotes.LimitExceededError) as info:
        derenotes.VideoReader(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value) and "10000x10000" in str(info.value)
    assert "max_pixels" in str(info.value)
    assert isinstance(info.value, derenotes.DecodeError) and isinstance(info.value, ValueError)


def test_the_pixel_limit_is_configurable():
    width, height = 640, 360  # the demo clip
    with pytest.raises(derenotes.LimitExceededError, match="640x360"):
        derenotes.VideoReader(DEMO_CLIP, max_pixels=width * height - 1)
    with derenotes.VideoReader(DEMO_CLIP, max_pixels=width * height) as reader:
        assert reader.max_pixels == width * height
        assert sum(1 for _ in reader) == 100
    assert derenotes.VideoReader(DEMO_CLIP).max_pixels == 8192 * 8192
    with pytest.raises(ValueError, match="max_pixels"):
        derenotes.VideoReader(DEMO_CLIP, max_pixels=0)


def test_without_our_limit_ffmpegs_own_refuses_impossible_sizes(tmp_path):
    path = tmp_path / "impossible.y4m"
    path.write_bytes(y4m_claiming(60000, 60000))  # 3.6 gigapixels
    code = """
        import sys, derenotes
        try:
            with derenotes.VideoReader(sys.argv[1], max_pixels=None) as reader:
                print(sum(1 for _ in reader), "frames")
        except derenotes.DerenotesError as error:
            print(type(error).__name__, error)
        """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(path)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    # FFmpeg's demuxer refuses the header, with an errno code (EBUSY) that is still a DecodeError,
    # not an OSError: an error naming the file and FFmpeg's reason, no crash, no allocation.
    assert result.stdout.startswith("DecodeError "), result.stdout
    assert "Picture size 60000x60000 is invalid" in result.stdout and str(path) in result.stdout, result.stdout


def test_frames_that_grow_past_the_pixel_limit_mid_stream_are_refused(tmp_path):
    # An H.264 stream that switches from 64x48 to 640x480 and back: the header shows only 64x48.
    parts = []
    for size in ("64x48", "640x480", "64x48"):
        part = tmp_path / f"{size}-{len(parts)}.h264"
        subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration=0.2",
                        "-c:v", "libx264", str(part)], check=True)
        parts.append(part.read_bytes())
    path = tmp_path / "growing.h264"
    path.write_bytes(b"".join(parts))
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "frame=width,height", "-of", "json",
                            str(path)], check=True, capture_output=True, text=True)
    sizes = [(frame["width"], frame["height"]) for frame in json.loads(probe.stdout)["frames"]]
    assert sizes.count((640, 480)) == 5 and sizes.count((64, 48)) == 10

    with derenotes.VideoReader(path, max_pixels=64 * 48) as reader:
        assert (reader.width, reader.height) == (64, 48)
        decoded = [(frame.width, frame.height) for frame in reader]
        assert decoded == [(64, 48)] * 10  # the large frames were never allocated
        assert reader.decode_errors >= 5
    with derenotes.VideoReader(path, max_pixels=640 * 480) as reader:
        assert [(frame.width, frame.height) for frame in reader] == sizes


# The child restores Python's own SIGINT handler: a process started in the background by a
# non-interactive shell (as CI may do) inherits SIGINT ignored, and Python then installs none.
CHILD_PROLOGUE = """
    import signal, sys, time, derenotes
    signal.signal(signal.SIGINT, signal.default_int_handler)
    """


def interrupt_child(code, *args, feed=None, wait=1.0):
    """Starts `code` in a child, optionally writes `feed` to the FIFO args[0] and keeps it open
    (a stalled stream), sends SIGINT after `wait` seconds; returns (stdout, seconds to exit)."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD_PROLOGUE) + textwrap.dedent(code),
                              *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    writer = None
    try:
        if feed is not None:
            writer = open(args[0], "wb")  # blocks until the child opens the FIFO
            writer.write(feed)
            writer.flush()
        time.sleep(wait)
        assert child.poll() is None, child.communicate()
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
        return out, time.monotonic() - sent, err
    finally:
        if child.poll() is None:
            child.kill()
        if writer:
            writer.close()


REPORT_INTERRUPT = """
    try:
        {body}
        print("finished")
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
    """


def test_ctrl_c_stops_a_long_decoding_loop():
    body = "while True:\n            for frame in derenotes.VideoReader(sys.argv[1]): frame.planes"
    out, seconds, err = interrupt_child(REPORT_INTERRUPT.format(body=body), DEMO_CLIP)
    assert out.split() == ["KeyboardInterrupt"], err
    assert seconds < 2


def test_ctrl_c_stops_an_open_blocked_on_a_stalled_stream(tmp_path):
    fifo = tmp_path / "stalled.mp4"
    os.mkfifo(fifo)
    body = "derenotes.VideoReader(sys.argv[1])"
    out, seconds, err = interrupt_child(REPORT_INTERRUPT.format(body=body), fifo,
                                        feed=DEMO_CLIP.read_bytes()[:3000])
    assert out.split() == ["KeyboardInterrupt"], err
    assert seconds < 2


def test_ctrl_c_stops_a_next_blocked_on_a_stalled_stream(tmp_path):
    # 16 s of small raw frames: FFmpeg's probing (5 s of stream) ends within the first half.
    clip = tmp_path / "long.nut"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25:duration=16",
                    "-c:v", "rawvideo", "-pix_fmt", "nv12", str(clip)], check=True, timeout=60)
    fifo = tmp_path / "stalled.nut"
    os.mkfifo(fifo)
    data = clip.read_bytes()
    body = "for frame in derenotes.VideoReader(sys.argv[1]): print(frame.index, flush=True)"
    out, seconds, err = interrupt_child(REPORT_INTERRUPT.format(body=body), fifo, feed=data[:len(data) // 2])
    lines = out.split()
    assert lines[-1] == "KeyboardInterrupt", err
    assert len(lines) > 2  # frames were decoded before the stream stalled
    assert seconds < 2


@pytest.fixture(scope="module")
def one_long_gop(tmp_path_factory):
    """3000 frames after one key frame: the last takes about a second to reach with one thread."""
    clip = tmp_path_factory.mktemp("gop") / "one_gop.mp4"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", "3000",
                    "-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "keyint=100000:scenecut=0",
                    "-pix_fmt", "yuv420p", str(clip)], check=True, timeout=120)
    return clip


@pytest.mark.parametrize("call", ["reader[-1]", "reader.get_frames([len(reader) - 2, len(reader) - 1])",
                                  "reader.get_frames([len(reader) - 1], format='rgb24')"])
def test_ctrl_c_inside_random_access_stops_it_and_the_reader_goes_on_working(one_long_gop, call):
    clip = one_long_gop
    code = f"""
        import hashlib
        reader = derenotes.VideoReader(sys.argv[1], threads=1)
        count = len(reader)
        expected = [hashlib.sha1(bytes(next(iter(derenotes.VideoReader(sys.argv[1]))).planes[0])).hexdigest()]
        print("ready", flush=True)
        try:
            {call}
            print("finished")
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
        frame = reader[0]  # the same reader, right after: its decoder was replaced
        print(frame.index, hashlib.sha1(bytes(frame.planes[0])).hexdigest() == expected[0])
        """
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD_PROLOGUE) + textwrap.dedent(code), str(clip)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "ready", child.communicate()
        time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        seconds = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert out.split() == ["KeyboardInterrupt", "0", "True"], err
    assert seconds < 2


def test_ffmpeg_logging_from_many_decoding_threads_reaches_python_without_deadlock(tmp_path):
    # Damaged data makes FFmpeg's worker threads log while readers decode, close and reopen in 8
    # threads at DEBUG level, through a handler that holds its lock a while. Wrappers whose log
    # callback takes the GIL deadlock here: a thread joining FFmpeg's workers waits on a worker
    # that waits on the GIL. The watchdog turns a deadlock into a failure with every stack.
    damaged = tmp_path / "damaged.mp4"
    data = bytearray(DEMO_CLIP.read_bytes())
    rng = random.Random(7)
    for i in range(len(data) // 4, len(data) // 2, 97):
        data[i] = rng.randrange(256)
    damaged.write_bytes(data)
    code = """
        import faulthandler, logging, sys, threading, time
        import numpy as np
        import derenotes
        faulthandler.dump_traceback_later(90, exit=True)
        derenotes.set_log_level(logging.DEBUG)
        records = []

        class SlowHandler(logging.Handler):
            def emit(self, record):  # called with the handler's lock held
                records.append((record.levelno, record.getMessage()))
                time.sleep(0.0001)

        logger = logging.getLogger("derenotes")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(SlowHandler())
        sums = {}

        def work(name):
            for path in sys.argv[1:] * 2:
                with derenotes.VideoReader(path) as reader:
                    sums[name, path] = [int(np.asarray(frame.planes[0]).sum()) for frame in reader]

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(records), sum(level >= logging.ERROR for level, _ in records))
        for path in sys.argv[1:]:  # every thread decoded the same pixels
            print(len({tuple(sums[n, path]) for n in range(8)}))
        """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(damaged), str(DEMO_CLIP)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-5000:]
    records, errors, *distinct = map(int, result.stdout.split())
    assert records > 1000 and errors > 0, result.stdout
    assert distinct == [1, 1]
