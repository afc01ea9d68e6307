"""AudioReader.read and AudioFrame.to_ndarray: audio converted with libswresample, checked
against the ffmpeg CLI's conversion of the same stream (-sample_fmt, -ar, -ac; -ss and -t after
-i for ranges, which the CLI counts from the file's start time, ffprobe's format start_time),
and against slices of the CLI's whole decoding at the sample positions the docs define:
round(seconds * rate) on the stream's timeline (where ffprobe says its first sample is)."""
import io
import json
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import MANIFEST, SAMPLES

AUDIO_STREAMS = [(name, n) for name, clip in MANIFEST["clips"].items() for n in range(len(clip.get("audio_streams", [])))]
# 44.1 kHz mono, then 22.05 kHz stereo: checked on its own where the CLI differs (below).
FORMAT_CHANGE = "aac_format_change.aac"
EMPTY = "h264_empty_audio.mkv"  # an audio track without packets (test_audio.py)
STEADY_STREAMS = [clip for clip in AUDIO_STREAMS if clip[0] not in (FORMAT_CHANGE, EMPTY)]
# format= names and the CLI's raw output of them, with NumPy's dtype.
RAW = {"flt": ("f32le", np.float32), "s16": ("s16le", np.int16), "s32": ("s32le", np.int32),
       "dbl": ("f64le", np.float64), "u8": ("u8", np.uint8)}
CONVERSIONS = [  # (format, sample_rate, channels)
    ("flt", None, None), ("s16", 16000, 1), ("dbl", 22050, 2), ("u8", None, None), ("s32", 48000, None)]


def audio_id(param):
    return f"{param[0]}:a:{param[1]}"


def cli(name, stream=0, fmt="flt", sample_rate=None, channels=None, start=None, duration=None, layout=None):
    """The CLI's conversion as (channels, samples); start is on the file's timeline (-ss)."""
    command = ["ffmpeg", "-v", "error", "-i", str(SAMPLES / name), "-map", f"0:a:{stream}"]  # (an absolute name stays)
    if start is not None:
        command += ["-ss", repr(start)]
    if duration is not None:
        command += ["-t", repr(duration)]
    if sample_rate:
        command += ["-ar", str(sample_rate)]
    if channels:
        command += ["-ac", str(channels)]
    if layout:
        command += ["-ch_layout", layout]
    raw, dtype = RAW[fmt]
    out = subprocess.run(command + ["-f", raw, "-"], check=True, capture_output=True).stdout
    count = channels or probe(name, stream)["channels"] if not layout else len(layout.split("+")) or 1
    return np.frombuffer(out, dtype=dtype).reshape(-1, count).T


def probe(name, stream=0):
    """ffprobe's stream (with the format's start_time as "file_start")."""
    result = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", f"a:{stream}", "-show_entries",
         "stream=channels,sample_rate,start_time:format=start_time", "-of", "json", str(SAMPLES / name)],  # noqa
        check=True, capture_output=True, text=True).stdout)
    info = result["streams"][0]
    info["file_start"] = float(result["format"].get("start_time", 0))
    info["start"] = float(info.get("start_time", 0))
    return info


def first_frame_time(name, stream=0):
    """ffprobe's time of the stream's first decoded frame (Vorbis's first packet makes none). FFmpeg
    4's ffprobe names a frame's pts pkt_pts, later releases pts."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", f"a:{stream}", "-read_intervals", "%+#8",
                          "-show_entries", "frame=pts_time,pkt_pts_time", "-of", "csv=p=0", str(SAMPLES / name)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[0].strip(","))


def holds_only_itself(array):
    """The array's memory is its own and no bigger than it (cut to the result): NumPy's, or the
    block read() fills, which is the array's base."""
    if array.flags.owndata:
        return True
    return not isinstance(array.base, np.ndarray) and memoryview(array.base).nbytes == array.nbytes


def assert_equal(ours, expected):
    assert ours.dtype == expected.dtype and ours.flags.c_contiguous and holds_only_itself(ours)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("clip", AUDIO_STREAMS, ids=audio_id)
