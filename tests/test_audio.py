"""AudioReader: every decoded sample of every frame, exported without a copy through the planes,
equals the ffmpeg CLI's decoding of the same stream (its own sample format, planar formats
interleaved by the CLI); planes have the shape and item type of their sample format."""
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import SAMPLES

# name: (ffmpeg arguments making the clip, its decoder's sample format)
CLIPS = {
    "aac_stereo.m4a": (["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-f", "lavfi",
                        "-i", "sine=frequency=660:sample_rate=48000:duration=1", "-filter_complex",
                        "[0][1]amerge=inputs=2", "-c:a", "aac"], "fltp"),
    "mp3_mono.mp3": (["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100:duration=1", "-c:a", "libmp3lame"],
                     "fltp"),
    "s16_stereo.wav": (["-f", "lavfi", "-i", "aevalsrc=sin(440*2*PI*t)|0.5*sin(880*2*PI*t):s=22050:d=1",
                        "-c:a", "pcm_s16le"], "s16"),
    "u8_mono.wav": (["-f", "lavfi", "-i", "aevalsrc=sin(100*2*PI*t):s=8000:d=1", "-c:a", "pcm_u8"], "u8"),
    "f64_stereo.wav": (["-f", "lavfi", "-i", "aevalsrc=sin(440*2*PI*t)|cos(440*2*PI*t):s=16000:d=1",
                        "-c:a", "pcm_f64le"], "dbl"),
    "flac_5.1.flac": (["-f", "lavfi", "-i",
                       "aevalsrc=sin(100*2*PI*t)|sin(200*2*PI*t)|sin(300*2*PI*t)|0.1|sin(500*2*PI*t)|sin(600*2*PI*t)"
                       ":s=48000:d=1:c=5.1", "-c:a", "flac"], "s32"),
    "opus_stereo.ogg": (["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-ac", "2",
                         "-c:a", "libopus"], "fltp"),
}
# The CLI's raw output format for each sample format's samples (packed, as the CLI interleaves).
RAW = {"fltp": ("f32le", "<f4"), "flt": ("f32le", "<f4"), "s16": ("s16le", "<i2"), "s16p": ("s16le", "<i2"),
       "s32": ("s32le", "<i4"), "s32p": ("s32le", "<i4"), "u8": ("u8", "u1"), "u8p": ("u8", "u1"),
       "dbl": ("f64le", "<f8"), "dblp": ("f64le", "<f8")}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    for name, (args, _) in CLIPS.items():
        subprocess.run(["ffmpeg", "-v", "error", *args, str(folder / name)], check=True)
    return folder


def cli_samples(path, stream, sample_format, channels):
    """The CLI's decoded samples, (samples, channels), in the decoder's own sample format."""
    raw, dtype = RAW[sample_format]
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:a:{stream}", "-f", raw, "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=dtype).reshape(-1, channels)


def frame_samples(frame):
    """A frame's samples from its planes, (samples, channels): planar planes side by side."""
    arrays = [np.asarray(plane) for plane in frame.planes]
    if len(arrays) == 1 and arrays[0].ndim == 2:
        return arrays[0]
    assert all(array.shape == (frame.samples,) for array in arrays)
    return np.stack(arrays, axis=1)


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_every_sample_is_the_clis(clips, name):
    path = clips / name
    with derenotes.AudioReader(path) as reader:
        sample_format, channels = reader.sample_format, reader.channels
        frames = list(reader)
    assert sample_format == CLIPS[name][1]
    assert frames and all(frame.format == sample_format for frame in frames)
    ours = np.concatenate([frame_samples(frame) for frame in frames])  # frames outlive their reader
    expected = cli_samples(path, 0, sample_format, channels)
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_the_stream_is_described_as_ffprobe_says(clips, name):
    import json

    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=sample_rate,channels,channel_layout,sample_fmt,index", "-of", "json", str(clips / name)],
        check=True, capture_output=True, text=True).stdout)["streams"][0]
    with derenotes.AudioReader(clips / name) as reader:
        assert reader.sample_rate == int(probe["sample_rate"])
        assert reader.channels == probe["channels"]
        assert reader.layout == probe.get("channel_layout", "")
        assert reader.sample_format == probe["sample_fmt"]
        assert reader.stream_index == probe["index"]
        frame = next(reader)
        assert (frame.sample_rate, frame.channels, frame.layout) == (reader.sample_rate, reader.channels, reader.layout)


def test_planes_are_the_decoders_memory_with_the_right_shape_and_type(clips):
    with derenotes.AudioReader(clips / "aac_stereo.m4a") as reader:
        frame = next(reader)
    left, right = frame.planes  # planar: one plane per channel, kept alive by the plane
    view = memoryview(left)
    assert (view.format, view.shape, view.readonly) == ("<f", (frame.samples,), not frame.writable)
    assert np.asarray(left).ctypes.data == left.address  # no copy
    assert len(np.frombuffer(left, np.uint8)) >= frame.samples * 4  # the raw bytes, padding included
    assert np.from_dlpack(right).shape == (frame.samples,)
    with derenotes.AudioReader(clips / "s16_stereo.wav") as reader:
        frame = next(reader)
    (packed,) = frame.planes
    array = np.asarray(packed)
    assert (array.dtype, array.shape) == (np.dtype("<i2"), (frame.samples, 2))  # signed, interleaved
    assert array.strides == (4, 2)


def test_a_file_without_audio_says_so():
    with pytest.raises(derenotes.StreamNotFoundError, match="no audio stream"):
        derenotes.AudioReader(SAMPLES / "h264_bframes.mp4")


def test_audio_of_a_video_file_from_any_source(clips):
    path = SAMPLES / "audio_first.mkv"
    with derenotes.AudioReader(path.read_bytes()) as reader:
        assert reader.audio_stream_count == 1
        ours = np.concatenate([frame_samples(frame) for frame in reader])
        expected = cli_samples(path, 0, reader.sample_format, reader.channels)
    np.testing.assert_array_equal(ours, expected)
    with pytest.raises(derenotes.StreamNotFoundError, match="1 audio stream"):
        derenotes.AudioReader(path, stream=1)
