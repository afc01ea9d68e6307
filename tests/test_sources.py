"""What a reader reads besides paths: a file's bytes (bytes, bytearray, memoryview, mmap), read
where they are and kept alive, and binary file objects (io.BytesIO, open files, pipes), read
through their read() and seek(), with what they do wrong reported as their own exceptions.
Frames are checked against the ffmpeg CLI's decoding of the same file, every frame."""
import gc
import io
import mmap
import subprocess
import threading

import pytest

import derenotes
from conftest import CLIP_FFMPEG, MANIFEST, SAMPLES, ffmpeg_raw_frames, frame_bytes

CLIPS = ["h264_bframes.mp4", "h264.ts", "vp9.webm", "odd_321x241_ffv1.mkv"]
STREAMABLE = ["h264.ts", "vp9.webm", "odd_321x241_ffv1.mkv"]  # read from start to end; the MP4 keeps its index at the end


def expected_frames(name):
    """The ffmpeg CLI's frames of the clip's first video stream, as raw bytes each."""
    stream = MANIFEST["clips"][name]["streams"][0]
    raw = ffmpeg_raw_frames(SAMPLES / name, 0, stream["pix_fmt"])
    size = len(raw) // stream["frames"]
    return [raw[i:i + size] for i in range(0, len(raw), size)]


class CountingFile(io.BytesIO):
    """A BytesIO that counts the bytes read from it."""

    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