@pytest.mark.parametrize("conversion", CONVERSIONS, ids=lambda c: "-".join(map(str, c)))
def test_the_whole_stream_converted_is_the_clis(clip, conversion):
    name, stream = clip
    fmt, sample_rate, channels = conversion
    if name == FORMAT_CHANGE and (sample_rate or channels):
        pytest.skip("resampled, checked by test_a_stream_that_changes_format_loses_nothing_at_the_change")
    with derenotes.AudioReader(SAMPLES / name, stream=stream) as reader:
        ours = reader.read(format=fmt, sample_rate=sample_rate, channels=channels)
    assert_equal(ours, cli(name, stream, fmt, sample_rate, channels))


@pytest.mark.parametrize("clip", STEADY_STREAMS, ids=audio_id)
@pytest.mark.parametrize("conversion", [CONVERSIONS[0], CONVERSIONS[1]], ids=["flt", "s16-16000-1"])
def test_a_range_is_the_clis_trimmed_output(clip, conversion):
    name, stream = clip
    fmt, sample_rate, channels = conversion
    info = probe(name, stream)
    if info["start"] != info["file_start"]:
        pytest.skip("the CLI trims an output starting with the file's other streams (checked by slices below)")
    with derenotes.AudioReader(SAMPLES / name, stream=stream) as reader:
        for start, stop in [(0.25, 0.45), (0.1, 0.35), (0.3, 0.4)]:  # every sample is 0.5 s at least
            ours = reader.read(start, stop, format=fmt, sample_rate=sample_rate, channels=channels)
            expected = cli(name, stream, fmt, sample_rate, channels, start - info["file_start"], stop - start)
            assert_equal(ours, expected)
            assert ours.shape[1] > 0


@pytest.mark.parametrize("clip", STEADY_STREAMS, ids=audio_id)
def test_a_range_is_the_slice_of_the_whole_decoding_at_its_sample_positions(clip):
    name, stream = clip
    if "damaged" in name:
        pytest.skip("a lost frame leaves a gap in time: the whole decoding's samples are not at their index")
    info = probe(name, stream)
    rate = int(info["sample_rate"])
    whole = cli(name, stream)
    first = round(first_frame_time(name, stream) * rate)  # the position of the CLI's first sample
    with derenotes.AudioReader(SAMPLES / name, stream=stream) as reader:
        # Backwards, forwards, odd times off the sample grid, past the end, before the start.
        for start, stop in [(0.7, 0.9), (0.05, 0.3001), (0.3337, 0.41), (0.9, 50.0), (-1.0, 0.02), (0.6, 0.6)]:
            ours = reader.read(start, stop)
            low = max(int(np.floor(start * rate + 0.5)) - first, 0)
            high = max(int(np.floor(stop * rate + 0.5)) - first, 0)
            assert_equal(ours, whole[:, low:high])


@pytest.mark.parametrize("name", ["aac_stereo.m4a", "opus_stereo.opus", "pcm_s16le_5.1.wav", "mp3_mono.mp3"])
@pytest.mark.parametrize("conversion", [CONVERSIONS[0], CONVERSIONS[1]], ids=["flt", "s16-16000-1"])
def test_consecutive_reads_go_on_and_join_into_the_whole(name, conversion):
    fmt, sample_rate, channels = conversion
    with derenotes.AudioReader(SAMPLES / name) as reader:
        whole = reader.read(format=fmt, sample_rate=sample_rate, channels=channels)
        edges = np.arange(0, 1.2, 0.0713)  # off the frame and sample grids, past the end
        pieces = [reader.read(a, b, format=fmt, sample_rate=sample_rate, channels=channels)
                  for a, b in zip(edges[:-1], edges[1:])]
    joined = np.concatenate([np.zeros_like(whole[:, :0])] + pieces, axis=1)
    start = round(probe(name)["start"] * (sample_rate or int(probe(name)["sample_rate"])))
    assert_equal(joined, whole[:, max(0, -start):][:, :joined.shape[1]] if start <= 0 else whole[:, :joined.shape[1]])
    assert joined.shape == whole.shape


