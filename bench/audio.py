"""The audio part of the benchmarks: each clip's first audio stream decoded whole into one float32
array of shape (channels, samples) by the C++ loop (bench/reference_audio.cpp) and by each Python
method (bench/run_audio.py), every run in its own process; the outputs compared with the C++
loop's; and read()'s peak memory (bench/audio_memory.py). Used by bench/bench.py.

Per clip: one untimed round first, in which every method saves its array (compared, then deleted)
and which reads the clip into the page cache; then the timed rounds, interleaved (each round starts
at another method). Every run prints the MD5 of its array, so that equality with the C++ loop is
checked in every round, not only in the first."""
import shutil
import statistics
import sys

import numpy as np

from measure import paired_ratio, python_experiment, run_json
from plan import AUDIO_METHODS, AUDIO_RANGE_SECONDS, AUDIO_REFERENCE, BENCH


def audio_command(method, clip, reference, save=None):
    extra = [str(save)] if save else []
    if method == AUDIO_REFERENCE:
        return [str(reference), str(clip)] + extra
    return [sys.executable, str(BENCH / "run_audio.py"), method, str(clip)] + extra


def measure_audio(clips, out, reference, rounds):
    """{label: {"clip", "runs": {method: [what each timed run printed]}, "skipped", "outputs",
    "memory"}} for clips {label: name in `out`}."""
    results = {}
    for label, name in clips.items():
        clip = out / name
        check = out / "audio-check"
        check.mkdir(exist_ok=True)
        saved, skipped = {}, {}
        try:
            for number, method in enumerate(AUDIO_METHODS):  # the untimed round
                path = check / (f"{number}.f32" if method == AUDIO_REFERENCE else f"{number}.npy")
                outcome = run_json(audio_command(method, clip, reference, path))
                if "skip" in outcome:
                    skipped[method] = outcome["skip"]
                elif outcome["md5"]:  # an array, not decoding only
                    saved[method] = (path, outcome)
            if AUDIO_REFERENCE not in saved:
                raise RuntimeError(f"the C++ audio loop {skipped[AUDIO_REFERENCE]}")
            outputs = compare_outputs(saved)
        finally:
            shutil.rmtree(check)
        runs = {method: [] for method in AUDIO_METHODS if method not in skipped}
        jobs = list(runs)
        for round_number in range(rounds):
            shift = round_number % len(jobs)
            for method in jobs[shift:] + jobs[:shift]:
                if method in skipped:
                    continue
                outcome = run_json(audio_command(method, clip, reference))
                if "skip" in outcome:
                    skipped[method] = outcome["skip"]
                else:
                    runs[method].append(outcome)
        md5 = runs[AUDIO_REFERENCE][0]["md5"] if runs[AUDIO_REFERENCE] else None
        for method, outcomes in runs.items():
            if method in outputs:
                outputs[method]["md5_as_cpp_every_run"] = all(o["md5"] == md5 for o in outcomes)
        memory = {what: python_experiment("audio_memory.py", clip, what, AUDIO_RANGE_SECONDS)
                  for what in ("range", "whole")}
        print(f"  audio {name}: {rounds} rounds", flush=True)
        results[label] = {"clip": name, "runs": {m: o for m, o in runs.items() if o}, "skipped": skipped,
                          "outputs": outputs, "memory": memory}
    return results


def compare_outputs(saved):
    """Per method: its array's shape, dtype and layout, and how it compares with the C++ loop's
    (equal: same shape and every sample the same; max_abs_diff over the samples both have)."""
    path, outcome = saved[AUDIO_REFERENCE]
    reference = np.fromfile(path, np.float32).reshape(outcome["channels"], outcome["samples"])
    outputs = {}
    for method, (path, outcome) in saved.items():
        array = reference if method == AUDIO_REFERENCE else np.load(path, mmap_mode="r")
        channels, samples = min(array.shape[0], reference.shape[0]), min(array.shape[1], reference.shape[1])
        difference = max((float(np.max(np.abs(array[c, :samples] - reference[c, :samples])))
                          for c in range(channels)), default=0.0)
        outputs[method] = {"shape": list(array.shape), "dtype": str(array.dtype),
                           "c_contiguous": outcome.get("c_contiguous", True),
                           "equal": array.shape == reference.shape and difference == 0,
                           "max_abs_diff": difference, "md5_as_cpp": outcome["md5"] == saved[AUDIO_REFERENCE][1]["md5"]}
    return outputs


def audio_times(audio, label, method):
    return [run["seconds"] for run in audio[label]["runs"].get(method, [])]


def audio_speed(audio, label, method, reference):
    """How many times faster `method` is than `reference` on that clip: the median of per-round
    time ratios (> 1: faster), or None when one of them was not measured."""
    ours, theirs = audio_times(audio, label, method), audio_times(audio, label, reference)
    return paired_ratio(theirs, ours) if ours and theirs else None


def summarize_audio(audio, label):
    """Rows of (method, median seconds, speed vs the C++ loop: ratio of medians, paired)."""
    reference = audio_times(audio, label, AUDIO_REFERENCE)
    rows = []
    for method in audio[label]["runs"]:
        times = audio_times(audio, label, method)
        rows.append((method, statistics.median(times), statistics.median(reference) / statistics.median(times),
                     audio_speed(audio, label, method, AUDIO_REFERENCE)))
    return rows
