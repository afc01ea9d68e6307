"""The clip-sampling part of the benchmarks: from each of many short videos, NUM_CLIPS clips of
FRAMES_PER_CLIP consecutive frames at regular indices, converted to SIZE x SIZE rgb24, by derenotes,
decord, torchcodec and PyAV (bench/run_sampling.py, each run one process over all the videos); the
frames each gives compared with derenotes'; derenotes with threads=1 in two processes, each on half
of the videos (halves of equal work, by the seconds each video took in the first round), against one
process on all of them; and the memory a worker takes while sampling
(bench/sampling_memory.py). Used by bench/bench.py.

One untimed round first, which reads the videos into the page cache and checks the outputs: every
method saves its arrays and frame times, which are compared here with derenotes'. Then the timed
rounds, interleaved (each round starts at another method).

Frames are compared after averaging BLOCK x BLOCK blocks (224 x 224 becomes 56 x 56): the
libraries' resizers (swscale's bicubic in derenotes, bilinear in PyAV, torchcodec's antialiased
bilinear, decord's FFmpeg filter graph) put their differences in the finest detail, a few levels
per pixel, which the blocks average away, while neighbouring frames of these panning videos
differ at every scale. A frame matches when its block difference to derenotes' frame of the same
place is at most MATCH_LEVELS and at most MATCH_SHARE of that to derenotes' neighbouring frames
(the one before and the one after in the clip). The full-size mean absolute difference is given
too."""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

from measure import python_experiment, run_json
from plan import BENCH, ROOT, SAMPLING_METHODS, SAMPLING_TWO_PROCESSES

BLOCK, MATCH_LEVELS, MATCH_SHARE = 4, 4.0, 0.5
REFERENCE = SAMPLING_METHODS[0]  # derenotes, FFmpeg's threads
MEMORY_SETTINGS = ["derenotes threads=1", "derenotes", "torchcodec threads=1", "pyav threads=1",
                   "decord threads=1"]


def sampling_command(method, videos, save=None, wait=False):
    return [sys.executable, str(BENCH / "run_sampling.py"), method] + (["--save", str(save)] if save else []) + \
        (["--wait"] if wait else []) + [str(video) for video in videos]


def halves(videos, seconds):
    """The videos in two lists of about equal work, by the seconds each took (the longest first, each
    to the list with less so far), each list in the videos' order."""
    loads, parts = [0.0, 0.0], [[], []]
    for number in sorted(range(len(videos)), key=lambda n: -seconds[n]):
        lighter = loads.index(min(loads))
        loads[lighter] += seconds[number]
        parts[lighter].append(number)
    return [[videos[n] for n in sorted(part)] for part in parts]


