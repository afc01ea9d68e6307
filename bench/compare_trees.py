#!/usr/bin/env python3
"""Two builds of derenotes side by side: each round runs every method of both trees in turn
(interleaved, starting at a different one each round), one process per run, and prints the paired
median of the per-round ratios after / before.

    git worktree add /tmp/before <commit> && (cd /tmp/before && cmake -S . -B build/dev \
        -DPython_EXECUTABLE=$PWD/.venv/bin/python -DDERENOTES_MODULE_DIR=/tmp/before/derenotes/libs/image \
        && cmake --build build/dev -j 2 --target derenotes_video)
    (before the CMake build, a commit with setup.py: ../work/.venv/bin/python setup.py build_ext -i)
    python bench/compare_trees.py /tmp/before . [--rounds 7] [--part random-access|decoding]

random-access (default): bench/random_access.py of each tree on its own build ("derenotes
get_frames", "derenotes reader[i]" on RANDOM_FRAMES frames drawn as bench.py draws them, and
"derenotes open + middle frame" on the 10-minute clip). Make the clips with `make bench` first
(or bench.py --only random-access).
decoding: bench/run_method.py's "derenotes frame.arrays" on the 64x64 raw clip (the per-frame
overhead) and "derenotes np.asarray" on 200 frames of 1080p H.264 (throughput), clips made here.
"""
import argparse
import json
import pathlib
import random
import statistics
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from plan import FULL_CLIPS, RANDOM_FRAMES, RANDOM_SEED, make_clips  # noqa: E402 (bench/ is this script's own directory)

METHODS = ["derenotes get_frames", "derenotes reader[i]"]
MIDDLE = "derenotes open + middle frame"


def run(tree, method, clip, numbers):
    command = [sys.executable, str(tree / "bench" / "random_access.py"), method, str(clip), *map(str, numbers)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tree, check=True)
    return json.loads(result.stdout)


DECODING = {"derenotes frame.arrays": "raw_64x64.nut", "derenotes np.asarray": "h264_1080p.mp4"}


def compare_decoding(trees, rounds):
    make_clips({name: FULL_CLIPS[name] for name in DECODING.values()}, BENCH / "out")
    jobs = [(name, method) for method in DECODING for name in trees]
    runs = {job: [] for job in jobs}
    for round_number in range(rounds):
        shift = round_number % len(jobs)
        for name, method in jobs[shift:] + jobs[:shift]:
            command = [sys.executable, str(trees[name] / "bench" / "run_method.py"), method,
                       str(BENCH / "out" / DECODING[method])]
            result = subprocess.run(command, capture_output=True, text=True, cwd=trees[name], check=True)
            runs[name, method].append(json.loads(result.stdout))
    print(f"{rounds} rounds; steady state: from the first frame to the last")
    print(f"{'method':32} {'clip':16} {'before us/frame':>16} {'after us/frame':>15} {'after/before (paired)':>22}")
    for method, clip in DECODING.items():
        per_frame = {name: [(run["seconds"] - run["first_frame_seconds"]) / (run["frames"] - 1) * 1e6
                            for run in runs[name, method]] for name in trees}
        paired = statistics.median(a / b for a, b in zip(per_frame["after"], per_frame["before"]))
        print(f"{method:32} {clip:16} {statistics.median(per_frame['before']):16.2f} "
              f"{statistics.median(per_frame['after']):15.2f} {paired:22.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=pathlib.Path)
    parser.add_argument("after", type=pathlib.Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clip", type=pathlib.Path, default=BENCH / "out" / "h264_1080p_60s_gop250.mp4")
    parser.add_argument("--long-clip", type=pathlib.Path, default=BENCH / "out" / "h264_1080p_600s_gop250.mp4")
    parser.add_argument("--part", choices=["random-access", "decoding"], default="random-access")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    if args.part == "decoding":
        return compare_decoding(trees, args.rounds)
    warm = run(trees["after"], MIDDLE, args.clip, [])  # reads the clips into the page cache; the frame count
    run(trees["after"], MIDDLE, args.long_clip, [])
    numbers = random.Random(RANDOM_SEED).sample(range(warm["frame_count"]), RANDOM_FRAMES)
    jobs = [(name, method) for method in METHODS + [MIDDLE] for name in trees]
    seconds = {job: [] for job in jobs}
    for round_number in range(args.rounds):
        shift = round_number % len(jobs)
        for name, method in jobs[shift:] + jobs[:shift]:
            clip, asked = (args.long_clip, []) if method == MIDDLE else (args.clip, numbers)
            outcome = run(trees[name], method, clip, asked)
            seconds[name, method].append(outcome["seconds"])
            if method != MIDDLE:
                seconds.setdefault((name, method, "md5"), []).append(outcome["y_md5"])
    print(f"{args.rounds} rounds; frames {numbers} of {args.clip.name}; middle frame of {args.long_clip.name}")
    print(f"{'method':32} {'before ms':>10} {'after ms':>10} {'after/before (paired median)':>30}")
    for method in METHODS + [MIDDLE]:
        before, after = seconds["before", method], seconds["after", method]
        paired = statistics.median(a / b for a, b in zip(after, before))
        print(f"{method:32} {statistics.median(before) * 1e3:10.1f} {statistics.median(after) * 1e3:10.1f} "
              f"{paired:30.3f}")
        if method != MIDDLE:
            same = seconds["before", method, "md5"] == seconds["after", method, "md5"]
            print(f"{'':32} Y planes the same in both: {same}")


if __name__ == "__main__":
    main()
