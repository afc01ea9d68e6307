#!/usr/bin/env python3
"""derenotes' memory: growth while decoding many small frames, and the cost of holding planes.

    python bench/memory.py SMALL_CLIP FRAMES BIG_CLIP HELD_FRAMES

Prints JSON: resident memory growth (MB) between the end of a warm-up and the end of decoding
FRAMES frames of SMALL_CLIP (looping over it) with every plane taken as an array; and the resident
memory that holding the arrays of HELD_FRAMES frames of BIG_CLIP costs, against the bytes of
those frames' planes (abs(linesize) * height each).
"""
import json
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build
import derenotes  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mb():
    return int(pathlib.Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def growth_over_small_frames(path, total):
    warm_up = min(1000, total // 10)
    decoded, start = 0, None
    with derenotes.VideoReader(path) as reader:
        while decoded < total:
            for frame in reader:  # each pass starts again from the first frame
                for plane in frame.planes:
                    np.asarray(plane)
                decoded += 1
                if decoded == warm_up:
                    start = resident_mb()
                if decoded == total:
                    break
    return decoded, resident_mb() - start


def cost_of_holding(path, count):
    held = []
    with derenotes.VideoReader(path) as reader:
        frames = iter(reader)
        for _ in range(5):  # let the decoder set up its threads and pools first
            next(frames)
        before = resident_mb()
        buffer_bytes = 0
        for frame in frames:
            arrays = [np.asarray(plane) for plane in frame.planes]
            buffer_bytes += sum(abs(p.linesize) * p.height for p in frame.planes)
            held.append(arrays)
            if len(held) == count:
                break
        after = resident_mb()
    return len(held), after - before, buffer_bytes / 2**20


def main():
    small, total, big, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    frames, growth = growth_over_small_frames(small, total)
    held_frames, held_mb, buffers_mb = cost_of_holding(big, count)
    print(json.dumps({"frames": frames, "growth_mb": round(growth, 3), "held_frames": held_frames,
                      "held_mb": round(held_mb, 1), "buffers_mb": round(buffers_mb, 1),
                      "held_ratio": round(held_mb / buffers_mb, 3)}))


if __name__ == "__main__":
    main()
