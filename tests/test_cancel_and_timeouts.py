"""Nothing blocks for ever, nothing nests without end: with nested opens allowed, a list that
names itself is refused (LimitExceededError) while long playlists still play; a URL that does
not answer, a stalled FIFO and a live playlist that is never reloaded raise derenotes.TimeoutError
after `timeout` seconds; reader.close() from another thread stops a call blocked on any of them
(CancelledError in that thread); Ctrl-C stops a read blocked on a stalled FIFO at once."""
import builtins
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import derenotes
from conftest import CLIP_FFMPEG, DEMO_CLIP, run_isolated
from test_robustness import CHILD_PROLOGUE, ROOT
from test_untrusted_inputs import PEAK_MIB, SELF_REFERENCING


def make_clip(path, seconds=1, *extra):
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=64x64:rate=10:d={seconds}",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", *extra, str(path)], check=True, timeout=60)


@pytest.fixture
def live_playlist(tmp_path, serve):
    """The URL of a live HLS playlist (no #EXT-X-ENDLIST) of three 3-second segments of one clip,
    announcing the next in 1000 s: the demuxer waits that long to reload it, asking only the
    interrupt check. The reader opens before that wait: FFmpeg reads a live playlist from its third
    segment from the end, and FFmpeg 4.3 reads about 6 seconds of this clip to find the stream's
    parameters (5.1 about 3; three 1-second segments left 4.3's open waiting for the reload)."""
    make_clip(tmp_path / "segment%d.ts", 9, "-g", "30", "-f", "segment", "-segment_time", "3", "-reset_timestamps", "0")
    (tmp_path / "live.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1000\n#EXT-X-MEDIA-SEQUENCE:0\n"
                                        + "".join(f"#EXTINF:1000,\nsegment{n}.ts\n" for n in range(3)))
    return f"{serve(tmp_path)}/live.m3u8"


