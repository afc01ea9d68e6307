"""The audio part of the benchmarks: each clip's first audio stream decoded whole into one float32
array of shape (channels, samples) by the C++ loop (bench/reference_audio.cpp) and by each Python
method (bench/run_audio.py), every run in its own process; the outputs compared with the C++
loop's; and read()'s peak memory (bench/audio_memory.py). Used by bench/bench.py.

Per clip: one untimed round first, which reads the clip into the page cache and checks the
outputs: the C++ loop writes its array to a file, which every other method compares its own with
(in its process, after its clock); then the timed rounds, interleaved (each round starts at another
method). Every run prints the MD5 of its array, so that equality with the C++ loop is checked in
every round, not only in the first."""
import statistics
import sys

from measure import paired_ratio, python_experiment, run_json
from plan import AUDIO_METHODS, AUDIO_RANGE_SECONDS, AUDIO_REFERENCE, AUDIO_REFERENCE_SIZED, BENCH


def audio_command(method, clip, reference, array_file=None, channels=None):
    """The command of one run; with array_file, the untimed one: the C++ loop writes its array there,
    the other methods compare theirs with it (`channels` rows)."""
    if method == AUDIO_REFERENCE:
        return [str(reference), str(clip), "plain"] + ([str(array_file)] if array_file else [])
    if method == AUDIO_REFERENCE_SIZED:  # the same array as the other C++ loop's: compared by MD5
        return [str(reference), str(clip), "sized"]
    extra = [str(array_file), str(channels)] if array_file else []
    return [sys.executable, str(BENCH / "run_audio.py"), method, str(clip)] + extra


def measure_audio(clips, out, reference, rounds):
    """{label: {"clip", "runs": {method: [what each timed run printed]}, "skipped", "outputs",
    "memory"}} for clips {label: name in `out`}; outputs: per method that makes an array, what its
    untimed run found (shape, dtype, c_contiguous, equal, max_abs_diff) and md5_as_cpp_every_run."""
    results = {}
    for label, name in clips.items():
        clip, array_file = out / name, out / "audio-reference.f32"
        skipped, outputs = {}, {}
        try:
            first = run_json(audio_command(AUDIO_REFERENCE, clip, reference, array_file))
            if "skip" in first:
                raise RuntimeError(f"the C++ audio loop {first['skip']}")
            outputs[AUDIO_REFERENCE] = {"shape": [first["channels"], first["samples"]], "dtype": "float32",
                                        "c_contiguous": True, "equal": True, "max_abs_diff": 0.0}
            for method in AUDIO_METHODS[1:]:
                outcome = run_json(audio_command(method, clip, reference, array_file, first["channels"]))
                if "skip" in outcome:
                    skipped[method] = outcome["skip"]
                elif method == AUDIO_REFERENCE_SIZED:
                    outputs[method] = dict(outputs[AUDIO_REFERENCE], equal=outcome["md5"] == first["md5"],
                                           max_abs_diff=0.0 if outcome["md5"] == first["md5"] else None)
                elif outcome["md5"]:  # an array, not decoding only
                    outputs[method] = {key: outcome[key] for key in ("dtype", "c_contiguous", "equal", "max_abs_diff")}
                    outputs[method]["shape"] = [outcome["channels"], outcome["samples"]]
        finally:
            array_file.unlink(missing_ok=True)
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