class Pipe(io.RawIOBase):
    """A stream that cannot seek and answers each read with at most 1000 bytes (short reads)."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def sources(name):
    """Every kind of source for one clip, by kind."""
    path = SAMPLES / name
    data = path.read_bytes()
    with open(path, "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return {
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data)[:],
        "mmap": mapped,
        "BytesIO": io.BytesIO(data),
        "open file": open(path, "rb"),
        "buffered pipe": io.BufferedReader(Pipe(data)),
    }


@pytest.mark.parametrize("kind", list(sources("vp9.webm")))
@pytest.mark.parametrize("name", CLIPS)
def test_every_kind_of_source_gives_ffmpegs_frames(name, kind):
    if kind == "buffered pipe" and name not in STREAMABLE:
        pytest.skip("an MP4 with its index at the end cannot be read from a pipe (by FFmpeg either)")
    source = sources(name)[kind]
    with derenotes.VideoReader(source) as reader:
        frames = [frame_bytes(frame) for frame in reader]
        assert reader.path is None
    assert frames == expected_frames(name)


@pytest.mark.parametrize("kind", ["bytes", "BytesIO", "open file"])
@pytest.mark.parametrize("name", CLIPS)
def test_random_access_works_on_every_seekable_source(name, kind):
    expected = expected_frames(name)
    wanted = [len(expected) - 1, 0, len(expected) // 2, 1]
    with derenotes.VideoReader(sources(name)[kind]) as reader:
        assert len(reader) == len(expected)
        assert [frame_bytes(frame) for frame in reader.get_frames(wanted)] == [expected[i] for i in wanted]


def test_the_mp4_tables_are_read_through_the_file_object(tmp_path):
    # The index of an MP4 comes from its sample tables, read through the source: only the first
    # packets are read to check them, and nothing is opened by name (the file is gone).
    path = tmp_path / "clip.mp4"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=20", "-c:v", "libx264",
                    "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(path)], check=True)  # 500 frames, 10+ MB
    expected = ffmpeg_raw_frames(path, 0, "yuv420p")
    data = path.read_bytes()
    file = CountingFile(data)
    file.name = str(path)
    path.unlink()
    with derenotes.VideoReader(file) as reader:
        read_by_open = file.bytes_read
        assert len(reader) == 500
        assert file.bytes_read - read_by_open < len(data) / 4, "the index read every packet"
        assert frame_bytes(reader[-1]) == expected[-len(expected) // 500:]


def test_a_stream_is_read_once_and_random_access_says_why_not():
    data = (SAMPLES / "h264.ts").read_bytes()
    pipe = io.BufferedReader(Pipe(data))
    with derenotes.VideoReader(pipe) as reader:
        assert [frame_bytes(frame) for frame in reader] == expected_frames("h264.ts")
        with pytest.raises(derenotes.NotSeekableError, match="random access needs a source that can seek") as info:
            len(reader)
        assert isinstance(info.value, io.UnsupportedOperation)
        with pytest.raises(derenotes.NotSeekableError, match="read only once"):
            iter(reader)
    # Random access asked first is refused too, and leaves iteration as it was.
    with derenotes.VideoReader(io.BufferedReader(Pipe(data))) as reader:
        with pytest.raises(derenotes.NotSeekableError):
            reader[3]
        assert sum(1 for _ in reader) == len(expected_frames("h264.ts"))


def test_a_real_pipe_is_read_and_left_open():
    process = subprocess.Popen(["cat", str(SAMPLES / "vp9.webm")], stdout=subprocess.PIPE)
    with derenotes.VideoReader(process.stdout) as reader:
        assert [frame_bytes(frame) for frame in reader] == expected_frames("vp9.webm")
    assert not process.stdout.closed
    process.stdout.close()
    process.wait()


def test_the_callers_file_stays_open_and_is_named(tmp_path):
    with open(SAMPLES / "vp9.webm", "rb") as file:
        with derenotes.VideoReader(file) as reader:
            assert reader.name == f"<BufferedReader {str(SAMPLES / 'vp9.webm')!r}>"
            assert reader.name in repr(reader)
            next(iter(reader))
        assert not file.closed
        assert file.read(4) or file.seek(0) == 0  # still usable


def test_bytes_are_the_files_contents_never_a_path():
    path = bytes(SAMPLES / "vp9.webm")
    with pytest.raises(derenotes.DecodeError) as info:
        derenotes.VideoReader(path)
    assert not isinstance(info.value, FileNotFoundError)
    assert info.value.path is None
    assert str(info.value).startswith(f"<bytes, {len(path)} bytes>: cannot open file")


def test_names_say_what_the_source_is():
    data = (SAMPLES / "h264_bframes.mp4").read_bytes()
    assert 100_000 < len(data) < 1_000_000
    with derenotes.VideoReader(data) as reader:
        assert reader.name == f"<bytes, {len(data) / 1000:.1f} kB>"
        assert repr(reader).startswith(f"<derenotes.VideoReader {reader.name} h264")
    assert derenotes.VideoReader(io.BytesIO(data)).name == "<BytesIO>"
    with pytest.raises(derenotes.FrameNotFoundError, match="<bytearray, 28"):
        derenotes.VideoReader(bytearray(data))[1000]
    with pytest.raises(TypeError, match="not int"):
        derenotes.VideoReader(3)
    with open(SAMPLES / "vp9.webm") as text:
        with pytest.raises(TypeError, match="binary mode"):
            derenotes.VideoReader(text)


def test_bytes_are_read_where_they_are_and_kept_alive():
    data = bytearray((SAMPLES / "vp9.webm").read_bytes())
    reader = derenotes.VideoReader(data)
    with pytest.raises(BufferError):
        data.extend(b"more")  # the reader holds the buffer: it cannot move
    with open(SAMPLES / "vp9.webm", "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    mapped_reader = derenotes.VideoReader(mapped)
    with pytest.raises(BufferError):
        mapped.close()
    # The readers keep their sources alive without the caller's names.
    del data, mapped
    gc.collect()
    assert [frame_bytes(frame) for frame in reader] == expected_frames("vp9.webm")
    assert [frame_bytes(frame) for frame in mapped_reader] == expected_frames("vp9.webm")
    reader.close()
    mapped_reader.close()
    del reader, mapped_reader


def test_a_closed_reader_lets_go_of_the_buffer():
    data = bytearray((SAMPLES / "vp9.webm").read_bytes())
    with derenotes.VideoReader(data) as reader:
        len(reader)  # random access holds the source too
    del reader
    gc.collect()
    data.extend(b"more")  # no export left


class Misbehaving(io.BytesIO):
    """A BytesIO that does one thing wrong once more than `after` bytes were read from it."""

    def __init__(self, data, fault, after):
        super().__init__(data)
        self.fault, self.after, self.served = fault, after, 0

    def read(self, size=-1):
        if self.served < self.after or self.fault == "seek":
            data = super().read(size)
            self.served += len(data)
            return data
        return self.fault(self, size)

    def seek(self, *args):
        position = super().seek(*args)
        return "garbage" if self.fault == "seek" and self.served >= self.after else position


class NetworkDown(ConnectionResetError):
    pass


def raise_network_down(file, size):
    raise NetworkDown("the connection went away")


def close_file(file, size):
    file.close()
    return io.BytesIO.read(file, size)


FAULTS = {
    "raises": (raise_network_down, NetworkDown, "went away"),
    "closed mid-decode": (close_file, ValueError, "closed file"),
    "more than asked": (lambda file, size: b"x" * (size + 1), ValueError, r"more than it was asked for"),
    "str": (lambda file, size: "text", TypeError, "binary mode"),
    "None": (lambda file, size: None, BlockingIOError, "non-blocking"),
    "not bytes": (lambda file, size: 42, TypeError, "returned int"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("during", ["open", "iteration"])
def test_what_a_file_object_does_wrong_reaches_the_caller_as_itself(fault, during):
    data = (SAMPLES / "h264.ts").read_bytes()  # MPEG-TS: read from start to end as frames come
    read_fault, exception, message = FAULTS[fault]
    file = Misbehaving(data, read_fault, 0 if during == "open" else len(data) // 2)
    with pytest.raises(exception, match=message) as info:
        with derenotes.VideoReader(file) as reader:
            frames = sum(1 for _ in reader)
            pytest.fail(f"read {frames} frames as if nothing went wrong")
    cause = info.value.__cause__
    assert isinstance(cause, derenotes.DecodeError) and str(cause).startswith("<Misbehaving>: reading stopped")


def test_a_seek_that_lands_elsewhere_is_an_error():
    data = (SAMPLES / "h264_bframes.mp4").read_bytes()  # its index is at the end: the probe seeks
    with pytest.raises(ValueError, match=r"seek\(\d+\) returned 'garbage'"):
        derenotes.VideoReader(Misbehaving(data, "seek", 0))


def test_ctrl_c_in_a_file_objects_read_is_a_keyboard_interrupt():
    def interrupt(file, size):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        derenotes.VideoReader(Misbehaving((SAMPLES / "h264.ts").read_bytes(), interrupt, 0))


def test_two_readers_on_two_file_objects_in_two_threads():
    data = (SAMPLES / "h264_bframes.mp4").read_bytes()
    results = {}

    def decode(number):
        with derenotes.VideoReader(io.BytesIO(data)) as reader:
            results[number] = [frame_bytes(frame) for frame in reader]

    threads = [threading.Thread(target=decode, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0] == results[1] == expected_frames("h264_bframes.mp4")


def test_the_files_datasources_hand_over():
    # fsspec (Hugging Face, Dask) and pyarrow (Ray Data) files, from memory and from disk.
    fsspec = pytest.importorskip("fsspec")
    pyarrow_fs = pytest.importorskip("pyarrow.fs")
    expected = expected_frames("vp9.webm")
    memory = fsspec.filesystem("memory")
    memory.pipe("/clips/vp9.webm", (SAMPLES / "vp9.webm").read_bytes())
    files = [memory.open("/clips/vp9.webm", "rb"), fsspec.filesystem("file").open(str(SAMPLES / "vp9.webm"), "rb"),
             pyarrow_fs.LocalFileSystem().open_input_file(str(SAMPLES / "vp9.webm"))]
    for file in files:
        with file, derenotes.VideoReader(file) as reader:
            assert [frame_bytes(frame) for frame in reader] == expected, reader.name
            assert frame_bytes(reader[len(expected) // 2]) == expected[len(expected) // 2]
            assert file.tell() >= 0  # still open


def test_the_limits_hold_for_bytes_and_file_objects(tmp_path):
    # The MOV declaring 40 million samples (see test_structure_limits): its tables are counted
    # through the source before FFmpeg indexes them, whatever the source.
    from test_structure_limits import declare_samples

    mov = tmp_path / "real.mov"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x64:r=25", "-frames:v", "64",
                    "-c:v", "rawvideo", "-pix_fmt", "uyvy422", "-use_editlist", "0", "-f", "mov", str(mov)], check=True)
    hostile = declare_samples(mov.read_bytes(), 40_000_000)
    for source in (hostile, io.BytesIO(hostile)):
        with pytest.raises(derenotes.LimitExceededError, match="40000000 packets.*max_packets"):
            derenotes.VideoReader(source)


def test_a_fifo_by_its_path_is_a_stream_too(tmp_path):
    import os

    fifo = tmp_path / "clip.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat {SAMPLES / 'h264.ts'} > {fifo}"])
    try:
        with derenotes.VideoReader(fifo) as reader:
            assert [frame_bytes(frame) for frame in reader] == expected_frames("h264.ts")
            with pytest.raises(derenotes.NotSeekableError, match="random access"):
                len(reader)
    finally:
        writer.kill()
        writer.wait()