@pytest.fixture
def stalled_fifo(tmp_path):
    """A FIFO whose writer sends the first half of a 16-second clip and then nothing, keeping the
    FIFO open: a read past that point waits for ever."""
    clip = tmp_path / "long.nut"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25:duration=16",
                    "-c:v", "rawvideo", "-pix_fmt", "nv12", str(clip)], check=True, timeout=60)
    data = clip.read_bytes()
    fifo = tmp_path / "stalled.nut"
    os.mkfifo(fifo)
    writer = []

    def write():
        writer.append(open(fifo, "wb"))  # waits for the reader to open the FIFO
        writer[0].write(data[:len(data) // 2])
        writer[0].flush()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    yield fifo
    if writer:
        writer[0].close()
    else:  # nobody opened it: let the writer's open return
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(5)


# ---------------------------------------------------------------------------------------------
# Nesting, with nested opens allowed


@pytest.mark.parametrize("name", sorted(SELF_REFERENCING))
def test_a_list_that_names_itself_is_refused_when_nested_opens_are_allowed(tmp_path, name):
    path = tmp_path / name
    path.write_text(SELF_REFERENCING[name])
    result = run_isolated(PEAK_MIB + """
        import sys, threading, time, derenotes
        threading.stack_size(2 * 1024 * 1024)
        outcome = []
        def read():
            started = time.monotonic()
            try:
                derenotes.VideoReader(sys.argv[1], allow_nested=True)
                outcome.append("opened")
            except derenotes.LimitExceededError as error:
                outcome.append("refused " + str(error))
            except derenotes.DecodeError as error:  # FFmpeg 9 refuses some of these itself
                outcome.append("FFmpeg refused " + str(error))
            outcome.append(time.monotonic() - started)
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        print(outcome[0])
        print(outcome[1])
        print(peak_mib())
        """, path, timeout=60)
    assert result.returncode == 0, result.stderr
    outcome, seconds, peak_mib = result.stdout.splitlines()
    if outcome.startswith("FFmpeg refused "):
        assert name in outcome and ("Impossible to open" in outcome or "parse_playlist error" in outcome), outcome
    else:
        assert outcome.startswith("refused ") and name in outcome and "nest" in outcome or "max_nested_opens" in outcome
    assert float(seconds) < 5 and int(peak_mib) < 500, (seconds, peak_mib)


def test_a_two_hour_playlist_and_nested_lists_still_play(tmp_path):
    # 2 hours in 3600 segments of 2 seconds (one frame a second, 32x32).
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=32x32:rate=1:d=7200", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "2", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "2",
                    "-hls_list_size", "0", "-hls_playlist_type", "vod", str(tmp_path / "vod.m3u8")], check=True, timeout=120)
    # The limit counts the opens of one step: the least the opening step needs still plays every
    # segment. That is as many as the FFmpeg under test opens to find the stream's parameters:
    # 5 segments, or 17 in FFmpeg 4.3, whose probe reads longer.
    probe_log = subprocess.run(["ffprobe", "-v", "verbose", str(tmp_path / "vod.m3u8")], capture_output=True, text=True)
    least = probe_log.stderr.count("Opening '")
    assert least >= 2, probe_log.stderr
    with derenotes.VideoReader(tmp_path / "vod.m3u8", allow_nested=True, max_nested_opens=least) as reader:
        assert reader.max_nested_opens == least
        assert sum(1 for _ in reader) == 7200
    make_clip(tmp_path / "segment.ts", 0.1)  # one frame
    # A concat list naming a concat list naming clips: lists that name lists, not too deep.
    make_clip(tmp_path / "a.mp4")
    (tmp_path / "inner.ffconcat").write_text("ffconcat version 1.0\nfile a.mp4\nfile a.mp4\n")
    (tmp_path / "outer.ffconcat").write_text("ffconcat version 1.0\nfile inner.ffconcat\n")
    with derenotes.VideoReader(tmp_path / "outer.ffconcat", allow_nested=True) as reader:
        assert sum(1 for _ in reader) == 20
    # A master playlist of many variants opens them all in one step: the limit is what refuses it.
    variants = "".join(f"#EXT-X-STREAM-INF:BANDWIDTH={n}\nvod{n}.m3u8\n" for n in range(1, 21))
    for n in range(1, 21):
        (tmp_path / f"vod{n}.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nsegment.ts\n#EXT-X-ENDLIST\n")
    (tmp_path / "master.m3u8").write_text(f"#EXTM3U\n{variants}")
    with pytest.raises(derenotes.LimitExceededError, match="max_nested_opens = 10"):
        derenotes.VideoReader(tmp_path / "master.m3u8", allow_nested=True, max_nested_opens=10)
    with derenotes.VideoReader(tmp_path / "master.m3u8", allow_nested=True) as reader:
        assert next(iter(reader)).width == 64


def test_the_new_options_are_checked_and_shown(tmp_path):
    for bad in ({"timeout": 0}, {"timeout": -1}, {"timeout": float("nan")}, {"max_nested_opens": 0}):
        with pytest.raises(ValueError):
            derenotes.VideoReader(DEMO_CLIP, **bad)
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        assert reader.timeout == 30 and reader.max_nested_opens == 1000
    with derenotes.VideoReader(DEMO_CLIP, timeout=None, max_nested_opens=None) as reader:
        assert reader.timeout is None and reader.max_nested_opens is None
        assert sum(1 for _ in reader) == 100
    assert issubclass(derenotes.TimeoutError, builtins.TimeoutError)
    assert issubclass(derenotes.TimeoutError, derenotes.DerenotesError)
    assert issubclass(derenotes.CancelledError, derenotes.DerenotesError)


# ---------------------------------------------------------------------------------------------
# Timeouts


def timed_failure(call):
    """(the exception call() raised, seconds it took)."""
    started = time.monotonic()
    with pytest.raises(derenotes.DerenotesError) as raised:
        call()
    return raised.value, time.monotonic() - started


def read_all(path, **options):
    with derenotes.VideoReader(path, **options) as reader:
        return sum(1 for _ in reader)


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts connections; nobody answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/clip.mp4"
        error, seconds = timed_failure(lambda: derenotes.VideoReader(url, allow_network=True, timeout=1))
    finally:
        listener.close()
    assert isinstance(error, derenotes.TimeoutError) and isinstance(error, builtins.TimeoutError), repr(error)
    assert url in str(error)
    assert 0.9 < seconds < 2, seconds


