"""The clip-sampling part of what bench/bench.py writes: its targets (numbered "16.") and its
section of RESULTS.md, from a bench/sampling.py measure_sampling result."""
import statistics

from measure import paired_ratio
from plan import SAMPLING_TWO_PROCESSES
from run_sampling import FRAMES_PER_CLIP, NUM_CLIPS, SIZE
from sampling import BLOCK, MATCH_LEVELS, MATCH_SHARE

# (derenotes' method, the other's, the speed-up floor or None for "faster than", the other's name)
SPEED_TARGETS = [
    ("derenotes", "decord", 1.5, "decord get_batch (its own resize)"),
    ("derenotes threads=1", "decord threads=1", 1.5, "decord get_batch (its own resize)"),
    ("derenotes", "torchcodec", 1.3, "torchcodec clips_at_regular_indices with its Resize"),
    ("derenotes threads=1", "torchcodec threads=1", 1.3, "torchcodec clips_at_regular_indices with its Resize"),
    ("derenotes", "pyav AUTO", None, "PyAV seek + decode + reformat"),
    ("derenotes threads=1", "pyav threads=1", None, "PyAV seek + decode + reformat"),
]
MEMORY_FLOOR = 2.0


def seconds(sampling, job):
    return [run["seconds"] for run in sampling["runs"].get(job, [])]


def speed(sampling, ours, theirs):
    """How many times faster `ours` is than `theirs`: the median of per-round time ratios."""
    return paired_ratio(seconds(sampling, theirs), seconds(sampling, ours))


def threads_text(method):
    return "threads=1 each" if method.endswith("threads=1") else "FFmpeg's thread count each"


def frames_text(sampling, method):
    check = sampling["checks"].get(method)
    if check is None:
        return "frames not checked"
    if check["matched"]:
        return "its frames are derenotes'"
    return f"**its frames differ**: {check['matched_clips']} of {check['clips']} clips match"


def steady(memory):
    """The worst of the calls after the first: a worker's steady state."""
    return max(memory["calls"][1:], key=lambda call: call["peak_growth_mb"])


def sampling_targets(sampling):
    """[(target, measured text, met: bool or None when not measured)]"""
    videos, clips = len(sampling["videos"]), len(sampling["videos"]) * NUM_CLIPS
    what = f"16. {NUM_CLIPS}x{FRAMES_PER_CLIP} frames at {SIZE}x{SIZE} rgb24 from {videos} videos"
    targets = []
    for ours, theirs, floor, name in SPEED_TARGETS:
        target = f"{what} ({threads_text(theirs)}): derenotes " + (f">= {floor}x {name}" if floor else
                                                                   f"faster than {name}")
        if not seconds(sampling, ours) or not seconds(sampling, theirs):
            missing = ours if not seconds(sampling, ours) else theirs
            targets.append((target, f"not measured: {sampling['skipped'].get(missing, 'no times')}", None))
            continue
        ratio = speed(sampling, ours, theirs)
        medians = statistics.median(seconds(sampling, theirs)) / statistics.median(seconds(sampling, ours))
        text = (f"{ratio:.2f}x (paired; medians {medians:.2f}x): {statistics.median(seconds(sampling, ours)):.2f} s "
                f"against {statistics.median(seconds(sampling, theirs)):.2f} s for {clips} clips; "
                f"{frames_text(sampling, theirs)}")
        targets.append((target, text, ratio >= floor if floor else ratio > 1))
    worker = sampling["memory"].get("derenotes threads=1", {})
    target = (f"16. a worker (threads=1) sampling {NUM_CLIPS}x{FRAMES_PER_CLIP} frames at {SIZE}x{SIZE} from "
              f"{sampling['memory_clip']}: peak extra memory < {MEMORY_FLOOR:g}x the output")
    if "calls" not in worker:
        targets.append((target, f"not measured: {worker.get('skip', 'no run')}", None))
    else:
        call, first = steady(worker), worker["calls"][0]
        text = (f"{call['peak_growth_mb']:.1f} MB for {worker['result_mb']:.1f} MB ({call['peak_ratio']:.2f}x; first call "
                f"in the process {first['peak_ratio']:.2f}x); the decoder alone holds "
                f"{worker['decoder']['held_mb']:.1f} MB")
        default = sampling["memory"].get("derenotes", {})
        if "calls" in default:
            text += f"; FFmpeg's threads: {steady(default)['peak_growth_mb']:.1f} MB ({steady(default)['peak_ratio']:.2f}x)"
        targets.append((target, text, call["peak_ratio"] < MEMORY_FLOOR))
    return targets


