#!/usr/bin/env python3
"""Decode speed of derenotes against `ffmpeg -threads 0 -i CLIP -f null -`, side by side.

Rounds are interleaved (ffmpeg, derenotes decode-only, derenotes with every plane as a NumPy
array, ffmpeg, ...) and each figure is a median, because timings on a shared machine are noisy:
the ratios from one run are what count. ffmpeg's time is its own `-benchmark` rtime (its decode
loop, no process start-up); derenotes' is measured in-process from open to the last frame.

    python bench/ffmpeg_side_by_side.py [--rounds N] [CLIP ...]

With no clip, uses the demo clip and a 1080p H.264 clip it makes in bench/out/ (8 s, 25 fps).
"""
import argparse
import pathlib
import re
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CLIP_1080P = OUT / "h264_1080p_8s.mp4"

DERENOTES_RUN = """
import sys, time
import numpy as np
import derenotes
path, arrays = sys.argv[1], sys.argv[2] == "1"
start = time.perf_counter()
frames = 0
with derenotes.VideoReader(path) as reader:
    for frame in reader:
        frames += 1
        if arrays:
            for plane in frame.planes:
                np.asarray(plane)
print(frames, time.perf_counter() - start)
"""


def make_1080p_clip():
    if CLIP_1080P.exists():
        return CLIP_1080P
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
                    "-frames:v", "200", "-c:v", "libx264", "-preset", "medium", "-crf", "23", "-bf", "3",
                    "-pix_fmt", "yuv420p", str(CLIP_1080P)], check=True)
    return CLIP_1080P


def ffmpeg_seconds(clip):
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-benchmark", "-threads", "0", "-i", str(clip),
                             "-f", "null", "-"], capture_output=True, text=True, check=True)
    frames = int(re.findall(r"frame=\s*(\d+)", result.stderr)[-1])
    return frames, float(re.search(r"rtime=([\d.]+)s", result.stderr).group(1))


def derenotes_seconds(clip, arrays):
    result = subprocess.run([sys.executable, "-c", DERENOTES_RUN, str(clip), "1" if arrays else "0"],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    frames, seconds = result.stdout.split()
    return int(frames), float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("clips", nargs="*")
    args = parser.parse_args()
    clips = [pathlib.Path(c) for c in args.clips] or [ROOT / "samples" / "h264_bframes.mp4", make_1080p_clip()]

    methods = {
        "ffmpeg -threads 0 -f null": ffmpeg_seconds,
        "derenotes (decode only)": lambda clip: derenotes_seconds(clip, False),
        "derenotes (+ np.asarray every plane)": lambda clip: derenotes_seconds(clip, True),
    }
    for clip in clips:
        times = {name: [] for name in methods}
        counts = {}
        for _ in range(args.rounds):
            for name, run in methods.items():
                counts[name], seconds = run(clip)
                times[name].append(seconds)
        assert len(set(counts.values())) == 1, f"frame counts differ: {counts}"
        frames = counts[next(iter(methods))]
        base = statistics.median(times["ffmpeg -threads 0 -f null"])
        print(f"\n{clip.name}: {frames} frames, {args.rounds} interleaved rounds, medians")
        for name, values in times.items():
            median = statistics.median(values)
            ratios = [b / v for b, v in zip(times["ffmpeg -threads 0 -f null"], values)]
            print(f"  {name:38s} {median * 1000:8.1f} ms  {frames / median:7.1f} fps  "
                  f"speed vs ffmpeg {base / median:5.2f}x (paired median {statistics.median(ratios):.2f}x)")


if __name__ == "__main__":
    main()
