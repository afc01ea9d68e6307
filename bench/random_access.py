#!/usr/bin/env python3
"""Runs one random-access method on one clip in this process and prints one JSON line.

    python bench/random_access.py METHOD CLIP FRAME...
        {"frames": N, "seconds": S, "y_md5": [...] or null}: the frames of these numbers
        (presentation order, as sequential decoding numbers them), timed from opening the file
        to the last frame; y_md5 is the MD5 of each frame's Y plane in the order asked, taken
        after the clock stopped (null for the methods that hand out RGB).
    python bench/random_access.py "derenotes open + middle frame" CLIP
        {"frames": 1, "seconds": S, "index_seconds": I, "frame_count": C, "y_md5": [...]}: opening
        the file and reading its middle frame, I the first len(reader) (the frame index) alone.

Exit status 3 with {"skip": reason} when the method's library is not installed here. As in the
C++ programs, closing the file is not timed.
"""
import hashlib
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build

from run_method import import_or_skip  # noqa: E402 (bench/ is this script's own directory)

MIDDLE_FRAME = "derenotes open + middle frame"


def derenotes_get_frames(path, numbers):
    import derenotes

    frames = derenotes.VideoReader(path).get_frames(numbers)
    return [frame.arrays[0] for frame in frames]  # every frame's arrays made, as a caller would


def derenotes_one_by_one(path, numbers):
    import derenotes

    reader = derenotes.VideoReader(path)
    return [reader[number].arrays[0] for number in numbers]


def pyav_seek_decode(path, numbers):
    """What the C++ program does, in PyAV: PyAV has no frame index, so one demux-only pass reads
    every packet's pts and key flag first (closed GOPs: a frame decodes from the last key frame
    at or before it)."""
    import bisect

    import av
    import numpy as np

    container = av.open(path)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame and slice threads, as derenotes and the C++ program
    frame_pts, key_pts = [], []
    for packet in container.demux(stream):
        if packet.pts is not None:  # not the empty packet that ends the stream
            frame_pts.append(packet.pts)
            if packet.is_keyframe:
                key_pts.append(packet.pts)
    frame_pts.sort()
    key_pts.sort()

    fed_keys = []  # pts of the key packets sent to the decoder since the last seek

    def decoded():
        for packet in container.demux(stream):
            if packet.is_keyframe:
                fed_keys.append(packet.pts)
            yield from stream.decode(packet)

    found, frames, last_pts = {}, None, None  # last_pts: of the last frame out since the last seek
    for number in sorted(set(numbers)):
        pts = frame_pts[number]
        key = key_pts[bisect.bisect_right(key_pts, pts) - 1]
        if last_pts is None or last_pts >= pts or key > fed_keys[-1]:
            container.seek(key, backward=True, any_frame=False, stream=stream)
            fed_keys.clear()
            frames, last_pts = decoded(), None
        for frame in frames:
            last_pts = frame.pts
            if frame.pts == pts:
                found[number] = frame
                break
        else:
            raise RuntimeError(f"no frame at pts {pts}")
    luma = []
    for frame in (found[number] for number in numbers):
        plane = frame.planes[0]
        luma.append(np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width])
    return luma


def decord_get_batch(path, numbers):
    import decord

    decord.VideoReader(path).get_batch(numbers)  # RGB, in decord's own arrays
    return None


def torchcodec_exact(path, numbers):
    from torchcodec.decoders import VideoDecoder

    VideoDecoder(path, seek_mode="exact").get_frames_at(numbers)  # RGB tensors
    return None


METHODS = {
    "derenotes get_frames": derenotes_get_frames,
    "derenotes reader[i]": derenotes_one_by_one,
    "pyav seek+decode": pyav_seek_decode,
    "decord": decord_get_batch,
    "torchcodec exact": torchcodec_exact,
}

# Imported before the clock starts; the method is skipped with the reason where one does not import.
REQUIRES = {"derenotes": ["numpy", "derenotes"], "pyav": ["numpy", "av"], "decord": ["decord"],
            "torchcodec": ["torchcodec.decoders"]}


def md5s(planes):
    import numpy as np

    return None if planes is None else [hashlib.md5(np.ascontiguousarray(plane)).hexdigest() for plane in planes]


def open_and_read_middle_frame(path):
    import derenotes

    start = time.perf_counter()
    reader = derenotes.VideoReader(path)
    opened = time.perf_counter()
    count = len(reader)
    indexed = time.perf_counter()
    luma = reader[count // 2].arrays[0]
    end = time.perf_counter()
    return {"frames": 1, "seconds": end - start, "index_seconds": indexed - opened, "frame_count": count,
            "y_md5": md5s([luma])}


def main():
    method, path = sys.argv[1], sys.argv[2]
    import_or_skip(REQUIRES[method.split()[0]])
    if method == MIDDLE_FRAME:
        print(json.dumps(open_and_read_middle_frame(path)))
        return
    numbers = [int(number) for number in sys.argv[3:]]
    start = time.perf_counter()
    planes = METHODS[method](path, numbers)
    end = time.perf_counter()
    print(json.dumps({"frames": len(numbers), "seconds": end - start, "y_md5": md5s(planes)}))


if __name__ == "__main__":
    main()