def video_summary(names):
    kinds = {}
    for name in names:
        codec, height = name.split("_")[1], name.split("_")[2].split("p")[0]
        key = f"{codec.upper() if codec == 'hevc' else 'H.264'} {height}p"
        kinds[key] = kinds.get(key, 0) + 1
    return ", ".join(f"{count} {kind}" for kind, count in kinds.items())


def sampling_report(sampling):
    """The lines of the clip-sampling section of RESULTS.md."""
    videos, runs = sampling["videos"], sampling["runs"]
    clips = len(videos) * NUM_CLIPS
    lines = [
        "", f"## Clip sampling: {NUM_CLIPS} clips of {FRAMES_PER_CLIP} frames at {SIZE}x{SIZE} rgb24 from each of "
        f"{len(videos)} videos", "",
        f"The videos ({video_summary(videos)}; {sampling['bytes'] / 1e6:.0f} MB; bench/out/sampling*.mp4, made by "
        "bench/plan.py): from each, the clips' first frames evenly spaced from 0 to len - "
        f"{FRAMES_PER_CLIP}, {FRAMES_PER_CLIP} consecutive frames each, converted to {SIZE}x{SIZE} rgb24. Each run "
        "is one process over all the videos (bench/run_sampling.py), timed from opening the first video to the "
        "last one's array, closing each reader included: derenotes `samplers.clips_at_regular_indices(reader, "
        "num_clips=, frames_per_clip=, format=\"rgb24\", width=, height=)` on a new reader per video (one "
        "`get_frames` call); decord `VideoReader(path, width=, height=)` + `get_batch` (its own resize), made a "
        "NumPy array; torchcodec `samplers.clips_at_regular_indices` on a `VideoDecoder` with its decoder "
        "transform `Resize` (an NHWC uint8 tensor); PyAV seek + decode + one `VideoReformatter` a video (PyAV has "
        "no index: frames found by pts on these constant-rate MP4s). All but torchcodec take derenotes' indices; "
        "torchcodec's sampler picks the same (its frame times are compared). "
        "Threads: none given is FFmpeg's count (derenotes threads=None in a main process, decord num_threads=0, "
        "torchcodec num_ffmpeg_threads=0, PyAV thread_type AUTO); threads=1 is a data-loader worker's setting "
        "(and torchcodec's default). Speed vs derenotes: the method's time over derenotes' with the same "
        "threads, per round (> 1: derenotes is faster); paired is the median of those.", "",
        "| method | median s | clips/s | speed vs derenotes (medians) | speed vs derenotes (paired) | frames |",
        "| --- | ---: | ---: | ---: | ---: | --- |"]
    for method, values in runs.items():
        if method == SAMPLING_TWO_PROCESSES:
            continue
        ours = "derenotes threads=1" if "threads=1" in method else "derenotes"
        median = statistics.median(values_of(values))
        ratio = paired = ""
        if seconds(sampling, ours) and not method.startswith("derenotes"):
            ratio = f"{median / statistics.median(seconds(sampling, ours)):.2f}x"
            paired = f"{speed(sampling, ours, method):.2f}x"
        lines.append(f"| {method} | {median:.2f} | {clips / median:.1f} | {ratio} | {paired} | "
                     f"{check_text(sampling['checks'].get(method), method)} |")
    for method, reason in sampling["skipped"].items():
        lines.append(f"\n{method}: skipped, {reason}")
    lines += ["", f"Frames: each method's arrays compared with derenotes' (FFmpeg's threads) in an untimed first "
              f"round, after averaging {BLOCK}x{BLOCK} blocks (the resizers differ in the finest detail, neighbouring "
              f"frames of these panning videos at every scale): a frame matches when its block difference to "
              f"derenotes' frame is at most {MATCH_LEVELS:g} levels and at most {MATCH_SHARE:g}x that to derenotes' "
              "frames before and after it; a clip when its frames do. Full-size mean absolute differences (levels) "
              "and the frame times each method gives, against the times of derenotes' clips, are given too."]
    for method, check in sampling["checks"].items():
        for differing in check["differing"][:8]:
            if "clip" not in differing:
                lines.append(f"\n{method}: {differing['video']} gave shape {differing['shape']}, {differing['dtype']}")
                continue
            lines.append(f"\n{method}: {differing['video']}, clip {differing['clip']}: {differing['frames_differing']} "
                         f"of its {len(differing['block_mad'])} frames differ (block differences to derenotes' frames "
                         f"{min(differing['block_mad']):.1f} to {max(differing['block_mad']):.1f}, to their "
                         f"neighbours {min(differing['neighbour_block_mad']):.1f} to "
                         f"{max(differing['neighbour_block_mad']):.1f})")
        if len(check["differing"]) > 8:
            lines.append(f"\n{method}: and {len(check['differing']) - 8} more clips")
    skipping = [(method, method.split(",")[0]) for method in runs if method.endswith("non-ref skipped")]
    if skipping:
        lines += ["", "The `non-ref skipped` rows are PyAV with its decoder told to skip every non-reference frame "
                  "but the ones asked for (`skip_frame` NONREF, set per packet): no other frame needs them, so "
                  "the frames are the same, with fewer decoded on the way from each key frame. PyAV does not do "
                  "this by itself; derenotes' `get_frames` does the same (docs/exactness.md): against PyAV "
                  "without it, " + "; ".join(f"{plain} {speed(sampling, method, plain):.2f}x (paired), its arrays "
                                              + ("the same, bit for bit" if sampling["checks"][method].get(
                                                  "identical_to_" + plain) else "**not the same**")
                                              for method, plain in skipping if seconds(sampling, plain)) + "."]
    two = seconds(sampling, SAMPLING_TWO_PROCESSES)
    if two and seconds(sampling, "derenotes threads=1"):
        scaling = speed(sampling, SAMPLING_TWO_PROCESSES, "derenotes threads=1")
        each = [statistics.median(run["process_seconds"][i] for run in runs[SAMPLING_TWO_PROCESSES]) for i in (0, 1)]
        lines += ["", f"Two processes: derenotes threads=1 in two processes started together, each on half of the "
                  f"videos ({len(sampling['two_processes'][0])} and {len(sampling['two_processes'][1])}, of about "
                  f"equal work by the first round's times), {statistics.median(two):.2f} s from the first start to "
                  f"the last end (each process {each[0]:.2f} s and {each[1]:.2f} s), against "
                  f"{statistics.median(seconds(sampling, 'derenotes threads=1')):.2f} s for one process on all "
                  f"of them: {scaling:.2f}x (paired), {clips / statistics.median(two):.1f} clips/s."]
    lines += memory_report(sampling)
    return lines


