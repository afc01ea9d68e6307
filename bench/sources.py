#!/usr/bin/env python3
"""Sources other than a path, against the same file by path: the clip decoded whole (default
threads, np.asarray on each plane, as the "derenotes np.asarray" method) by path, from its bytes
in memory, from an io.BytesIO and from open(path, "rb") (FFmpeg's reads call the object's read()
and seek(), taking the GIL for each call only); and two readers (threads=1 each) on two BytesIO
objects in two Python threads, against the same two one after the other, with the same for two
paths in the same rounds as this machine's ceiling at that moment.

    python bench/sources.py CLIP ROUNDS     (prints JSON)

All in this one process, so that the file is read into memory once, before any timing; each run
is timed from making the source (the BytesIO, the open file) and the reader to the last frame.
One untimed round first, then ROUNDS interleaved rounds, each starting at another method.
Speeds are paired: per round, the time by path over the time from the other source (> 1: faster
than by path); the figures are the medians of those ratios.
"""
import io
import json
import pathlib
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build
import derenotes  # noqa: E402

PATH, BYTES, BYTES_IO, FILE = "path", "bytes", "io.BytesIO", "open(path, 'rb')"
METHODS = [PATH, BYTES, BYTES_IO, FILE]


def decode_planes(source):
    """Every frame with np.asarray on each plane, default threads: the number of frames."""
    frames = 0
    with derenotes.VideoReader(source) as reader:
        for frame in reader:
            frames += 1
            for plane in frame.planes:
                np.asarray(plane)
    return frames


def run(method, path, data):
    """(frames, seconds) of one whole decode of the clip from `method`'s source."""
    start = time.perf_counter()
    if method == PATH:
        frames = decode_planes(str(path))
    elif method == BYTES:
        frames = decode_planes(data)
    elif method == BYTES_IO:
        frames = decode_planes(io.BytesIO(data))  # shares `data` until written to: no copy
    else:
        with open(path, "rb") as file:
            frames = decode_planes(file)
    return frames, time.perf_counter() - start


def decode_one_thread(source):
    with derenotes.VideoReader(source, threads=1) as reader:
        for _ in reader:
            pass


def one_after_the_other(make_sources):
    start = time.perf_counter()
    for source in make_sources():
        decode_one_thread(source)
    return time.perf_counter() - start


def in_two_threads(make_sources):
    start = time.perf_counter()
    workers = [threading.Thread(target=decode_one_thread, args=(source,)) for source in make_sources()]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def paired_speed(reference, values):
    """The median of per-round reference / value: how many times faster than the reference."""
    return statistics.median(r / v for r, v in zip(reference, values))


def main():
    path, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    data = path.read_bytes()
    pairs = {"BytesIO": lambda: [io.BytesIO(data), io.BytesIO(data)], "path": lambda: [str(path), str(path)]}
    jobs = [(kind, how) for kind in pairs for how in ("sequential", "threads")]

    times = {m: [] for m in METHODS}
    frames = {}
    two = {f"{kind} {how}": [] for kind, how in jobs}
    for round_number in range(-1, rounds):  # round -1: untimed, for the page cache and the decoder's first use
        shift = round_number % len(METHODS)
        for method in METHODS[shift:] + METHODS[:shift]:
            frames[method], seconds = run(method, path, data)
            if round_number >= 0:
                times[method].append(seconds)
        shift = round_number % len(jobs)
        for kind, how in jobs[shift:] + jobs[:shift]:
            seconds = (in_two_threads if how == "threads" else one_after_the_other)(pairs[kind])
            if round_number >= 0:
                two[f"{kind} {how}"].append(seconds)

    print(json.dumps({
        "clip": path.name, "bytes": len(data), "rounds": rounds, "frames": frames, "times": times,
        "median_s": {m: round(statistics.median(t), 4) for m, t in times.items()},
        "speed_vs_path": {m: round(paired_speed(times[PATH], times[m]), 3) for m in METHODS if m != PATH},
        "speed_vs_path_medians": {m: round(statistics.median(times[PATH]) / statistics.median(times[m]), 3)
                                  for m in METHODS if m != PATH},
        "two_readers": {
            "times": two,
            "median_s": {k: round(statistics.median(t), 4) for k, t in two.items()},
            "speedup": round(paired_speed(two["BytesIO sequential"], two["BytesIO threads"]), 3),
            "path_speedup": round(paired_speed(two["path sequential"], two["path threads"]), 3),
        },
    }))


if __name__ == "__main__":
    main()
