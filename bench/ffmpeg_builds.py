"""The same derenotes over two FFmpeg builds, side by side: the checkout's build against the
system's FFmpeg (.venv) and the installed bundled wheel (build/wheel-venv, from `make test-wheel`).

    python bench/ffmpeg_builds.py [--rounds 5] [--out bench/out/ffmpeg_builds]

Makes 1080p H.264 and HEVC clips (10 s, 25 fps) with the system's CLI, then times, in rounds that
alternate the two environments (a fresh interpreter each time, from /tmp so that the wheel's
environment cannot import the checkout): every frame decoded (planes only), with threads=1 and
with FFmpeg's threads, and every frame converted to rgb24 with threads=1. Prints the median time
of each and the ratio of the paired medians (system / wheel: above 1 means the wheel is faster).
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENVIRONMENTS = {"system FFmpeg (.venv)": ROOT / ".venv" / "bin" / "python",
                "bundled wheel (build/wheel-venv)": ROOT / "build" / "wheel-venv" / "bin" / "python"}
CLIPS = {"h264_1080p.mp4": ["-c:v", "libx264", "-preset", "medium", "-bf", "3", "-g", "50"],
         "hevc_1080p.mp4": ["-c:v", "libx265", "-preset", "fast", "-x265-params", "log-level=error"]}
CASES = {"decode, threads=1": ("None", 1), "decode, FFmpeg's threads": ("None", 0),
         "to_ndarray rgb24, threads=1": ("'rgb24'", 1)}
TIMER = """
import sys, time, derenotes
path, convert, threads = sys.argv[1], {convert}, {threads}
start = time.perf_counter()
with derenotes.VideoReader(path, threads=threads or None) as reader:
    frames = sum(1 for frame in reader if convert is None or frame.to_ndarray(convert) is not None)
print(time.perf_counter() - start, frames, derenotes.__file__)
"""


def make_clips(out):
    out.mkdir(parents=True, exist_ok=True)
    for name, codec in CLIPS.items():
        path = out / name
        if not path.exists():
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25:d=10",
                            *codec, "-pix_fmt", "yuv420p", str(path)], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "out" / "ffmpeg_builds")
    args = parser.parse_args()
    for name, python in ENVIRONMENTS.items():
        if not python.exists():
            sys.exit(f"{name}: {python} is missing (make build, make test-wheel)")
    make_clips(args.out)
    times = {(clip, case, env): [] for clip in CLIPS for case in CASES for env in ENVIRONMENTS}
    for _ in range(args.rounds):
        for clip in CLIPS:
            for case, (convert, threads) in CASES.items():
                for env, python in ENVIRONMENTS.items():
                    # The checkout's module is in its tree; the wheel's is installed.
                    variables = dict(os.environ, PYTHONPATH=str(ROOT)) if "wheel" not in env else os.environ
                    result = subprocess.run([str(python), "-c", TIMER.format(convert=convert, threads=threads),
                                             str(args.out / clip)], cwd="/tmp", check=True, capture_output=True,
                                            text=True, env=variables)
                    seconds, frames, module = result.stdout.split()
                    assert int(frames) == 250, (env, clip, frames)
                    assert ("site-packages" in module) == ("wheel" in env), module
                    times[clip, case, env].append(float(seconds))
    system, wheel = ENVIRONMENTS
    print(f"| clip | what | {system} | {wheel} | system / wheel |")
    print("| --- | --- | --- | --- | --- |")
    for clip in CLIPS:
        for case in CASES:
            a, b = times[clip, case, system], times[clip, case, wheel]
            ratio = statistics.median(x / y for x, y in zip(a, b))
            print(f"| {clip} | {case} | {statistics.median(a):.2f} s | {statistics.median(b):.2f} s | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
