"""AudioReader: every decoded sample of every frame of every audio stream of the samples,
exported without a copy through the planes, equals the ffmpeg CLI's decoding of the same stream
(its own sample format, planar formats interleaved by the CLI); planes have the shape and item
type of their sample format."""
import io
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import MANIFEST, SAMPLES

# (clip, audio stream number) for every audio stream of every sample.
AUDIO_STREAMS = [(name, n) for name, clip in MANIFEST["clips"].items() for n in range(len(clip.get("audio_streams", [])))]
# A stream whose frames change rate and layout (44.1 kHz mono, then 22.05 kHz stereo): the CLI
# converts the frames after the change to the first ones' format, so its planes are checked apart.
FORMAT_CHANGE = "aac_format_change.aac"
EMPTY = "h264_empty_audio.mkv"  # an audio track without a single packet
# The CLI's raw output format for each sample format's samples (packed, as the CLI interleaves).
RAW = {"fltp": ("f32le", "<f4"), "flt": ("f32le", "<f4"), "s16": ("s16le", "<i2"), "s16p": ("s16le", "<i2"),
       "s32": ("s32le", "<i4"), "s32p": ("s32le", "<i4"), "u8": ("u8", "u1"), "u8p": ("u8", "u1"),
       "dbl": ("f64le", "<f8"), "dblp": ("f64le", "<f8")}


def cli_samples(path, stream, sample_format, channels, options=()):
    """The CLI's decoded samples, (samples, channels), in the decoder's own sample format."""
    raw, dtype = RAW[sample_format]
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:a:{stream}", *options, "-f", raw, "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=dtype).reshape(-1, channels)


def frame_samples(frame):
    """A frame's samples from its planes, (samples, channels): planar planes side by side."""
    arrays = [np.asarray(plane) for plane in frame.planes]
    if len(arrays) == 1 and arrays[0].ndim == 2:
        return arrays[0]
    assert all(array.shape == (frame.samples,) for array in arrays)
    return np.stack(arrays, axis=1)


def audio_id(param):
    return f"{param[0]}:a:{param[1]}"


@pytest.mark.parametrize("clip", [clip for clip in AUDIO_STREAMS if clip[0] not in (FORMAT_CHANGE, EMPTY)],
                         ids=audio_id)
def test_every_sample_is_the_clis(clip):
    name, stream = clip
    path = SAMPLES / name
    with derenotes.AudioReader(path, stream=stream) as reader:
        sample_format, channels = reader.sample_format, reader.channels
        frames = list(reader)
    assert sample_format == MANIFEST["clips"][name]["audio_streams"][stream]["sample_fmt"]
    assert frames and all(frame.format == sample_format for frame in frames)
    ours = np.concatenate([frame_samples(frame) for frame in frames])  # frames outlive their reader
    expected = cli_samples(path, stream, sample_format, channels)
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("clip", AUDIO_STREAMS, ids=audio_id)
def test_the_stream_is_described_as_ffprobe_says(clip):
    import json

    name, stream = clip
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", f"a:{stream}", "-show_entries",
         "stream=sample_rate,channels,channel_layout,sample_fmt,index", "-of", "json", str(SAMPLES / name)],
        check=True, capture_output=True, text=True).stdout)["streams"][0]
    with derenotes.AudioReader(SAMPLES / name, stream=stream) as reader:
        assert reader.sample_rate == int(probe["sample_rate"])
        assert reader.channels == probe["channels"]
        assert reader.layout == probe.get("channel_layout", "")
        assert reader.sample_format == probe["sample_fmt"]
        assert reader.stream_index == probe["index"]
        if name == EMPTY:
            return
        frame = next(reader)
        assert (frame.sample_rate, frame.channels, frame.layout) == (reader.sample_rate, reader.channels, reader.layout)