def test_a_live_playlist_that_is_never_reloaded_times_out(live_playlist):
    error, seconds = timed_failure(lambda: read_all(live_playlist, allow_network=True, allow_nested=True, timeout=1))
    assert isinstance(error, derenotes.TimeoutError), repr(error)
    assert "timeout=" in str(error)
    assert 0.9 < seconds < 2.5, seconds


def test_a_stalled_fifo_times_out(stalled_fifo):
    error, seconds = timed_failure(lambda: read_all(stalled_fifo, timeout=1))
    assert isinstance(error, derenotes.TimeoutError), repr(error)
    assert 0.9 < seconds < 2.5, seconds  # the frames before the stall take a few ms


def test_a_fifo_nobody_writes_to_times_out(tmp_path):
    fifo = tmp_path / "nobody.mp4"
    os.mkfifo(fifo)
    error, seconds = timed_failure(lambda: derenotes.VideoReader(fifo, timeout=0.5))
    assert isinstance(error, derenotes.TimeoutError), repr(error)
    assert 0.4 < seconds < 1.5, seconds


# ---------------------------------------------------------------------------------------------
# Cancel: close() from another thread


def cancel_from_main_thread(path, **options):
    """Iterates `path` in a worker thread until it blocks, closes the reader from this thread;
    returns (what the worker raised, seconds close() took, seconds until the worker was done)."""
    reader = derenotes.VideoReader(path, **options)
    outcome = []

    def iterate():
        try:
            for _ in reader:
                pass
            outcome.append("finished")
        except BaseException as error:  # noqa: B036 - whatever it is, the test reports it
            outcome.append(error)

    worker = threading.Thread(target=iterate)
    worker.start()
    time.sleep(1)
    assert worker.is_alive() and not outcome, outcome  # blocked
    started = time.monotonic()
    reader.close()
    closed = time.monotonic() - started
    worker.join(5)
    done = time.monotonic() - started
    assert reader.closed
    with pytest.raises(ValueError, match="closed"):
        next(reader)
    return outcome[0] if outcome else None, closed, done


def test_close_from_another_thread_cancels_a_read_blocked_on_a_stalled_fifo(stalled_fifo):
    error, closed, done = cancel_from_main_thread(stalled_fifo, timeout=None)
    assert isinstance(error, derenotes.CancelledError), repr(error)
    assert "closed from another thread" in str(error) and str(stalled_fifo) in str(error)
    assert closed < 0.5 and done < 0.5, (closed, done)


def test_close_from_another_thread_cancels_a_live_playlist_wait(live_playlist):
    error, closed, done = cancel_from_main_thread(live_playlist, allow_network=True, allow_nested=True, timeout=None)
    assert isinstance(error, derenotes.CancelledError), repr(error)
    assert closed < 0.5 and done < 0.5, (closed, done)


def test_close_from_another_thread_cancels_a_long_index_build(tmp_path):
    clip = tmp_path / "long.nut"  # 3 minutes of tiny raw frames: an index decoded in seconds
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25:duration=180",
                    "-c:v", "ffv1", str(clip)], check=True, timeout=120)
    reader = derenotes.VideoReader(clip, index="decode", threads=1)
    outcome = []

    def count():
        try:
            outcome.append(len(reader))
        except derenotes.DerenotesError as error:
            outcome.append(error)

    worker = threading.Thread(target=count)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    reader.close()
    worker.join(5)
    assert isinstance(outcome[0], derenotes.CancelledError), outcome
    assert time.monotonic() - started < 0.5


def test_ctrl_c_stops_a_read_blocked_on_a_stalled_fifo_at_once(stalled_fifo):
    code = textwrap.dedent(CHILD_PROLOGUE) + textwrap.dedent("""
        try:
            for frame in derenotes.VideoReader(sys.argv[1], timeout=None):
                pass
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
        """)
    child = subprocess.Popen([sys.executable, "-c", code, str(stalled_fifo)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        time.sleep(1.5)  # blocked by now
        assert child.poll() is None, child.communicate()
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
        seconds = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert out.split() == ["KeyboardInterrupt"], err
    assert seconds < 0.3, seconds
