"""frame.to_ndarray: libswscale conversions byte for byte as the ffmpeg CLI converts the same
frames (`-pix_fmt`, `-vf scale=W:H`, `-sws_flags`), and the out= array rules."""
import functools
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import CLIP_STREAMS, DEMO_CLIP, SAMPLES, first_frame, format_swscale_cannot_write, passthrough, rawvideo_bytes

FORMATS = ["rgb24", "bgr24", "rgba", "bgra", "gray", "gray16le", "rgb48le", "yuv444p"]
# Every format on these; rgb24 and gray on every sample stream.
EVERY_FORMAT_ON = ["h264_bframes.mp4", "hevc_10bit.mp4", "mjpeg_fullrange.avi", "nv12_raw.nut", "rgb48be_png.mkv",
                   "gbrpf32le_exr.mkv", "pal8_png.mkv", "odd_321x241_ffv1.mkv"]


@functools.lru_cache(maxsize=64)
def ffmpeg_converted(path, stream, pix_fmt, size=None, sws_flags=None):
    args = ["ffmpeg", "-v", "error", "-nostdin", "-noautorotate", "-i", str(path), "-map", f"0:v:{stream}",
            *passthrough()]
    if size:
        args += ["-vf", f"scale={size[0]}:{size[1]}"]
    if sws_flags:
        args += ["-sws_flags", sws_flags]
    return subprocess.run(args + ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"], check=True, capture_output=True).stdout


def converted(path, stream, pix_fmt, **options):
    with derenotes.VideoReader(path, stream=stream) as reader:
        return b"".join(rawvideo_bytes(frame.to_ndarray(pix_fmt, **options)) for frame in reader)


CASES = [(name, stream, pix_fmt) for name, stream in CLIP_STREAMS
         for pix_fmt in (FORMATS if name in EVERY_FORMAT_ON else ["rgb24", "gray"])]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}:v:{case[1]}-{case[2]}")
def test_conversions_equal_the_ffmpeg_cli_byte_for_byte(case):
    name, stream, pix_fmt = case
    expected = ffmpeg_converted(SAMPLES / name, stream, pix_fmt)
    assert expected and converted(SAMPLES / name, stream, pix_fmt) == expected


@pytest.mark.parametrize("name", ["h264_bframes.mp4", "mjpeg_fullrange.avi", "odd_321x241_ffv1.mkv"])
@pytest.mark.parametrize("size", [(320, 180), (333, 187)])
def test_resized_conversions_equal_the_ffmpeg_cli(name, size):
    expected = ffmpeg_converted(SAMPLES / name, 0, "rgb24", size)
    assert converted(SAMPLES / name, 0, "rgb24", width=size[0], height=size[1]) == expected


@pytest.mark.parametrize("flags", ["bilinear", "lanczos+accurate_rnd", "neighbor"])
def test_swscale_flags_are_the_clis(flags):
    expected = ffmpeg_converted(DEMO_CLIP, 0, "rgb24", (333, 187), flags)
    assert converted(DEMO_CLIP, 0, "rgb24", width=333, height=187, sws_flags=flags) == expected
    assert expected != ffmpeg_converted(DEMO_CLIP, 0, "rgb24", (333, 187))  # the flags do matter


def test_shapes_and_dtypes():
    frame = first_frame()  # 640x360
    expected = {"rgb24": ((360, 640, 3), np.uint8), "bgra": ((360, 640, 4), np.uint8), "gray": ((360, 640), np.uint8),
                "gray16le": ((360, 640), np.dtype("<u2")), "rgb48le": ((360, 640, 3), np.dtype("<u2")),
                "yuv444p": ((3, 360, 640), np.uint8)}
    for pix_fmt, (shape, dtype) in expected.items():
        array = frame.to_ndarray(pix_fmt)
        assert (array.shape, array.dtype) == (shape, dtype) and array.flags.c_contiguous
    assert frame.to_ndarray(width=100, height=50).shape == (50, 100, 3)


def test_out_receives_the_conversion_in_place_even_with_strided_rows():
    frame = first_frame()
    expected = frame.to_ndarray("rgb24")
    out = np.empty((360, 640, 3), np.uint8)
    assert frame.to_ndarray("rgb24", out=out) is out
    np.testing.assert_array_equal(out, expected)

    canvas = np.zeros((380, 700, 3), np.uint8)  # a view into a larger image: rows 2100 bytes apart
    window = canvas[10:370, 30:670]
    assert frame.to_ndarray("rgb24", out=window) is window
    np.testing.assert_array_equal(window, expected)
    assert not canvas[:10].any() and not canvas[370:].any() and not canvas[:, :30].any() and not canvas[:, 670:].any()

    planes = np.zeros((3, 370, 650), np.uint8)[:, 5:365, 5:645]  # planar, strided rows and planes
    frame.to_ndarray("yuv444p", out=planes)
    np.testing.assert_array_equal(planes, frame.to_ndarray("yuv444p"))


