#!/usr/bin/env python3
"""Random access in two builds of derenotes side by side: the same frames of the same clip, each
round running every method of both trees in turn (interleaved, starting at a different one each
round), one process per run, and the paired median of the per-round ratios B / A.

    git worktree add /tmp/before <commit> && (cd /tmp/before && cmake -S . -B build/dev \
        -DPython_EXECUTABLE=$PWD/.venv/bin/python -DDERENOTES_MODULE_DIR=/tmp/before/derenotes/libs/image \
        && cmake --build build/dev -j 2 --target derenotes_video)
    (before the CMake build, a commit with setup.py: ../work/.venv/bin/python setup.py build_ext -i)
    python bench/compare_trees.py /tmp/before . [--rounds 7] [--clip bench/out/h264_1080p_60s_gop250.mp4]

Runs bench/random_access.py of each tree on its own build ("derenotes get_frames", "derenotes
reader[i]" on RANDOM_FRAMES frames drawn as bench.py draws them, and "derenotes open + middle
frame" on the 10-minute clip). Make the clips with `make bench` first (or bench.py --only random-access).
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
from bench import RANDOM_FRAMES, RANDOM_SEED  # noqa: E402 (bench/ is this script's own directory)

METHODS = ["derenotes get_frames", "derenotes reader[i]"]
MIDDLE = "derenotes open + middle frame"


def run(tree, method, clip, numbers):
    command = [sys.executable, str(tree / "bench" / "random_access.py"), method, str(clip), *map(str, numbers)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tree, check=True)
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=pathlib.Path)
    parser.add_argument("after", type=pathlib.Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clip", type=pathlib.Path, default=BENCH / "out" / "h264_1080p_60s_gop250.mp4")
    parser.add_argument("--long-clip", type=pathlib.Path, default=BENCH / "out" / "h264_1080p_600s_gop250.mp4")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
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
