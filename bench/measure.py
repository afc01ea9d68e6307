"""Running the methods and reducing their times: each method runs in its own process
(bench/run_method.py, bench/random_access.py, a C++ reference program or the ffmpeg CLI) in
interleaved rounds; the summaries are medians and paired per-round ratios. Used by bench/bench.py."""
import json
import pathlib
import random
import re
import statistics
import subprocess
import sys

from plan import (BENCH, FFMPEG_CLI, MIDDLE_DERENOTES, MIDDLE_REFERENCE, RANDOM_FRAMES, RANDOM_METHODS,
                  RANDOM_REFERENCE, RANDOM_SEED, REFERENCE_1T, REFERENCE_AUTO, REFERENCE_RGB24, ROOT)


def run_json(command):
    """The JSON line a benchmark program prints, or {"skip": reason} when it failed (a method whose
    library does not import prints its own skip, with exit status 3)."""
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode not in (0, 3):
        return {"skip": f"failed: {(result.stderr.strip().splitlines() or ['?'])[-1][:200]}"}
    return json.loads(result.stdout)


def run_method(method, clip, reference):
    """{"frames", "seconds", "first_frame_seconds"} or {"skip": reason}."""
    if method == FFMPEG_CLI:
        return run_ffmpeg_cli(clip)
    if method == REFERENCE_RGB24:
        return run_json([str(reference), str(clip), "0", "rgb24"])
    if method.startswith("C++ loop"):
        return run_json([str(reference), str(clip), "1" if method == REFERENCE_1T else "0"])
    return run_json([sys.executable, str(BENCH / "run_method.py"), method, str(clip)])


def run_ffmpeg_cli(clip):
    """The ffmpeg CLI decoding to nothing; its time is its own -benchmark rtime (the decode loop,
    without opening the file), so it has no time to the first frame."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-benchmark", "-threads", "0", "-i", str(clip),
                             "-f", "null", "-"], capture_output=True, text=True)
    rtime = re.search(r"rtime=([\d.]+)s", result.stderr)
    frames = re.findall(r"frame=\s*(\d+)", result.stderr)
    if result.returncode != 0 or not rtime or not frames:
        return {"skip": f"ffmpeg failed: {(result.stderr.strip().splitlines() or ['?'])[-1][:200]}"}
    return {"frames": int(frames[-1]), "seconds": float(rtime.group(1)), "first_frame_seconds": None}


def reference_for(method):
    if "rgb24" in method:
        return REFERENCE_RGB24
    return REFERENCE_1T if "threads=1" in method or method == REFERENCE_1T else REFERENCE_AUTO


def measure_decoding(clips, out, reference, rounds, methods):
    """Per clip (a name in `out`, or a path) and method: the list of seconds per round, frame
    counts, skip reasons."""
    results = {}
    for name in clips:
        clip = out / name if (out / name).exists() else pathlib.Path(name).resolve()
        times = {m: [] for m in methods}
        steady = {m: [] for m in methods}  # microseconds per frame after the first frame
        frames, skipped = {}, {}
        for round_number in range(rounds):
            # Each round starts at another method, so that no method always runs after the same one.
            shift = round_number % len(methods)
            for method in methods[shift:] + methods[:shift]:
                if method in skipped:
                    continue
                outcome = run_method(method, clip, reference)
                if "skip" in outcome:
                    skipped[method] = outcome["skip"]
                    continue
                frames[method] = outcome["frames"]
                times[method].append(outcome["seconds"])
                if outcome["first_frame_seconds"] is not None:
                    steady[method].append((outcome["seconds"] - outcome["first_frame_seconds"])
                                          / max(1, outcome["frames"] - 1) * 1e6)
        print(f"  {name}: {rounds} rounds", flush=True)
        results[name] = {"times": {m: t for m, t in times.items() if t},
                         "steady_us": {m: t for m, t in steady.items() if t}, "frames": frames, "skipped": skipped}
    return results


def summarize(clip_result):
    """Rows of (method, median seconds, fps, ratio of medians, paired median ratio) to the C loop
    with the same threading, and the same conversion for rgb24 (ratio > 1: faster than the C loop)."""
    times, frames = clip_result["times"], clip_result["frames"]
    rows = []
    for method, values in times.items():
        reference = times.get(reference_for(method))
        median = statistics.median(values)
        ratio = paired = None
        if reference:
            ratio = statistics.median(reference) / median
            paired = statistics.median(r / v for r, v in zip(reference, values))
        rows.append((method, median, frames[method] / median, ratio, paired))
    return rows


def random_access_command(method, clip, numbers, reference):
    if method == RANDOM_REFERENCE:
        return [str(reference), str(clip), *map(str, numbers)]
    if method == MIDDLE_REFERENCE:
        return [str(reference), str(clip), "middle"]
    return [sys.executable, str(BENCH / "random_access.py"), method, str(clip), *map(str, numbers)]


def measure_random_access(clip, long_clip, reference, rounds):
    """The same RANDOM_FRAMES frames of `clip` (drawn with RANDOM_SEED) by every random-access
    method, and opening `long_clip` and reading its middle frame by derenotes and the C++ program:
    per method, what each round's run printed, and skip reasons."""
    # Untimed, first: each clip read once so that every timed run finds it in the page cache (its
    # state between processes is not otherwise under control), and the frame count to draw from.
    warm_ups = [run_json(random_access_command(MIDDLE_REFERENCE, path, [], reference)) for path in (clip, long_clip)]
    for warm_up in warm_ups:
        if "skip" in warm_up:
            raise RuntimeError(f"the C++ random-access program {warm_up['skip']}")
    frame_count = warm_ups[0]["frame_count"]
    numbers = random.Random(RANDOM_SEED).sample(range(frame_count), RANDOM_FRAMES)
    jobs = [(method, clip, numbers) for method in RANDOM_METHODS] + [(MIDDLE_REFERENCE, long_clip, []),
                                                                    (MIDDLE_DERENOTES, long_clip, [])]
    outcomes = {method: [] for method, _, _ in jobs}
    skipped = {}
    for round_number in range(rounds):
        shift = round_number % len(jobs)  # each round starts at another method, as in measure_decoding
        for method, path, asked in jobs[shift:] + jobs[:shift]:
            if method in skipped:
                continue
            outcome = run_json(random_access_command(method, path, asked, reference))
            if "skip" in outcome:
                skipped[method] = outcome["skip"]
            else:
                outcomes[method].append(outcome)
    print(f"  random access: {rounds} rounds", flush=True)
    return {"clip": clip.name, "frame_count": frame_count, "frame_numbers": numbers, "long_clip": long_clip.name,
            "runs": {method: runs for method, runs in outcomes.items() if runs}, "skipped": skipped}