@pytest.mark.parametrize("bad_out, message", [
    (np.empty((360, 640, 4), np.uint8), "shape"),
    (np.empty((360, 640, 3), np.uint16), "dtype"),
    (np.empty((360, 640 * 2, 3), np.uint8)[:, ::2], "packed"),      # pixels not adjacent
    (np.empty((360, 640, 3), np.uint8, order="F"), "packed"),
    (np.empty((720, 640, 3), np.uint8)[::-2], "apart"),             # rows reversed
    ([[0] * 3] * 640, "numpy.ndarray"),
])
def test_an_unfit_out_is_refused_before_any_work(bad_out, message):
    frame = first_frame()
    if isinstance(bad_out, np.ndarray):
        bad_out[...] = 7
    with pytest.raises(ValueError, match=message):
        frame.to_ndarray("rgb24", out=bad_out)
    if isinstance(bad_out, np.ndarray):
        assert (bad_out == 7).all()  # untouched
    read_only = np.empty((360, 640, 3), np.uint8)
    read_only.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        frame.to_ndarray("rgb24", out=read_only)


def test_unknown_formats_flags_and_sizes_are_value_errors():
    frame = first_frame()
    with pytest.raises(ValueError, match="no pixel format named 'rgb'"):
        frame.to_ndarray("rgb")
    refused = format_swscale_cannot_write()  # a format decoders make and swscale does not
    if refused:
        with pytest.raises(derenotes.UnsupportedCodecError, match=f"swscale cannot convert to {refused}"):
            frame.to_ndarray(refused)
    with pytest.raises(ValueError, match="swscale flags"):
        frame.to_ndarray(sws_flags="no-such-flag")
    with pytest.raises(ValueError, match="positive"):
        frame.to_ndarray(width=0)


def test_a_readers_conversion_is_its_frames_default():
    expected = ffmpeg_converted(DEMO_CLIP, 0, "gray", (320, 180))
    with derenotes.VideoReader(DEMO_CLIP, format="gray", width=320, height=180) as reader:
        frames = list(reader)
        assert b"".join(frame.to_ndarray().tobytes() for frame in frames) == expected
        assert frames[0].to_ndarray("rgb24").shape == (180, 320, 3)  # the reader's size still
        assert frames[0].to_ndarray(width=64, height=36).shape == (36, 64)
    if format_swscale_cannot_write():
        with pytest.raises(ValueError, match="cannot convert"):
            derenotes.VideoReader(DEMO_CLIP, format=format_swscale_cannot_write())
    with pytest.raises(ValueError, match="swscale flags"):
        derenotes.VideoReader(DEMO_CLIP, sws_flags="no-such-flag")
    with pytest.raises(ValueError, match="positive"):
        derenotes.VideoReader(DEMO_CLIP, width=0)


@pytest.mark.parametrize("name", ["h264_opengop.mp4", "vp9_keyframes.webm"])
def test_get_frames_with_a_format_is_one_array_of_the_frames_converted(name):
    with derenotes.VideoReader(SAMPLES / name) as reader:
        width, height = reader.width, reader.height
        frame_size = width * height * 3
        everything = ffmpeg_converted(SAMPLES / name, 0, "rgb24")
        asked = [50, 3, 50, -1, 0]
        batch = reader.get_frames(asked, format="rgb24")
        assert batch.shape == (5, height, width, 3) and batch.dtype == np.uint8
        for row, index in zip(batch, asked):
            index %= len(reader)
            assert row.tobytes() == everything[index * frame_size:(index + 1) * frame_size]
        planar = reader.get_frames([1, 2], format="yuv444p")
        assert planar.shape == (2, 3, height, width)


def test_get_frames_and_frames_at_resize_to_the_size_asked():
    name = "h264_opengop.mp4"
    with derenotes.VideoReader(SAMPLES / name) as reader:
        everything = ffmpeg_converted(SAMPLES / name, 0, "rgb24", size=(97, 61))
        frame_size = 97 * 61 * 3
        asked = [40, 2, 40]
        for batch in (reader.get_frames(asked, format="rgb24", width=97, height=61),
                      reader.frames_at([reader.frame_times[i] for i in asked], "rgb24", width=97, height=61)):
            assert batch.shape == (3, 61, 97, 3)
            for row, index in zip(batch, asked):
                assert row.tobytes() == everything[index * frame_size:(index + 1) * frame_size]
        with pytest.raises(ValueError, match="need a format"):
            reader.get_frames([0], width=97)
        with pytest.raises(ValueError, match="positive"):
            reader.get_frames([0], "rgb24", height=0)


