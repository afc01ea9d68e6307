#!/usr/bin/env python3
"""Ray Data: frames per second of derenotes.ray.read_videos against ray.data.read_videos (decord)
on the same files, the same local cluster (ray.init(num_cpus=2)) and the same output (every frame
at 224x224 rgb24), and derenotes' scaling from one CPU (concurrency=1: one read task at a time,
decoding with one thread) to two. Rounds are interleaved; each round consumes every row through iter_batches, as a
training loop would.

    python bench/ray_read.py [--rounds 5] [--quick] [--json OUT]
"""
import argparse
import json
import logging
import pathlib
import statistics
import sys
import time

import numpy as np

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
from plan import lavfi, make_clips  # noqa: E402

SIZE = 224
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-bf", "3", "-pix_fmt", "yuv420p"]
# 1,700 frames: four 720p clips of 12 s and two 1080p clips of 10 s, 30 and 25 fps, x264 with B-frames.
CLIPS = {**{f"ray_720p_{n}.mp4": (lavfi("1280x720", 30, 360, source) + X264, False)
            for n, source in enumerate(["testsrc2", "smptehdbars", "rgbtestsrc", "testsrc"])},
         **{f"ray_1080p_{n}.mp4": (lavfi("1920x1080", 25, 250, source) + X264, False)
            for n, source in enumerate(["testsrc2", "smptebars"])}}
QUICK_CLIPS = {"ray_240p_quick.mp4": (lavfi("426x240", 25, 100) + X264, False)}

OURS, OURS_ONE_CPU, THEIRS = "derenotes.ray.read_videos", "derenotes.ray.read_videos, 1 CPU", "ray.data.read_videos"


def dataset(method, paths):
    import ray.data

    import derenotes.ray
    if method == THEIRS:
        return ray.data.read_videos(paths, resize=(SIZE, SIZE), include_paths=True)
    if method == OURS_ONE_CPU:  # one read task at a time, decoding with one thread
        return derenotes.ray.read_videos(paths, width=SIZE, height=SIZE, include_paths=True, concurrency=1,
                                         reader_options={"threads": 1})
    return derenotes.ray.read_videos(paths, width=SIZE, height=SIZE, include_paths=True)


def consume(method, paths):
    """(seconds, rows, {(path, frame_index): frame} of a few frames, to compare the methods')."""
    start = time.perf_counter()
    rows, kept = 0, {}
    for batch in dataset(method, paths).iter_batches(batch_size=256, batch_format="numpy"):
        rows += len(batch["frame_index"])
        for path, index, frame in zip(batch["path"], batch["frame_index"], batch["frame"]):
            if index % 97 == 5:
                kept[(pathlib.Path(path).name, int(index))] = frame
    return time.perf_counter() - start, rows, kept


def same_frames(ours, theirs):
    """Whether every kept frame of theirs is ours (resizers differ: a mean difference of a few
    levels, much less than to the next frame)."""
    if ours.keys() != theirs.keys():
        return False
    return all(np.abs(ours[key].astype(int) - theirs[key].astype(int)).mean() < 6 for key in ours)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    import ray
    from ray.data.context import DataContext

    clips = QUICK_CLIPS if args.quick else CLIPS
    make_clips(clips, BENCH / "out")
    paths = [str(BENCH / "out" / name) for name in clips]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # a line per dataset run otherwise
    DataContext.get_current().enable_progress_bars = False
    methods = [OURS, THEIRS, OURS_ONE_CPU]
    kept = {}
    for method in methods:  # warm-up: worker processes started, modules imported, files cached
        _, rows, kept[method] = consume(method, paths)
    times = {method: [] for method in methods}
    for round_number in range(args.rounds):
        order = methods if round_number % 2 == 0 else methods[::-1]
        for method in order:
            seconds, rows_now, _ = consume(method, paths)
            assert rows_now == rows, (method, rows_now, rows)
            times[method].append(seconds)
    ray.shutdown()
    medians = {method: statistics.median(values) for method, values in times.items()}
    paired = {
        "ours vs theirs": statistics.median(t / o for o, t in zip(times[OURS], times[THEIRS])),
        "two CPUs vs one": statistics.median(one / two for two, one in zip(times[OURS], times[OURS_ONE_CPU])),
    }
    result = {"files": len(paths), "frames": rows, "rounds": args.rounds,
              "median seconds": medians, "frames per second": {m: rows / s for m, s in medians.items()},
              "paired ratios": paired, "same frames": same_frames(kept[OURS], kept[THEIRS])}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