def seconds_of(random_access, method, key="seconds"):
    return [outcome[key] for outcome in random_access["runs"].get(method, [])]


def paired_ratio(values, references):
    """The median of per-round ratios: rounds pair the runs, which this noisy machine needs."""
    return statistics.median(v / r for v, r in zip(values, references))


def summarize_random_access(random_access):
    """Rows of (method, median seconds, time / the C++ program's: ratio of medians, paired ratio;
    whether its Y planes are the C++ program's in every round, None for the methods that give RGB)."""
    reference = seconds_of(random_access, RANDOM_REFERENCE)
    reference_md5 = random_access["runs"][RANDOM_REFERENCE][0]["y_md5"]
    rows = []
    for method in RANDOM_METHODS:
        times = seconds_of(random_access, method)
        if not times:
            continue
        checksums = [outcome["y_md5"] for outcome in random_access["runs"][method]]
        same = None if checksums[0] is None else all(c == reference_md5 for c in checksums)
        rows.append((method, statistics.median(times), statistics.median(times) / statistics.median(reference),
                     paired_ratio(times, reference), same))
    return rows


def summarize_middle_frame(random_access):
    """Rows of (method, median seconds, median seconds of the index, index share: the median of
    per-run shares)."""
    rows = []
    for method in (MIDDLE_REFERENCE, MIDDLE_DERENOTES):
        total, index = seconds_of(random_access, method), seconds_of(random_access, method, "index_seconds")
        if total:
            rows.append((method, statistics.median(total), statistics.median(index), paired_ratio(index, total)))
    return rows


def python_experiment(script, *args):
    result = subprocess.run([sys.executable, str(BENCH / script), *map(str, args)], capture_output=True,
                            text=True, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{result.stderr}")
    return json.loads(result.stdout)