def values_of(runs):
    return [run["seconds"] for run in runs]


def check_text(check, method):
    if check is None:
        return ""
    text = "the reference" if method == "derenotes" else \
        ("match" if check["matched"] else f"**{check['matched_clips']} of {check['clips']} clips match**")
    return (f"{text} (full-size MAD <= {check['max_full_mad']:.1f}, blocks <= {check['max_block_mad']:.1f}, "
            f"neighbours' blocks >= {check['min_neighbour_block_mad']:.1f}; times within "
            f"{check['max_time_difference']:.1g} s)")


def memory_report(sampling):
    memory = sampling["memory"]
    lines = ["", f"### Memory of a worker while sampling {sampling['memory_clip']}", "",
             "In a fresh process per method (bench/sampling_memory.py): the library imported, the clip opened and "
             "closed once, then the same sampling three times, each result dropped before the next call: the "
             "peak resident memory during the call (VmHWM reset just before it) over that just before it; "
             "steady: the worst of the second and third calls, a worker's state after its first video; traced: "
             "the peak that Python's tracemalloc sees (NumPy's arrays; not FFmpeg's buffers, nor torch's). The "
             "decoder: a derenotes reader holding one decoded full-size frame, over before it was opened.", "",
             "| method | result MB | first call: peak MB | steady: peak MB | steady / result | traced peak MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for method, measured in memory.items():
        if "calls" not in measured:
            lines.append(f"| {method} | not measured: {measured.get('skip')} | | | | |")
            continue
        call = steady(measured)
        lines.append(f"| {method} | {measured['result_mb']:.1f} | {measured['calls'][0]['peak_growth_mb']:.1f} | "
                     f"{call['peak_growth_mb']:.1f} | {call['peak_ratio']:.2f}x | {call['traced_peak_mb']:.1f} |")
    for method in ("derenotes threads=1", "derenotes"):
        decoder = memory.get(method, {}).get("decoder")
        if decoder:
            lines.append(f"\nThe decoder of {method} (reader threads {decoder['reader_threads']}): "
                         f"{decoder['held_mb']:.1f} MB resident with one {decoder['frame_mb']:.2f} MB frame held.")
    return lines
