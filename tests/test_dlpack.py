"""DLPack: numpy.from_dlpack(plane) and torch.from_dlpack(plane) are the buffer protocol's
image-shaped view, with no copy and the same lifetime and read-only guarantees."""
import gc

import numpy as np
import pytest

import derenotes
from conftest import CLIP_STREAMS, DEMO_CLIP, SAMPLES, clip_id, first_frame

# NumPy 2.1 speaks DLPack 1.0 (max_version, copy=, the read-only flag). Before it (Python 3.9's
# newest NumPy is 2.0), from_dlpack marks every array read-only and cannot take a read-only plane.
NUMPY_DLPACK_1 = np.lib.NumpyVersion(np.__version__) >= "2.1.0"
needs_dlpack_1 = pytest.mark.skipif(not NUMPY_DLPACK_1, reason="NumPy before 2.1 speaks DLPack 0.x only")

try:  # optional: where PyTorch is installed, its from_dlpack is checked too
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("clip_stream", CLIP_STREAMS, ids=clip_id)
def test_dlpack_gives_the_buffer_protocols_view_of_every_plane(clip_stream):
    frame = first_frame(SAMPLES / clip_stream[0], stream=clip_stream[1])
    for plane in frame.planes:
        view = np.asarray(plane)
        if view.dtype.byteorder == ">":
            with pytest.raises(BufferError, match="byte order"):
                np.from_dlpack(plane)
            continue
        array = np.from_dlpack(plane)
        # The same memory, shape, strides and dtype; the read-only flag (in "data") is checked next.
        ours, buffers = dict(array.__array_interface__), dict(view.__array_interface__)
        assert ours.pop("data")[0] == buffers.pop("data")[0] and ours == buffers
        assert array.flags.writeable == (frame.writable and NUMPY_DLPACK_1)
        if torch is not None and min(view.strides) >= 0:  # PyTorch has no negative strides (bottom-up)
            tensor = torch.from_dlpack(plane)
            assert tensor.data_ptr() == plane.address
            assert tuple(tensor.shape) == view.shape
            assert tuple(s * view.itemsize for s in tensor.stride()) == view.strides
            np.testing.assert_array_equal(tensor.numpy(), view)


@needs_dlpack_1
def test_a_dlpack_tensor_keeps_its_frame_and_never_changes():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        frame = next(reader)
        tensors = [np.from_dlpack(frame.planes[1])]
        if torch is not None:
            tensors.append(torch.from_dlpack(frame.planes[0]).numpy())
        expected = [tensor.copy() for tensor in tensors]
        del frame
        for _ in reader:  # the decoder goes on; it must not reuse the memory the tensors hold
            pass
    gc.collect()
    for tensor, copy in zip(tensors, expected):
        np.testing.assert_array_equal(tensor, copy)


@needs_dlpack_1
def test_a_dlpack_tensor_counts_as_a_view_for_make_writable():
    frame = first_frame(DEMO_CLIP)
    tensor = np.from_dlpack(frame.planes[0])
    with pytest.raises(BufferError, match="view"):
        frame.make_writable()
    del tensor
    unused = frame.planes[2].__dlpack__(max_version=(1, 0))  # a capsule no consumer took
    with pytest.raises(BufferError, match="view"):
        frame.make_writable()
    del unused
    gc.collect()
    frame.make_writable()
    assert frame.writable and np.from_dlpack(frame.planes[0]).flags.writeable


@needs_dlpack_1
def test_read_only_planes_need_dlpack_1_0_which_can_say_so():
    with derenotes.VideoReader(DEMO_CLIP) as reader:
        frame = next(reader)
        assert not frame.writable  # the open decoder still holds it as a reference
        with pytest.raises(BufferError, match="read-only"):
            frame.planes[0].__dlpack__()  # DLPack before 1.0 has no read-only flag
        assert not np.from_dlpack(frame.planes[0]).flags.writeable
        gc.collect()
        frame.make_writable()
        capsule = frame.planes[0].__dlpack__()
        assert repr(capsule).startswith('<capsule object "dltensor"')
        if torch is not None:
            tensor = torch.utils.dlpack.from_dlpack(capsule)
            np.testing.assert_array_equal(tensor.numpy(), np.asarray(frame.planes[0]))


@needs_dlpack_1
def test_dlpack_requests_a_cpu_plane_cannot_meet_are_refused():
    plane = first_frame(DEMO_CLIP).planes[0]
    assert plane.__dlpack_device__() == (1, 0)  # kDLCPU, device 0
    with pytest.raises(BufferError, match="stream"):
        plane.__dlpack__(stream=1)
    with pytest.raises(BufferError, match="device"):
        plane.__dlpack__(dl_device=(2, 0))
    with pytest.raises(BufferError, match="copy"):
        plane.__dlpack__(copy=True)
    assert np.from_dlpack(plane, copy=False).base is not None