def test_iteration_and_reads_interleave():
    name = "aac_stereo.m4a"
    whole = cli(name)
    with derenotes.AudioReader(SAMPLES / name) as reader:
        frames = [next(reader) for _ in range(5)]  # the decoder moved: read starts again
        assert_equal(reader.read(0.5, 0.6), whole[:, 22050:26460])
        assert_equal(reader.read(0.0, 0.1), whole[:, :4410])
        again = list(reader)  # a new iteration starts from the first frame
        assert_equal(np.concatenate([f.to_ndarray() for f in again], axis=1), whole)
        assert_equal(np.concatenate([f.to_ndarray() for f in frames], axis=1), whole[:, :5 * 1024])


@pytest.mark.parametrize("clip", STEADY_STREAMS, ids=audio_id)
def test_each_frame_converted_on_its_own_joins_into_the_clis_conversion(clip):
    # Without resampling, a conversion has no memory: frame by frame gives the stream's.
    name, stream = clip
    with derenotes.AudioReader(SAMPLES / name, stream=stream) as reader:
        frames = list(reader)
    for fmt, channels in [("s16", 1), ("dbl", None), ("float32", 2)]:
        ours = np.concatenate([frame.to_ndarray(fmt, channels=channels) for frame in frames], axis=1)
        assert_equal(ours, cli(name, stream, {"float32": "flt"}.get(fmt, fmt), None, channels))


def test_a_stream_that_changes_format_loses_nothing_at_the_change():
    # The output keeps the first frame's rate and layout (the CLI's too). At the change, the
    # CLI sets up a new filter graph and drops what the old resampler held; read() flushes it
    # and keeps it: equal before the change, equal after it, longer by those samples.
    with derenotes.AudioReader(SAMPLES / FORMAT_CHANGE) as reader:
        ours = reader.read(format="s16", sample_rate=16000, channels=1)[0]
        whole = reader.read()
    expected = cli(FORMAT_CHANGE, fmt="s16", sample_rate=16000, channels=1)[0]
    change = 45 * 1024 * 16000 // 44100  # the first stereo frame, at 16 kHz
    np.testing.assert_array_equal(ours[:change - 32], expected[:change - 32])
    np.testing.assert_array_equal(ours[-16000:], expected[-16000:])
    assert 0 < len(ours) - len(expected) <= 32
    assert whole.shape == (1, 45 * 1024 + 23 * 2048)  # 22.05 kHz frames of 1024 made 44.1 kHz


def test_a_layout_by_name_is_the_clis():
    with derenotes.AudioReader(SAMPLES / "flac_5.1.flac") as reader:
        ours = reader.read(layout="stereo")
        frame = next(iter(reader))
    assert_equal(ours, cli("flac_5.1.flac", channels=2))
    assert frame.to_ndarray(layout="quad").shape == (4, frame.samples)
    with pytest.raises(ValueError, match="has 2 channels, not 3"):
        frame.to_ndarray(layout="stereo", channels=3)


