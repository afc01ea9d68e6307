"""Every frame and every plane of every sample equals the ffmpeg CLI's decoded output."""
import numpy as np
import pytest

import derenotes
from conftest import CLIP_STREAMS, MANIFEST, SAMPLES, clip_id, ffmpeg_raw_frames, plane_rows

# The array each plane is exported as, by the clips' pixel formats: (shape, NumPy dtype) per
# plane, with h, w the frame's size and ch, cw the chroma planes' (rounded up).
EXPECTED_ARRAYS = {
    "yuv420p": lambda h, w, ch, cw: [((h, w), "|u1"), ((ch, cw), "|u1"), ((ch, cw), "|u1")],
    "yuvj420p": lambda h, w, ch, cw: [((h, w), "|u1"), ((ch, cw), "|u1"), ((ch, cw), "|u1")],
    "yuvj422p": lambda h, w, ch, cw: [((h, w), "|u1"), ((h, cw), "|u1"), ((h, cw), "|u1")],
    "yuv420p10le": lambda h, w, ch, cw: [((h, w), "<u2"), ((ch, cw), "<u2"), ((ch, cw), "<u2")],
    "yuva420p": lambda h, w, ch, cw: [((h, w), "|u1"), ((ch, cw), "|u1"), ((ch, cw), "|u1"), ((h, w), "|u1")],
    "rgb24": lambda h, w, ch, cw: [((h, w, 3), "|u1")],
    "bgr24": lambda h, w, ch, cw: [((h, w, 3), "|u1")],
    "rgba": lambda h, w, ch, cw: [((h, w, 4), "|u1")],
    "bgra": lambda h, w, ch, cw: [((h, w, 4), "|u1")],
    "gray": lambda h, w, ch, cw: [((h, w), "|u1")],
    "gray16be": lambda h, w, ch, cw: [((h, w), ">u2")],
    "rgb48be": lambda h, w, ch, cw: [((h, w, 3), ">u2")],
    "nv12": lambda h, w, ch, cw: [((h, w), "|u1"), ((ch, cw, 2), "|u1")],
    "pal8": lambda h, w, ch, cw: [((h, w), "|u1"), ((256, 4), "|u1")],
    "monob": lambda h, w, ch, cw: [((h, (w + 7) // 8), "|u1")],
    "gbrpf32le": lambda h, w, ch, cw: [((h, w), "<f4")] * 3,
    "yuyv422": lambda h, w, ch, cw: [((h, w, 2), "|u1")],
    "rgb565le": lambda h, w, ch, cw: [((h, w), "<u2")],
}


def chroma_shift(pix_fmt):
    """log2 chroma subsampling (w, h) of the formats above."""
    return {"yuv420p": (1, 1), "yuvj420p": (1, 1), "yuv420p10le": (1, 1), "yuva420p": (1, 1),
            "nv12": (1, 1), "yuvj422p": (1, 0)}.get(pix_fmt, (0, 0))


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_every_plane_of_every_frame_equals_ffmpeg(clip_stream, libavutil):
    name, stream = clip_stream
    path = SAMPLES / name
    expected_stream = MANIFEST["clips"][name]["streams"][stream]
    pix_fmt, width, height = expected_stream["pix_fmt"], expected_stream["width"], expected_stream["height"]
    oracle = ffmpeg_raw_frames(str(path), stream, pix_fmt)
    frame_size = libavutil.frame_size(pix_fmt, width, height)
    plane_sizes = libavutil.plane_sizes(pix_fmt, width, height)
    assert frame_size == sum(size for _, size in plane_sizes)
    assert len(oracle) % frame_size == 0
    sx, sy = chroma_shift(pix_fmt)
    expected_arrays = EXPECTED_ARRAYS[pix_fmt](height, width, -(-height >> sy), -(-width >> sx))

    count = 0
    with derenotes.VideoReader(path, stream=stream) as reader:
        assert reader.pix_fmt == pix_fmt
        for frame in reader:
            assert frame.index == count
            assert (frame.pix_fmt, frame.width, frame.height) == (pix_fmt, width, height)
            assert len(frame.planes) == len(plane_sizes)
            offset = count * frame_size
            direct_arrays = frame.arrays
            assert len(direct_arrays) == len(plane_sizes)
            for plane, direct, (linesize, size), (shape, dtype) in zip(frame.planes, direct_arrays, plane_sizes,
                                                                         expected_arrays):
                expected = np.frombuffer(oracle, np.uint8, size, offset).reshape(-1, linesize)
                offset += size
                # The raw bytes, row by row, padding dropped: FFmpeg's whole rows.
                np.testing.assert_array_equal(plane_rows(plane), expected, err_msg=f"frame {count} plane {plane.index}")
                # The image-shaped view, through the buffer protocol and from frame.arrays: the
                # right shape and item type over the same bytes.
                for array in (np.asarray(plane), direct):
                    assert (array.shape, array.dtype.str) == (shape, dtype)
                    as_bytes = np.ascontiguousarray(array).view(np.uint8).reshape(array.shape[0], -1)
                    np.testing.assert_array_equal(as_bytes, expected[:, :as_bytes.shape[1]])
                # The same view, except that the frame may have become writable in between: decoders
                # with threads of their own (libdav1d) drop their reference to an output frame when
                # they please. Never the other way round: a frame once writable stays so.
                direct_view, plane_view = direct.__array_interface__, np.asarray(plane).__array_interface__
                direct_address, direct_read_only = direct_view.pop("data")
                plane_address, plane_read_only = plane_view.pop("data")
                assert direct_view == plane_view and direct_address == plane_address
                assert direct_read_only or not plane_read_only
                assert memoryview(plane).shape == shape
            count += 1
    assert count * frame_size == len(oracle), "frame counts differ from ffmpeg's"
    assert count == expected_stream["frames"]
