"""The buffer protocol: zero copy, lifetime, read-only and writable exports, refusals."""
import ctypes
import gc
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import derenotes
from conftest import DEMO_CLIP, SAMPLES, first_frame, plane_rows

PADDED_CLIP = SAMPLES / "odd_321x241_ffv1.mkv"  # FFmpeg pads its 321-pixel rows


class PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.py_object), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
                ("format", ctypes.c_char_p), ("shape", ctypes.POINTER(ctypes.c_ssize_t)),
                ("strides", ctypes.POINTER(ctypes.c_ssize_t)), ("suboffsets", ctypes.c_void_p),
                ("internal", ctypes.c_void_p)]


# CPython's request flags (Include/pybuffer.h).
PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND = 0x0001, 0x0004, 0x0008
PyBUF_STRIDES = 0x0010 | PyBUF_ND
PyBUF_C_CONTIGUOUS = 0x0020 | PyBUF_STRIDES


def get_buffer(obj, flags):
    """Asks for a buffer with exactly these flags, as a C consumer would."""
    view = PyBuffer()
    get = ctypes.pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
    get(obj, ctypes.byref(view), flags)
    return view


def release_buffer(view):
    ctypes.pythonapi.PyBuffer_Release(ctypes.byref(view))


def test_arrays_share_the_frames_memory():
    frame = first_frame(DEMO_CLIP)
    for plane in frame.planes:
        image, raw, view = np.asarray(plane), np.frombuffer(plane, np.uint8), memoryview(plane)
        assert image.__array_interface__["data"][0] == plane.address
        assert raw.__array_interface__["data"][0] == plane.address  # linesize > 0: lowest == row 0
        assert np.shares_memory(image, raw)
        assert view.shape == image.shape and view.strides == image.strides
        assert image.base is not None and not image.flags.owndata


def test_frame_arrays_are_the_planes_as_numpy_views():
    for clip in (DEMO_CLIP, PADDED_CLIP, SAMPLES / "bgr24_bottomup.avi", SAMPLES / "pal8_png.mkv"):
        frame = first_frame(clip)
        arrays = frame.arrays
        assert isinstance(arrays, tuple) and len(arrays) == len(frame.planes)
        for plane, array in zip(frame.planes, arrays):
            assert type(array) is np.ndarray and not array.flags.owndata
            assert array.__array_interface__ == np.asarray(plane).__array_interface__  # same memory and geometry
            assert array.__array_interface__["data"][0] == plane.address


def test_frame_arrays_keep_the_frame_alive():
    reader = derenotes.VideoReader(DEMO_CLIP)
    arrays = next(reader).arrays
    expected = [a.copy() for a in arrays]
    reader.close()
    del reader
    gc.collect()
    with derenotes.VideoReader(DEMO_CLIP) as other:  # reuses the freed memory, if any was freed
        list(other)
    for array, original in zip(arrays, expected):
        np.testing.assert_array_equal(array, original)


def test_frame_arrays_of_reference_frames_are_read_only():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        frame = next(reader)
        luma = frame.arrays[0]
        assert not luma.flags.writeable
        with pytest.raises(ValueError):
            luma.setflags(write=True)
        with pytest.raises(ValueError):
            luma[0, 0] = 1


def test_frame_arrays_count_as_a_view_for_make_writable():
    frame = first_frame(DEMO_CLIP)
    arrays = frame.arrays
    luma = arrays[0]
    del arrays
    with pytest.raises(BufferError, match="view"):
        frame.make_writable()  # one array of the tuple is enough to refuse
    del luma
    frame.make_writable()
    luma = frame.arrays[0]
    assert luma.flags.writeable
    luma[:] = 7
    assert set(bytes(frame.planes[0])) == {7}


