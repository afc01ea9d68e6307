"""`derenotes check` against `ffmpeg -v error -i CLIP -f null -`, the command people run to see
whether a file decodes cleanly: both decode every frame of the benchmark's 1080p clips.

    python bench/cli_check.py [--rounds 7] [--out bench/out]

Each round runs the two commands one after the other, as a user would (a fresh process, its start
included), in alternating order; prints each one's median and the median of the paired ratios
(ffmpeg / derenotes: above 1 means derenotes check is faster). The clips are the benchmark's
(bench/plan.py), made with the system's CLI if missing: 200 frames of 1080p H.264 and HEVC.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from plan import FULL_CLIPS, ROOT, make_clips  # noqa: E402

CLIPS = ["h264_1080p.mp4", "hevc_1080p.mp4"]


def commands(clip):
    return {"derenotes check": [sys.executable, "-m", "derenotes", "check", "--quiet", str(clip)],
            "ffmpeg -f null": ["ffmpeg", "-nostdin", "-v", "error", "-i", str(clip), "-f", "null", "-"]}


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    make_clips({name: FULL_CLIPS[name] for name in CLIPS}, args.out)
    print("| clip | derenotes check | ffmpeg -v error -i CLIP -f null - | ffmpeg / derenotes |")
    print("| --- | --- | --- | --- |")
    for name in CLIPS:
        runs = commands(args.out / name)
        times = {what: [] for what in runs}
        for round_number in range(args.rounds):
            order = list(runs) if round_number % 2 == 0 else list(reversed(runs))
            for what in order:
                times[what].append(timed(runs[what]))
        ours, theirs = times["derenotes check"], times["ffmpeg -f null"]
        ratio = statistics.median(t / o for o, t in zip(ours, theirs))
        print(f"| {name} | {statistics.median(ours):.2f} s | {statistics.median(theirs):.2f} s | {ratio:.2f}x |",
              flush=True)


if __name__ == "__main__":
    main()
