"""`derenotes check` against `ffmpeg -v error -i CLIP -f null -`, the command people run to see
whether a file decodes cleanly: both decode every frame of the benchmark's 1080p clips.

    python bench/cli_check.py [--rounds 9] [--out bench/out] [--long]

Each round runs the commands one after the other, as a user would (a fresh process, its start
included), in alternating order; prints each one's median and the median of the paired ratios
(ffmpeg / derenotes: above 1 means derenotes check is faster). `derenotes check` runs as the
installed console script does (`from derenotes.cli import console_script`), and `python -m
derenotes check` beside it. The package's bytecode is compiled first, as pip does on install: a
tree run with PYTHONDONTWRITEBYTECODE would otherwise compile it on every start. The clips are
the benchmark's (bench/plan.py), made with the system's CLI if missing: 200 frames (8 s) of 1080p
H.264 and HEVC; --long adds the 60-second 1080p H.264 clip.
"""
import argparse
import compileall
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from plan import FULL_CLIPS, ROOT, make_clips  # noqa: E402

CLIPS = ["h264_1080p.mp4", "hevc_1080p.mp4"]
LONG_CLIP = "h264_1080p_60s_gop250.mp4"
CONSOLE_SCRIPT = "import sys; from derenotes.cli import console_script; sys.argv[0] = 'derenotes'; console_script()"


def commands(clip):
    return {"derenotes check": [sys.executable, "-c", CONSOLE_SCRIPT, "check", "--quiet", str(clip)],
            "python -m derenotes check": [sys.executable, "-m", "derenotes", "check", "--quiet", str(clip)],
            "ffmpeg -f null": ["ffmpeg", "-nostdin", "-v", "error", "-i", str(clip), "-f", "null", "-"]}


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "out")
    parser.add_argument("--long", action="store_true", help=f"also {LONG_CLIP}")
    args = parser.parse_args()
    names = CLIPS + ([LONG_CLIP] if args.long else [])
    make_clips({name: FULL_CLIPS[name] for name in names}, args.out)
    compileall.compile_dir(ROOT / "derenotes", quiet=1)
    print("| clip | derenotes check | python -m derenotes check | ffmpeg -v error -i CLIP -f null - "
          "| ffmpeg / derenotes check | ffmpeg / python -m |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in names:
        runs = commands(args.out / name)
        for command in runs.values():  # a warm-up: the file in the page cache, the libraries too
            timed(command)
        times = {what: [] for what in runs}
        for round_number in range(args.rounds):
            order = list(runs) if round_number % 2 == 0 else list(reversed(runs))
            for what in order:
                times[what].append(timed(runs[what]))
        theirs = times["ffmpeg -f null"]
        ours, module = times["derenotes check"], times["python -m derenotes check"]
        ratio = statistics.median(t / o for o, t in zip(ours, theirs))
        module_ratio = statistics.median(t / o for o, t in zip(module, theirs))
        print(f"| {name} | {statistics.median(ours):.3f} s | {statistics.median(module):.3f} s "
              f"| {statistics.median(theirs):.3f} s | {ratio:.3f}x | {module_ratio:.3f}x |", flush=True)


if __name__ == "__main__":
    main()