def run_two_processes(parts):
    """derenotes threads=1 in two processes at once, one on each list of videos, started together
    (each prints "ready" once imported and starts its clock on a line from here): the time from
    the first one's start to the last one's end."""
    processes = [subprocess.Popen(sampling_command("derenotes threads=1", part, wait=True), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                 for part in parts]
    ready = [process.stdout.readline().strip() == "ready" for process in processes]
    for process in processes:
        if all(ready):
            process.stdin.write("go\n")
            process.stdin.flush()
    outputs = [process.communicate() for process in processes]  # closes their standard input
    if not all(ready) or any(process.returncode for process in processes):
        errors = [error.strip().splitlines()[-1:] for _, error in outputs]
        return {"skip": f"failed: {errors}"}
    results = [json.loads(out) for out, _ in outputs]
    return {"videos": sum(r["videos"] for r in results), "clips": sum(r["clips"] for r in results),
            "seconds": max(r["end"] for r in results) - min(r["start"] for r in results),
            "process_seconds": [r["seconds"] for r in results]}


def run_job(job, videos, parts):
    if job == SAMPLING_TWO_PROCESSES:
        return run_two_processes(parts)
    return run_json(sampling_command(job, videos))


def blocks(array):
    clips, frames, height, width, channels = array.shape
    return array.reshape(clips, frames, height // BLOCK, BLOCK, width // BLOCK, BLOCK, channels).mean(axis=(3, 5))


def compare(reference, array, reference_times, times):
    """Per frame of one video's clips (clips, frames): the full-size and block mean absolute
    differences to derenotes' frame of the same place, the block difference to derenotes'
    neighbouring frames, whether it matches, and the largest difference of the frame times."""
    ours, theirs = reference.astype(np.float32), array.astype(np.float32)
    full = np.abs(theirs - ours).mean(axis=(2, 3, 4))
    ours_blocks, theirs_blocks = blocks(ours), blocks(theirs)
    same = np.abs(theirs_blocks - ours_blocks).mean(axis=(2, 3, 4))
    neighbour = np.full(same.shape, np.inf)
    neighbour[:, 1:] = np.abs(theirs_blocks[:, 1:] - ours_blocks[:, :-1]).mean(axis=(2, 3, 4))  # the frame before
    neighbour[:, :-1] = np.minimum(neighbour[:, :-1],
                                   np.abs(theirs_blocks[:, :-1] - ours_blocks[:, 1:]).mean(axis=(2, 3, 4)))
    matched = (same <= MATCH_LEVELS) & (same <= MATCH_SHARE * neighbour)
    time_difference = float(np.nanmax(np.abs(np.asarray(times, np.float64) - reference_times)))
    return full, same, neighbour, matched, time_difference


def check_outputs(videos):
    """The untimed round: {method: summary of its frames against derenotes'}, {method: skip
    reason} and the seconds derenotes threads=1 took on each video. Summary: matched and total clips (a clip matches when all its frames do), the largest
    full-size and block differences to derenotes' frames, the smallest block difference to a
    neighbouring frame, the largest frame-time difference, and the clips that differ."""
    checks, skipped, seconds = {}, {}, None
    with tempfile.TemporaryDirectory(prefix="sampling-check-") as directory:
        saved = pathlib.Path(directory)
        for method in SAMPLING_METHODS:
            outcome = run_json(sampling_command(method, videos, saved / method))
            if "skip" in outcome:
                skipped[method] = outcome["skip"]
            elif method == "derenotes threads=1":
                seconds = outcome["per_video"]
        if REFERENCE in skipped:
            raise RuntimeError(f"derenotes' sampling {skipped[REFERENCE]}")
        for method in SAMPLING_METHODS:
            if method in skipped:
                continue
            summary = {"clips": 0, "matched_clips": 0, "max_full_mad": 0.0, "max_block_mad": 0.0,
                       "min_neighbour_block_mad": np.inf, "max_time_difference": 0.0, "shape_ok": True,
                       "differing": []}
            for number, video in enumerate(videos):
                load = lambda who, suffix="": np.load(saved / who / f"{number:03d}{suffix}.npy")  # noqa: E731
                reference, array = load(REFERENCE), load(method)
                summary["clips"] += reference.shape[0]
                if array.shape != reference.shape or array.dtype != np.uint8:
                    summary["shape_ok"] = False
                    summary["differing"].append({"video": video.name, "shape": list(array.shape), "dtype": str(array.dtype)})
                    continue
                full, same, neighbour, matched, time_difference = compare(
                    reference, array, load(REFERENCE, ".times"), load(method, ".times"))
                summary["matched_clips"] += int(matched.all(axis=1).sum())
                summary["max_full_mad"] = max(summary["max_full_mad"], float(full.max()))
                summary["max_block_mad"] = max(summary["max_block_mad"], float(same.max()))
                summary["min_neighbour_block_mad"] = min(summary["min_neighbour_block_mad"], float(neighbour.min()))
                summary["max_time_difference"] = max(summary["max_time_difference"], time_difference)
                for clip in np.flatnonzero(~matched.all(axis=1)):
                    summary["differing"].append({
                        "video": video.name, "clip": int(clip), "frames_differing": int((~matched[clip]).sum()),
                        "block_mad": [round(float(v), 2) for v in same[clip]],
                        "neighbour_block_mad": [round(float(v), 2) for v in neighbour[clip]]})
            summary["matched"] = summary["shape_ok"] and summary["matched_clips"] == summary["clips"]
            plain = method.split(",")[0]  # a variant ("pyav AUTO, non-ref skipped") and the method it varies
            if plain != method and plain not in skipped:
                summary["identical_to_" + plain] = all(
                    np.array_equal(np.load(saved / method / f"{n:03d}.npy"), np.load(saved / plain / f"{n:03d}.npy"))
                    for n in range(len(videos)))
            checks[method] = summary
    return checks, skipped, seconds


def measure_sampling(videos, rounds, memory_clip):
    """{"videos", "bytes", "checks", "runs": {job: [what each timed run printed]}, "skipped",
    "memory"} for these video paths."""
    print(f"  sampling: checking the frames of {len(SAMPLING_METHODS)} methods", flush=True)
    checks, skipped, seconds = check_outputs(videos)
    parts = halves(videos, seconds)
    jobs = [method for method in SAMPLING_METHODS if method not in skipped] + [SAMPLING_TWO_PROCESSES]
    runs = {job: [] for job in jobs}
    for round_number in range(rounds):
        shift = round_number % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            if job in skipped:
                continue
            outcome = run_job(job, videos, parts)
            if "skip" in outcome:
                skipped[job] = outcome["skip"]
            else:
                runs[job].append(outcome)
        print(f"  sampling: round {round_number + 1} of {rounds}", flush=True)
    memory = {}
    for method in MEMORY_SETTINGS:
        if method in skipped:
            memory[method] = {"skip": skipped[method]}
            continue
        try:
            memory[method] = python_experiment("sampling_memory.py", memory_clip, method)
        except RuntimeError as error:
            memory[method] = {"skip": str(error).splitlines()[-1][:200]}
    for method in ("derenotes threads=1", "derenotes"):
        memory[method]["decoder"] = python_experiment("sampling_memory.py", memory_clip, method, "decoder")
    return {"videos": [video.name for video in videos], "bytes": sum(video.stat().st_size for video in videos),
            "two_processes": [[video.name for video in part] for part in parts], "checks": checks, "runs": {job: r for job, r in runs.items() if r}, "skipped": skipped,
            "memory_clip": memory_clip.name, "memory": memory}
