#!/usr/bin/env python3
"""Runs one audio method on one clip in this process: the clip's first audio stream decoded whole
into one float32 array of shape (channels, samples), as each library's users get it. Prints one
JSON line: {"channels", "samples", "dtype", "c_contiguous", "seconds", "md5"}, timed from opening
the file to the finished array; the MD5 of the array's bytes (C order) is computed after the clock
stops. "pyav decode only" makes no array: its line has no dtype or layout, and md5 null.

    python bench/run_audio.py METHOD CLIP [REFERENCE.f32 CHANNELS]

REFERENCE.f32: the C++ loop's array (its float32 samples, CHANNELS rows); after the clock, the
method's array is compared with it: "equal" (same shape, every sample the same) and "max_abs_diff"
(over the channels and samples both have) join the line.

Exit status 3 with {"skip": reason} when the method's library does not import here.
"""
import hashlib
import json
import sys
import time

from run_method import import_or_skip  # also puts the in-place build first on sys.path


def derenotes_read(path):
    import derenotes

    with derenotes.AudioReader(path) as reader:
        return reader.read()


def derenotes_frames(path):
    """Every frame's planes as arrays (views of the decoder's samples, no copy), then each channel's
    concatenated into its row of one array."""
    import numpy as np

    import derenotes

    with derenotes.AudioReader(path) as reader:
        planes = [[np.asarray(plane) for plane in frame.planes] for frame in reader]
    result = np.empty((len(planes[0]), sum(len(frame[0]) for frame in planes)), np.float32)
    for channel, row in enumerate(zip(*planes)):
        np.concatenate(row, out=result[channel])
    return result


def pyav(path):
    import av
    import numpy as np

    with av.open(path) as container:
        chunks = [frame.to_ndarray() for frame in container.decode(audio=0)]  # (channels, samples) for fltp
    return np.concatenate(chunks, axis=1)


def pyav_decode_only(path):
    """PyAV's decoding alone, no arrays: (channels, samples). PyAV brings its own FFmpeg, whose
    decoders may be faster or slower than the system's that derenotes and the C++ loop use."""
    import av

    channels = samples = 0
    with av.open(path) as container:
        for frame in container.decode(audio=0):
            channels, samples = len(frame.layout.channels), samples + frame.samples
    return channels, samples


def torchcodec(path):
    from torchcodec.decoders import AudioDecoder

    return AudioDecoder(path).get_all_samples().data  # a torch tensor (channels, samples), float32


METHODS = {
    "derenotes read()": derenotes_read,
    "derenotes frames + np.concatenate": derenotes_frames,
    "pyav to_ndarray + np.concatenate": pyav,
    "pyav decode only": pyav_decode_only,
    "torchcodec get_all_samples()": torchcodec,
}
REQUIRES = {"derenotes": ["numpy", "derenotes"], "pyav": ["numpy", "av"], "torchcodec": ["torchcodec.decoders"]}


def main():
    method, path = sys.argv[1], sys.argv[2]
    import_or_skip(REQUIRES[method.split()[0]])
    start = time.perf_counter()
    result = METHODS[method](path)
    seconds = time.perf_counter() - start

    import numpy as np

    if isinstance(result, tuple):  # decoding only: no array
        print(json.dumps({"channels": result[0], "samples": result[1], "seconds": seconds, "md5": None}))
        return
    if not isinstance(result, np.ndarray):
        result = result.numpy()  # torch's tensor: shares its memory
    line = {"channels": result.shape[0], "samples": result.shape[1], "dtype": str(result.dtype),
            "c_contiguous": bool(result.flags.c_contiguous), "seconds": seconds,
            "md5": hashlib.md5(np.ascontiguousarray(result)).hexdigest()}
    if len(sys.argv) > 3:
        reference = np.fromfile(sys.argv[3], np.float32).reshape(int(sys.argv[4]), -1)
        channels, samples = min(result.shape[0], reference.shape[0]), min(result.shape[1], reference.shape[1])
        line["max_abs_diff"] = max((float(np.max(np.abs(result[c, :samples] - reference[c, :samples]), initial=0))
                                    for c in range(channels)), default=0.0)
        line["equal"] = result.shape == reference.shape and line["max_abs_diff"] == 0
    print(json.dumps(line))


if __name__ == "__main__":
    main()