@pytest.mark.parametrize("pix_fmt", ["rgb24", "bgra", "gray", "rgb48le", "yuv444p"])
@pytest.mark.parametrize("width", [426, 333, 321])
def test_conversions_write_nothing_outside_the_array(pix_fmt, width):
    # swscale's SIMD code writes whole blocks of pixels: past the end of rows whose width is not a
    # multiple of the block. Nothing around a window of a larger array may change.
    frame = first_frame()
    expected = frame.to_ndarray(pix_fmt, width=width, height=187)
    planar = pix_fmt == "yuv444p"
    canvas = np.full((3 + 2, 187 + 4, width + 64) if planar else (187 + 4, width + 64) + expected.shape[2:], 7,
                     expected.dtype)
    window = canvas[1:4, 2:189, 8:8 + width] if planar else canvas[2:189, 8:8 + width]
    frame.to_ndarray(pix_fmt, width=width, height=187, out=window)
    np.testing.assert_array_equal(window, expected)
    window[...] = 7
    assert (canvas == 7).all()


# Beyond the eight: any format swscale produces, shaped as VideoFrame.arrays shapes the planes.
MORE_FORMATS = {  # format: (shapes of the planes at 640x360, result is a tuple)
    "yuv420p": ([(360, 640), (180, 320), (180, 320)], True),
    "nv12": ([(360, 640), (180, 320, 2)], True),
    "gbrp": ([(3, 360, 640)], False),
    "yuyv422": ([(360, 640, 2)], False),
    "rgb565le": ([(360, 640)], False),
    "p010le": ([(360, 640), (180, 320, 2)], True),
    "yuva444p16le": ([(4, 360, 640)], False),
}


@pytest.mark.parametrize("pix_fmt", MORE_FORMATS)
def test_any_format_swscale_produces_is_shaped_as_its_planes(pix_fmt):
    shapes, is_tuple = MORE_FORMATS[pix_fmt]
    frame = first_frame()
    result = frame.to_ndarray(pix_fmt)
    arrays = result if is_tuple else (result,)
    assert isinstance(result, tuple) == is_tuple and [a.shape for a in arrays] == shapes
    assert rawvideo_bytes(result) == ffmpeg_converted(DEMO_CLIP, 0, pix_fmt)[:len(rawvideo_bytes(result))]
    out = tuple(np.full_like(a, 7) for a in arrays) if is_tuple else np.full_like(result, 7)
    assert frame.to_ndarray(pix_fmt, out=out) is out
    assert rawvideo_bytes(out) == rawvideo_bytes(frame.to_ndarray(pix_fmt))


@pytest.mark.parametrize("name", ["h264_bframes.mp4", "nv12_raw.nut", "pal8_png.mkv", "monob_png.mkv",
                                  "rgb48be_png.mkv", "yuyv422_raw.nut", "bgr24_bottomup.avi",
                                  "odd_321x241_ffv1.mkv"])
def test_the_frames_own_format_is_a_copy_of_its_planes(name):
    with derenotes.VideoReader(SAMPLES / name) as reader:
        frames = list(reader)
        own = frames[0].pix_fmt
        expected = ffmpeg_converted(SAMPLES / name, 0, own)
        assert b"".join(rawvideo_bytes(frame.to_ndarray(own)) for frame in frames) == expected
        copy = frames[0].to_ndarray(own)
        for array, plane in zip(copy if isinstance(copy, tuple) else [copy], frames[0].planes):
            if array.ndim == 3 and array.shape[0] == len(frames[0].planes):  # stacked planes
                break
            np.testing.assert_array_equal(array, np.asarray(plane))
            assert array.base is not None and not np.shares_memory(array, np.asarray(plane))


def test_get_frames_with_a_format_of_several_shapes_is_one_array_per_plane():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        y, u, v = reader.get_frames([4, 1, 4], format="yuv420p")
        assert y.shape == (3, 360, 640) and u.shape == v.shape == (3, 180, 320)
        everything = ffmpeg_converted(DEMO_CLIP, 0, "yuv420p")
        frame_size = 640 * 360 * 3 // 2
        for place, index in enumerate([4, 1, 4]):
            assert y[place].tobytes() + u[place].tobytes() + v[place].tobytes() == \
                everything[index * frame_size:(index + 1) * frame_size]
