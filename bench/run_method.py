#!/usr/bin/env python3
"""Runs one decoding method on one clip in this process and prints one JSON line:
{"frames": N, "seconds": S, "first_frame_seconds": F}, timed from opening the file to the last
frame and to the first one (the difference is the steady state, without opening and probing).

    python bench/run_method.py METHOD CLIP

Exit status 3 with {"skip": reason} when the method's library is not installed here.
"""
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build


FIRST_FRAME = []


def mark_first_frame():
    FIRST_FRAME.append(time.perf_counter())


def derenotes_method(threads, output):
    def run(path):
        import numpy as np

        import derenotes

        frames = 0
        rgb = None
        with derenotes.VideoReader(path, threads=threads) as reader:
            for frame in reader:
                frames += 1
                if frames == 1:
                    mark_first_frame()
                    if output == "rgb24 out=":  # allocated once, as the C++ loop's buffer
                        rgb = np.empty((frame.height, frame.width, 3), np.uint8)
                if output == "asarray":
                    for plane in frame.planes:
                        np.asarray(plane)
                elif output == "frame.arrays":
                    frame.arrays
                elif output == "rgb24":
                    frame.to_ndarray("rgb24")
                elif output == "rgb24 out=":
                    frame.to_ndarray("rgb24", out=rgb)
        return frames

    return run


def pyav_method(thread_type, output):
    def run(path):
        import av
        import numpy as np

        frames = 0
        with av.open(path) as container:
            stream = container.streams.video[0]
            if thread_type:
                stream.thread_type = thread_type
            for frame in container.decode(stream):
                frames += 1
                if frames == 1:
                    mark_first_frame()
                if output == "planes":
                    for plane in frame.planes:
                        np.frombuffer(plane, np.uint8)
                elif output == "ndarray":
                    frame.to_ndarray()
                elif output == "rgb24":
                    frame.to_ndarray(format="rgb24")
        return frames

    return run


def opencv_read(path):
    import cv2

    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise RuntimeError(f"OpenCV cannot open {path}")
    frames = 0
    while True:
        ok, _ = capture.read()
        if not ok:
            break
        frames += 1
        if frames == 1:
            mark_first_frame()
    capture.release()
    return frames


def torchcodec_frames(path):
    from torchcodec.decoders import VideoDecoder

    frames = 0
    for _ in VideoDecoder(path):
        frames += 1
        if frames == 1:
            mark_first_frame()
    return frames


def decord_frames(path):
    import decord

    reader = decord.VideoReader(path)
    frames = 0
    for _ in range(len(reader)):
        reader.next()
        frames += 1
        if frames == 1:
            mark_first_frame()
    return frames


METHODS = {
    "derenotes threads=1 np.asarray": derenotes_method(1, "asarray"),
    "derenotes decode-only": derenotes_method(0, None),
    "derenotes np.asarray": derenotes_method(0, "asarray"),  # np.asarray on every plane
    "derenotes frame.arrays": derenotes_method(0, "frame.arrays"),
    "derenotes to_ndarray rgb24": derenotes_method(0, "rgb24"),  # a new array per frame
    "derenotes to_ndarray rgb24 out=": derenotes_method(0, "rgb24 out="),
    "pyav default planes": pyav_method(None, "planes"),
    "pyav AUTO planes": pyav_method("AUTO", "planes"),
    "pyav AUTO to_ndarray": pyav_method("AUTO", "ndarray"),
    "pyav AUTO to_ndarray rgb24": pyav_method("AUTO", "rgb24"),
    "opencv read": opencv_read,
    "torchcodec": torchcodec_frames,
    "decord": decord_frames,
}

# The modules each family of methods needs: imported before the clock starts, and the method
# skipped with the reason where one is not installed.
REQUIRES = {"derenotes": ["numpy", "derenotes"], "pyav": ["numpy", "av"], "opencv": ["cv2"],
            "torchcodec": ["torchcodec.decoders"], "decord": ["decord"]}


def import_or_skip(modules):
    """Imports the modules a method needs before the clock starts; where one does not import,
    prints the reason as the method's result and exits with 3 (skipped)."""
    for module in modules:
        try:
            __import__(module)
        except Exception as error:  # ImportError, or a library that fails to load its own parts
            reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
            print(json.dumps({"skip": f"{module} does not import here: {reason}"}))
            sys.exit(3)


def main():
    method, path = sys.argv[1], sys.argv[2]
    import_or_skip(REQUIRES[method.split()[0]])
    start = time.perf_counter()
    frames = METHODS[method](path)
    end = time.perf_counter()
    print(json.dumps({"frames": frames, "seconds": end - start, "first_frame_seconds": FIRST_FRAME[0] - start}))


if __name__ == "__main__":
    main()