def test_planes_are_the_decoders_memory_with_the_right_shape_and_type():
    with derenotes.AudioReader(SAMPLES / "aac_stereo.m4a") as reader:
        frame = next(reader)
    left, right = frame.planes  # planar: one plane per channel, kept alive by the plane
    view = memoryview(left)
    assert (view.format, view.shape, view.readonly) == ("<f", (frame.samples,), not frame.writable)
    assert np.asarray(left).ctypes.data == left.address  # no copy
    assert len(np.frombuffer(left, np.uint8)) >= frame.samples * 4  # the raw bytes, padding included
    assert np.from_dlpack(right).shape == (frame.samples,)
    with derenotes.AudioReader(SAMPLES / "pcm_s32le_stereo.wav") as reader:
        frame = next(reader)
    (packed,) = frame.planes
    array = np.asarray(packed)
    assert (array.dtype, array.shape) == (np.dtype("<i4"), (frame.samples, 2))  # signed, interleaved
    assert array.strides == (8, 4)


def test_a_file_without_audio_says_so():
    with pytest.raises(derenotes.StreamNotFoundError, match="no audio stream"):
        derenotes.AudioReader(SAMPLES / "h264_bframes.mp4")


def test_audio_of_a_video_file_from_any_source():
    path = SAMPLES / "h264_aac.mp4"
    with derenotes.AudioReader(io.BytesIO(path.read_bytes())) as reader:
        assert reader.audio_stream_count == 1
        ours = np.concatenate([frame_samples(frame) for frame in reader])
        expected = cli_samples(path, 0, reader.sample_format, reader.channels)
    np.testing.assert_array_equal(ours, expected)
    with pytest.raises(derenotes.StreamNotFoundError, match="1 audio stream"):
        derenotes.AudioReader(path, stream=1)


def test_a_damaged_packet_is_counted_and_the_rest_decodes():
    # 32 junk bytes in packet 22 of an ADTS stream (see samples/make_samples.py): the CLI loses
    # that frame and keeps the others, as the reader does (every sample compared above).
    with derenotes.AudioReader(SAMPLES / "aac_damaged.aac") as reader:
        frames = list(reader)
        assert reader.decode_errors == 1
    assert len(frames) == 44
    assert any(frame.corrupt for frame in frames)


def test_frames_that_change_rate_and_layout_come_as_the_decoder_makes_them():
    with derenotes.AudioReader(SAMPLES / FORMAT_CHANGE) as reader:
        frames = list(reader)
    formats = [(frame.sample_rate, frame.channels, frame.layout) for frame in frames]
    assert formats == [(44100, 1, "mono")] * 45 + [(22050, 2, "stereo")] * 23
    # The CLI converts every frame to one format: to the first part's, the first part comes out
    # as it is; to the second part's, the second part does.
    first = np.concatenate([frame_samples(frame) for frame in frames[:45]])
    np.testing.assert_array_equal(first, cli_samples(SAMPLES / FORMAT_CHANGE, 0, "fltp", 1)[:45 * 1024])
    second = np.concatenate([frame_samples(frame) for frame in frames[45:]])
    np.testing.assert_array_equal(second, cli_samples(SAMPLES / FORMAT_CHANGE, 0, "fltp", 2,
                                                      ["-ar", "22050", "-ac", "2"])[-23 * 1024:])


def test_an_audio_track_without_packets_gives_no_frames_and_empty_arrays():
    expected = cli_samples(SAMPLES / EMPTY, 0, "s16", 2)
    assert expected.shape == (0, 2)  # the CLI finds nothing either
    with derenotes.AudioReader(SAMPLES / EMPTY) as reader:
        assert (reader.channels, reader.sample_rate) == (2, 8000)
        assert list(reader) == []
        for arguments, shape, dtype in [({}, (2, 0), np.float32), (dict(channels=1, format="s16"), (1, 0), np.int16),
                                        (dict(start=0.2, stop=0.5, layout="5.1"), (6, 0), np.float32)]:
            pcm = reader.read(**arguments)
            assert (pcm.shape, pcm.dtype) == (shape, dtype)
