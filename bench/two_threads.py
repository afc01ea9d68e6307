#!/usr/bin/env python3
"""Two readers in two Python threads (threads=1 each) on two files, against the same two decodes
one after the other: the speed-up shows whether the GIL is released while decoding. The same
for two C++ reference loops in two processes gives this machine's own ceiling.

    python bench/two_threads.py CLIP REFERENCE_BINARY ROUNDS     (prints JSON)
"""
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build
import derenotes  # noqa: E402


def decode(path):
    with derenotes.VideoReader(path, threads=1) as reader:
        for _ in reader:
            pass


def in_threads(paths):
    workers = [threading.Thread(target=decode, args=(p,)) for p in paths]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def references(binary, paths, parallel):
    commands = [[binary, str(p), "1"] for p in paths]
    if parallel:
        for process in [subprocess.Popen(c, stdout=subprocess.DEVNULL) for c in commands]:
            process.wait()
    else:
        for command in commands:
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)


def timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main():
    clip, binary, rounds = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    second = clip.with_name("second-copy-" + clip.name)
    if not second.exists():
        shutil.copyfile(clip, second)
    paths = [str(clip), str(second)]
    times = {"sequential": [], "threads": [], "ref_sequential": [], "ref_parallel": []}
    for _ in range(rounds):
        times["sequential"].append(timed(lambda: [decode(p) for p in paths]))
        times["threads"].append(timed(in_threads, paths))
        times["ref_sequential"].append(timed(references, binary, paths, False))
        times["ref_parallel"].append(timed(references, binary, paths, True))
    median = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({
        "clip": clip.name,
        "sequential_s": round(median["sequential"], 3), "threads_s": round(median["threads"], 3),
        "speedup": round(statistics.median(s / t for s, t in zip(times["sequential"], times["threads"])), 3),
        "reference_speedup": round(statistics.median(
            s / p for s, p in zip(times["ref_sequential"], times["ref_parallel"])), 3),
    }))


if __name__ == "__main__":
    main()