def test_a_resampled_frame_alone_is_the_frame_as_a_whole_stream():
    with derenotes.AudioReader(SAMPLES / "pcm_f32le_stereo.wav") as reader:
        frame = next(reader)
        pcm = frame.to_ndarray()
    assert pcm.shape == (2, frame.samples)
    np.testing.assert_array_equal(pcm, np.asarray(frame.planes[0]).T)  # packed flt: a copy
    half = frame.to_ndarray(sample_rate=frame.sample_rate // 2)
    assert half.shape[1] in (frame.samples // 2, frame.samples // 2 + 1)


@pytest.mark.parametrize("arguments, error, message", [
    (dict(format="f32"), ValueError, "no sample format named 'f32'"),
    (dict(format=16), TypeError, "sample format's name"),
    (dict(layout="stereophonic"), ValueError, "no channel layout named 'stereophonic'"),
    (dict(channels=0), ValueError, "channels must be positive"),
    (dict(sample_rate=-8000), ValueError, "sample_rate must be positive"),
    (dict(sample_rate=10**9), ValueError, "sample_rate must be from 1 to"),
    (dict(channels=65), ValueError, "channels must be from 1 to 64"),
    (dict(start=1.0, stop=0.5), ValueError, "before start"),
    (dict(start=float("nan")), ValueError, "finite"),
    (dict(stop="1.0"), TypeError, "number of seconds"),
])
def test_bad_arguments_are_refused_before_any_work(arguments, error, message):
    with derenotes.AudioReader(SAMPLES / "aac_stereo.m4a") as reader:
        with pytest.raises(error, match=message):
            reader.read(**arguments)
        assert reader.read(0, 0.01).shape == (2, 441)  # and the reader still works


def test_read_holds_nothing_but_its_result():
    import tracemalloc

    with derenotes.AudioReader(SAMPLES / "two_audio_streams.mp4") as reader:
        reader.read(0, 0.1)
        tracemalloc.start()
        ours = reader.read()
        size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert ours.nbytes > 100_000
    assert peak <= ours.nbytes * 1.1 + 65536  # NumPy's memory is traced: no second copy at any time


class Unseekable(io.RawIOBase):
    """A pipe's worth of a file: read once, no seeking, so no duration either."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._data.readinto(buffer)


def test_a_stream_of_unknown_length_grows_its_result_in_place(tmp_path):
    # Raw ADTS three times over (3 s, more than read() first makes room for), from a pipe.
    data = (SAMPLES / "aac_damaged.aac").read_bytes() * 3
    (tmp_path / "long.aac").write_bytes(data)
    with derenotes.AudioReader(Unseekable(data)) as reader:
        assert reader.duration is None
        ours = reader.read(format="s16")
    expected = cli(str(tmp_path / "long.aac"), fmt="s16")
    assert expected.shape[1] > 1 << 16
    assert_equal(ours, expected)


def test_a_closed_reader_refuses_to_read():
    reader = derenotes.AudioReader(SAMPLES / "mp3_mono.mp3")
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read()


@pytest.mark.parametrize("name", ["pcm_s16le_5.1.wav", "flac_5.1.flac", "opus_stereo.opus"])
def test_bytes_and_file_objects_read_as_the_path_does(name):
    # Seeks (the lossless ones) and starts again (backwards) through the sources' own I/O.
    data = (SAMPLES / name).read_bytes()
    with derenotes.AudioReader(SAMPLES / name) as reader:
        expected = [reader.read(0.2, 0.4), reader.read(0.05, 0.15, format="s16", sample_rate=16000)]
    for source in (data, io.BytesIO(data)):
        with derenotes.AudioReader(source) as reader:
            ours = [reader.read(0.2, 0.4), reader.read(0.05, 0.15, format="s16", sample_rate=16000)]
        for got, want in zip(ours, expected):
            assert_equal(got, want)
            assert got.shape[1] > 0


class SlowFile(io.BytesIO):
    """A file object whose reads take a while, and say when the first one came."""

    def __init__(self, data):
        super().__init__(data)
        import threading
        self.reading = threading.Event()

    def read(self, size=-1):
        import time
        self.reading.set()
        time.sleep(0.02)
        return super().read(16384 if size < 0 else min(size, 16384))


def long_adts():
    return (SAMPLES / FORMAT_CHANGE).read_bytes() * 20  # 40 s of ADTS, 260 KB: 16 reads of 20 ms


def test_a_read_holds_the_reader_from_start_to_end():
    import threading

    source = SlowFile(long_adts())
    reader = derenotes.AudioReader(source, max_probe_bytes=32768)  # the reads left for read()
    results = []
    thread = threading.Thread(target=lambda: results.append(reader.read(format="s16")))
    source.reading.clear()
    thread.start()
    source.reading.wait(5)
    with pytest.raises(RuntimeError, match="in use by another thread"):
        next(reader)  # would take frames from the read in progress
    thread.join(30)
    (ours,) = results
    with derenotes.AudioReader(long_adts()) as again:
        assert_equal(ours, again.read(format="s16"))


def test_close_from_another_thread_cancels_a_read():
    import threading

    source = SlowFile(long_adts())
    reader = derenotes.AudioReader(source, max_probe_bytes=32768)
    errors = []

    def read():
        try:
            reader.read()
        except Exception as error:  # noqa: BLE001 - the test looks at what came
            errors.append(error)

    thread = threading.Thread(target=read)
    source.reading.clear()
    thread.start()
    source.reading.wait(5)
    reader.close()
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], derenotes.CancelledError)