def test_importing_derenotes_leaves_numpy_unimported():
    code = ("import sys, derenotes; assert 'numpy' not in sys.modules; "
            "reader = derenotes.VideoReader(sys.argv[1]); frame = next(reader); frame.planes; "
            "assert 'numpy' not in sys.modules; frame.arrays; assert 'numpy' in sys.modules")
    result = subprocess.run([sys.executable, "-c", code, str(DEMO_CLIP)], capture_output=True, text=True,
                            cwd=pathlib.Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr


def test_strided_view_excludes_padding_and_raw_view_includes_it():
    frame = first_frame(PADDED_CLIP)
    luma = frame.planes[0]
    assert luma.linesize > luma.row_bytes == 321
    image = np.asarray(luma)
    assert image.shape == (241, 321) and image.strides == (luma.linesize, 1)
    raw = np.frombuffer(luma, np.uint8)
    assert raw.shape == (luma.linesize * 241,)
    np.testing.assert_array_equal(raw[:luma.linesize * 241].reshape(241, -1)[:, :321], image)
    assert bytes(luma) == raw.tobytes()
    chroma = np.asarray(frame.planes[1])
    assert chroma.shape == (121, 161)  # chroma rounds up


def test_bottom_up_frames_are_negative_strides():
    frame = first_frame(SAMPLES / "bgr24_bottomup.avi")
    plane = frame.planes[0]
    assert plane.linesize < 0
    image = np.asarray(plane)
    assert image.strides[0] == plane.linesize and image.shape == (64, 96, 3)
    assert image.__array_interface__["data"][0] == plane.address
    raw = np.frombuffer(plane, np.uint8)
    assert raw.size == -plane.linesize * 64
    np.testing.assert_array_equal(plane_rows(plane).reshape(64, 96, 3), image)


def test_planes_outlive_the_decoder_and_the_reader():
    kept, copies = [], []
    reader = derenotes.VideoReader(DEMO_CLIP)
    for frame in reader:
        if frame.index < 4:
            arrays = [np.asarray(p) for p in frame.planes] + [np.frombuffer(frame.planes[0], np.uint8)]
            kept.append(arrays)
            copies.append([a.copy() for a in arrays])
    reader.close()
    del reader, frame
    gc.collect()
    # Decode another clip of the same size so that freed memory would be reused.
    with derenotes.VideoReader(DEMO_CLIP) as other:
        for _ in other:
            pass
    for arrays, originals in zip(kept, copies):
        for array, original in zip(arrays, originals):
            np.testing.assert_array_equal(array, original)


def test_a_memoryview_keeps_its_plane_and_frame_alive():
    view = memoryview(first_frame(DEMO_CLIP).planes[1])
    gc.collect()
    expected = np.asarray(view).copy()
    with derenotes.VideoReader(DEMO_CLIP) as other:
        list(other)
    np.testing.assert_array_equal(np.asarray(view), expected)
    assert view.obj.frame.index == 0


def test_reference_frames_are_read_only_and_say_how_to_get_a_copy():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        frame = next(reader)
        assert not frame.writable  # the decoder still predicts from it
        plane = frame.planes[0]
        assert memoryview(plane).readonly
        assert not np.asarray(plane).flags.writeable
        with pytest.raises(BufferError, match="make_writable"):
            get_buffer(plane, PyBUF_WRITABLE)
        with pytest.raises(ValueError):
            np.asarray(plane)[0, 0] = 1


@pytest.mark.parametrize("threads", [1, 0])
def test_make_writable_gives_a_private_copy_and_leaves_the_decoder_alone(threads):
    with derenotes.VideoReader(DEMO_CLIP, threads=threads) as reference:
        expected = [bytes(f.planes[0]) for f in reference]
    with derenotes.VideoReader(DEMO_CLIP, threads=threads) as reader:
        frame = next(reader)
        assert not frame.writable  # the copy path, not a no-op
        original = np.asarray(frame.planes[0]).copy()
        frame.make_writable()
        assert frame.writable
        luma = np.asarray(frame.planes[0])
        assert luma.flags.writeable and luma.__array_interface__["data"][0] == frame.planes[0].address
        np.testing.assert_array_equal(luma, original)
        luma[:] = 0
        later = [bytes(f.planes[0]) for f in iter(lambda: next(reader, None), None)]  # no restart
        # Writing into the copy changed neither the frames predicted from the original...
        assert later == expected[1:]
        # ...nor this frame's bytes as the decoder has them.
        assert expected[0] == original.tobytes()
        assert bytes(frame.planes[0]) != expected[0]


def test_make_writable_is_refused_while_views_exist():
    frame = first_frame(DEMO_CLIP)
    view = memoryview(frame.planes[2])
    with pytest.raises(BufferError, match="view"):
        frame.make_writable()
    view.release()
    array = np.asarray(frame.planes[0])
    with pytest.raises(BufferError):
        frame.make_writable()
    del array
    gc.collect()
    frame.make_writable()
    assert frame.writable


def test_contiguous_requests_are_refused_when_rows_are_padded():
    plane = first_frame(PADDED_CLIP).planes[0]
    for flags in (PyBUF_C_CONTIGUOUS, PyBUF_ND | PyBUF_FORMAT):
        with pytest.raises(BufferError, match="contiguous"):
            get_buffer(plane, flags)
    view = get_buffer(plane, PyBUF_STRIDES | PyBUF_FORMAT)
    try:
        assert view.ndim == 2 and view.format == b"B" and view.strides[0] == plane.linesize
    finally:
        release_buffer(view)


def test_contiguous_requests_succeed_when_rows_are_not_padded():
    plane = first_frame(DEMO_CLIP).planes[0]  # 640-pixel rows need no padding
    assert plane.linesize == 640
    view = get_buffer(plane, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    try:
        assert view.ndim == 2 and (view.shape[0], view.shape[1]) == (360, 640) and view.len == 360 * 640
    finally:
        release_buffer(view)


def test_item_formats_name_size_and_byte_order():
    cases = {"hevc_10bit.mp4": "<H", "gray16be_png.mkv": ">H", "gbrpf32le_exr.mkv": "<f", "rgb565le_raw.nut": "<H"}
    for name, item in cases.items():
        plane = first_frame(SAMPLES / name).planes[0]
        assert memoryview(plane).format == item == plane.format
        assert memoryview(plane).itemsize == np.dtype(item).itemsize


def test_palette_is_the_last_plane():
    frame = first_frame(SAMPLES / "pal8_png.mkv")
    indices, palette = frame.planes
    assert np.asarray(palette).shape == (256, 4)
    assert np.asarray(indices).shape == (64, 96)


def test_frames_and_planes_form_no_reference_cycles():
    # Frames must go back to FFmpeg's pool when the user drops them, not when the cyclic
    # garbage collector gets round to it (the pool would grow by a frame per frame meanwhile).
    gc.collect()
    gc.disable()
    try:
        with derenotes.VideoReader(DEMO_CLIP) as reader:
            for frame in reader:
                for plane in frame.planes:
                    np.asarray(plane), memoryview(plane), np.frombuffer(plane, np.uint8)
                frame.arrays
        del frame, plane
        assert gc.collect() == 0
    finally:
        gc.enable()
