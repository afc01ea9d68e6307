#!/usr/bin/env python3
"""Decode benchmarks side by side: a C++ reference loop over libavcodec, derenotes, PyAV,
OpenCV, torchcodec and decord (where they install), plus derenotes' memory and GIL checks,
random access: frames by number against a C++ program that seeks and decodes forward, and
conversion to rgb24 against the C++ loop converting with libswscale.

    python bench/bench.py            # full run: writes bench/RESULTS.md and bench/results.png
    python bench/bench.py --quick --out DIR   # seconds-long smoke run, writes into DIR
    python bench/bench.py --only random-access --out DIR   # that part alone, written into DIR
    python bench/bench.py --only conversion --out DIR      # likewise

Every method runs in its own process (bench/run_method.py, bench/random_access.py) and is timed from opening the file
to its last frame. Rounds are interleaved (A B C A B C ...) because this machine is noisy: the
medians and the paired ratios (per round, against the C++ loop with the same threading) from
one run are the figures that count.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import random
import re
import statistics
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
FFMPEG_LIBS = ["libavformat", "libavcodec", "libavutil", "libswscale"]

REFERENCE_1T, REFERENCE_AUTO = "C++ loop threads=1", "C++ loop auto threads"
FFMPEG_CLI = "ffmpeg CLI -threads 0 -f null"
DECODE_METHODS = [
    REFERENCE_1T, REFERENCE_AUTO, FFMPEG_CLI,
    "derenotes threads=1 np.asarray", "derenotes decode-only", "derenotes np.asarray", "derenotes frame.arrays",
    "pyav default planes", "pyav AUTO planes", "pyav AUTO to_ndarray",
    "opencv read", "torchcodec", "decord",
]
# Conversion to rgb24 on the clip of the "conversion" role; the decode-only methods are there to show what the
# conversion adds to each.
REFERENCE_RGB24 = "C++ loop auto threads + swscale rgb24"
CONVERSION_METHODS = [REFERENCE_AUTO, REFERENCE_RGB24, "derenotes decode-only", "derenotes to_ndarray rgb24",
                      "derenotes to_ndarray rgb24 out=", "pyav AUTO planes", "pyav AUTO to_ndarray rgb24"]
RANDOM_REFERENCE = "C++ seek+decode"
RANDOM_METHODS = [RANDOM_REFERENCE, "derenotes get_frames", "derenotes reader[i]", "pyav seek+decode", "decord",
                  "torchcodec exact"]
MIDDLE_REFERENCE, MIDDLE_DERENOTES = "C++ open + middle frame", "derenotes open + middle frame"
RANDOM_FRAMES, RANDOM_SEED = 10, 0


def lavfi(size, rate, frames, source="testsrc2"):
    return ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}", "-frames:v", str(frames)]


def looped(clip, copies):
    """`copies` copies of a clip (in the same directory) one after the other, without encoding
    again: the demuxer offsets each copy's timestamps, so they stay monotonic."""
    return ["-stream_loop", str(copies - 1), "-i", clip, "-map", "0:v", "-c", "copy"]


H264 = ["-c:v", "libx264", "-preset", "medium", "-crf", "23", "-bf", "3", "-pix_fmt", "yuv420p"]

# name: (ffmpeg arguments, used in the decode table)
FULL_CLIPS = {
    "h264_1080p.mp4": (lavfi("1920x1080", 25, 200) + H264, True),
    "hevc_1080p.mp4": (lavfi("1920x1080", 25, 200) + ["-c:v", "libx265", "-preset", "fast",
                                                      "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"], True),
    "vp9_1080p.webm": (lavfi("1920x1080", 25, 200) + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                                                      "-row-mt", "1", "-b:v", "4M"], True),
    "h264_240p.mp4": (lavfi("426x240", 25, 200) + H264, True),
    "raw_64x64.nut": (lavfi("64x64", 25, 5000) + ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"], True),
    "mjpeg_64x64.avi": (lavfi("64x64", 25, 5000) + ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"], True),
    # Random access: 60 s, a key frame every 250 frames (or at a scene cut); and 10 minutes of it
    # for the cost of the index, looped rather than encoded, which would take an hour here.
    "h264_1080p_60s_gop250.mp4": (lavfi("1920x1080", 25, 1500) + ["-c:v", "libx264", "-preset", "veryfast",
                                                                  "-g", "250", "-bf", "3", "-pix_fmt", "yuv420p"], False),
    "h264_1080p_600s_gop250.mp4": (looped("h264_1080p_60s_gop250.mp4", 10), False),
}
QUICK_CLIPS = {
    "h264_240p_quick.mp4": (lavfi("426x240", 25, 25) + H264, True),
    "raw_64x64_quick.nut": (lavfi("64x64", 25, 300) + ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"], True),
    "h264_240p_gop25_quick.mp4": (lavfi("320x240", 25, 100) + ["-c:v", "libx264", "-preset", "veryfast",
                                                                "-g", "25", "-bf", "3", "-pix_fmt", "yuv420p"], False),
    "h264_240p_gop25_10x_quick.mp4": (looped("h264_240p_gop25_quick.mp4", 10), False),
}
# Clips of the targets, by role: (full name, quick name)
ROLES = {
    "h264": ("h264_1080p.mp4", "h264_240p_quick.mp4"),
    "hevc": ("hevc_1080p.mp4", None),
    "vp9": ("vp9_1080p.webm", None),
    "tiny": ("raw_64x64.nut", "raw_64x64_quick.nut"),
    "random": ("h264_1080p_60s_gop250.mp4", "h264_240p_gop25_quick.mp4"),
    "long": ("h264_1080p_600s_gop250.mp4", "h264_240p_gop25_10x_quick.mp4"),
    "conversion": ("h264_1080p.mp4", "h264_240p_quick.mp4"),
}


def make_clips(clips, out):
    out.mkdir(parents=True, exist_ok=True)
    for name, (args, _) in clips.items():
        path = out / name
        if not path.exists():
            print(f"making {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
            partial = path.with_name("partial-" + name)
            subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(partial)], check=True, cwd=out)
            partial.rename(path)


def build_reference(name, out):
    """The C++ program bench/NAME.cpp, compiled into out/NAME when its source is newer."""
    source, binary = BENCH / f"{name}.cpp", out / name
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", *FFMPEG_LIBS], check=True,
                               capture_output=True, text=True).stdout.split()
        subprocess.run(["g++", "-O2", "-std=c++17", str(source), *flags, "-o", str(binary)], check=True)
    return binary


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


def decode_targets(decoding, memory, threads, quick):
    """[(target, measured text, met: bool or None when not measured)]"""
    def row(role, method):
        name = ROLES[role][1 if quick else 0]
        if not name or name not in decoding:
            return None
        return {r[0]: r for r in summarize(decoding[name])}.get(method)

    targets = []
    for role in ("h264", "hevc", "vp9"):
        ours = row(role, "derenotes np.asarray")
        text = f"{ours[4]:.2f}x (paired; medians {ours[3]:.2f}x)" if ours else "not measured"
        targets.append((f"1. {role}: derenotes np.asarray >= 0.97x the C loop, auto threads", text,
                        ours[4] >= 0.97 if ours else None))
    ours, pyav = row("h264", "derenotes np.asarray"), row("h264", "pyav default planes")
    if ours and pyav:
        speedup = ours[2] / pyav[2]
        targets.append(("1. h264: derenotes np.asarray >= 1.3x PyAV's defaults", f"{speedup:.2f}x", speedup >= 1.3))
    else:
        targets.append(("1. h264: derenotes np.asarray >= 1.3x PyAV's defaults", "PyAV not measured", None))
    tiny = ROLES["tiny"][1 if quick else 0]
    if tiny in decoding:
        # Steady state (after the first frame), so that opening and probing the file do not count.
        steady = {m: statistics.median(v) for m, v in decoding[tiny]["steady_us"].items()}
        base = steady[REFERENCE_AUTO]
        extra = steady["derenotes frame.arrays"] - base
        text = (f"{extra:+.2f} us per frame over the C loop's {base:.2f} us with frame.arrays; "
                f"np.asarray on each plane {steady['derenotes np.asarray'] - base:+.2f} us")
        if "pyav default planes" in steady:
            text += f"; PyAV {steady['pyav default planes'] - base:+.2f} us"
        targets.append(("2. 64x64 rawvideo, planes as arrays: <= 1.0 us per frame over the C loop", text, extra <= 1.0))
    growth = memory["growth_mb"]
    targets.append((f"3. resident memory grows <= 5 MB over {memory['frames']} small frames",
                    f"{growth:+.2f} MB", growth <= 5))
    held = memory["held_ratio"]
    targets.append((f"3. holding the planes of {memory['held_frames']} frames costs their buffers, nothing more",
                    f"{memory['held_mb']:.0f} MB for {memory['buffers_mb']:.0f} MB of buffers ({held:.2f}x)",
                    0.8 <= held <= 1.2))
    targets.append(("4. two readers in two threads >= 1.8x one after the other",
                    f"{threads['speedup']:.2f}x (two C loops in two processes: {threads['reference_speedup']:.2f}x)",
                    threads["speedup"] >= 1.8))
    return targets


def random_access_targets(random_access):
    """[(target, measured text, met: bool or None when not measured)]"""
    frames = f"5. {RANDOM_FRAMES} random frames of 1080p GOP-250 H.264: derenotes get_frames"
    skipped = random_access["skipped"]
    ours = seconds_of(random_access, "derenotes get_frames")
    target = f"{frames} <= 1.1x the C++ seek+decode program"
    if ours:
        rows = {row[0]: row for row in summarize_random_access(random_access)}
        ratio = rows["derenotes get_frames"][3]
        text = f"{ratio:.2f}x its time (paired; medians {rows['derenotes get_frames'][2]:.2f}x)"
        if "derenotes reader[i]" in rows:
            text += f"; reader[i] one by one {rows['derenotes reader[i]'][3]:.2f}x"
        targets = [(target, text, ratio <= 1.1)]
    else:
        targets = [(target, f"not measured: {skipped['derenotes get_frames']}", None)]
    for method, name in (("decord", "decord"), ("torchcodec exact", "torchcodec's exact mode")):
        target = f"{frames} faster than {name}"
        theirs = seconds_of(random_access, method)
        if ours and theirs:
            ratio = paired_ratio(ours, theirs)
            targets.append((target, f"{ratio:.2f}x its time (paired)", ratio < 1))
        else:
            targets.append((target, f"not measured: {skipped[method if ours else 'derenotes get_frames']}", None))
    middle = {row[0]: row for row in summarize_middle_frame(random_access)}
    target = "5. opening a 10-minute 1080p MP4 and reading its middle frame: the index <= 10% of the time"
    if MIDDLE_DERENOTES in middle:
        _, total, index, share = middle[MIDDLE_DERENOTES]
        text = f"{share:.1%} (len(reader) {index * 1000:.1f} ms of {total * 1000:.1f} ms)"
        if MIDDLE_REFERENCE in middle:
            _, reference_total, _, reference_share = middle[MIDDLE_REFERENCE]
            text += f"; the C++ program's demux pass: {reference_share:.1%} of its {reference_total * 1000:.1f} ms"
        targets.append((target, text, share <= 0.10))
    else:
        targets.append((target, f"not measured: {skipped[MIDDLE_DERENOTES]}", None))
    return targets


def conversion_targets(conversion):
    """[(target, measured text, met: bool or None when not measured)] from the conversion run of
    the h264 clip: speed ratios, paired per round."""
    result = next(iter(conversion.values()))
    times, skipped = result["times"], result["skipped"]
    ours = times.get("derenotes to_ndarray rgb24")
    prefix = "6. rgb24 at 1080p H.264: derenotes to_ndarray"

    def speed(method, reference):  # how many times faster `method` is than `reference`, paired
        return paired_ratio(times[reference], times[method])

    targets = []
    for reference, floor, label in ((REFERENCE_RGB24, 0.9, "the C++ decode+swscale loop"),
                                    ("pyav AUTO to_ndarray rgb24", 1.3, "PyAV AUTO to_ndarray")):
        target = f"{prefix} >= {floor}x {label}"
        if not ours or reference not in times:
            missing = "derenotes to_ndarray rgb24" if not ours else reference
            targets.append((target, f"not measured: {skipped.get(missing, 'no times')}", None))
            continue
        ratio = speed("derenotes to_ndarray rgb24", reference)
        text = f"{ratio:.2f}x (paired; medians {statistics.median(times[reference]) / statistics.median(ours):.2f}x)"
        if "derenotes to_ndarray rgb24 out=" in times:
            text += f"; with out= {speed('derenotes to_ndarray rgb24 out=', reference):.2f}x"
        if reference == REFERENCE_RGB24:
            kept = speed(REFERENCE_RGB24, REFERENCE_AUTO)
            text += f"; the C++ loop's conversion keeps {kept:.2f}x of its decode speed"
        elif "pyav AUTO planes" in times:
            text += f"; PyAV keeps {speed(reference, 'pyav AUTO planes'):.2f}x of its decode-only speed"
        targets.append((target, text, ratio >= floor))
    return targets


def versions():
    found = {"FFmpeg libraries (derenotes, C++ loop)": " ".join(
        f"{lib} {subprocess.run(['pkg-config', '--modversion', lib], capture_output=True, text=True).stdout.strip()}"
        for lib in FFMPEG_LIBS)}
    probes = {"numpy": "numpy.__version__", "PyAV": "av.__version__ + ' (FFmpeg ' + av.ffmpeg_version_info + ')'",
              "OpenCV": "cv2.__version__", "torchcodec": "torchcodec.__version__", "decord": "decord.__version__"}
    for name, expression in probes.items():
        module = expression.split(".")[0]
        result = subprocess.run([sys.executable, "-c", f"import {module}; print({expression})"],
                                capture_output=True, text=True)
        found[name] = result.stdout.strip() if result.returncode == 0 else "not installed"
    return found


def machine():
    model = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in pathlib.Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return f"{os.cpu_count()} CPUs ({model}), {memory_kb / 2**20:.0f} GiB, Python {platform.python_version()}"


def write_report(out_dir, command, rounds, targets, decoding, memory, threads, random_access, conversion,
                 chart_name):
    """RESULTS.md: the targets, then each part measured (decoding and conversion are empty, memory,
    threads and random_access None, when that part did not run)."""
    lines = [
        "# Decode benchmarks", "",
        f"Made by {command} on {datetime.date.today().isoformat()}. "
        f"{rounds} interleaved rounds; every method in its own process, timed from opening the file "
        "to the last frame.", "",
        f"Machine: {machine()}.", "",
        "Versions: " + "; ".join(f"{k}: {v}" for k, v in versions().items()) + ".", "",
        "## Targets", "", "| target | measured | met |", "| --- | --- | --- |",
    ]
    for target, measured, met in targets:
        lines.append(f"| {target} | {measured} | {'n/a' if met is None else 'yes' if met else '**no**'} |")
    if decoding:
        lines += ["", "Decoding: ratios are to the C++ loop over libavcodec with the same threading (> 1 is faster); "
                  "the paired ratio is the median of per-round ratios, the figure to trust on this noisy machine."]
    for name, result in decoding.items():
        lines += ["", f"## {name} ({next(iter(result['frames'].values()), 0)} frames)", ""] + method_table(result)
    for name, result in conversion.items():
        lines += ["", f"## Conversion to rgb24: {name} ({next(iter(result['frames'].values()), 0)} frames)", "",
                  "Frames converted with `to_ndarray(\"rgb24\")` (derenotes: a new array per frame, or `out=` one "
                  "array reused; PyAV with thread_type AUTO), compared with the C++ loop that converts each frame "
                  "with sws_scale (bicubic) into one buffer; the decode-only methods compare with the C++ decode "
                  "loop. Both C++ loops use the same auto frame+slice threads as derenotes.", ""]
        lines += method_table(result)
    if random_access:
        lines += random_access_report(random_access)
    if memory and threads:
        lines += ["", "## Memory and threads", "", "```", json.dumps({"memory": memory, "threads": threads}, indent=2),
                  "```"]
    if chart_name:
        lines += ["", f"![paired ratio to the C loop]({chart_name})"]
    (out_dir / "RESULTS.md").write_text("\n".join(lines) + "\n")


def method_table(result):
    """The lines of one clip's table of methods (a measure_decoding result)."""
    lines = ["| method | median ms | frames/s | vs C loop (medians) | vs C loop (paired) | us/frame after the first |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for method, median, fps, ratio, paired in summarize(result):
        steady = statistics.median(result["steady_us"][method]) if method in result["steady_us"] else None
        lines.append(f"| {method} | {median * 1000:.1f} | {fps:.0f} | "
                     f"{'' if ratio is None else f'{ratio:.2f}x'} | {'' if paired is None else f'{paired:.2f}x'} | "
                     f"{'' if steady is None else f'{steady:.2f}'} |")
    if len(set(result["frames"].values())) > 1:
        lines.append(f"\nFrame counts differ: {result['frames']}")
    for method, reason in result["skipped"].items():
        lines.append(f"\n{method}: skipped, {reason}")
    return lines


def random_access_report(random_access):
    reference = random_access["runs"][RANDOM_REFERENCE]
    lines = [
        "", f"## Random access: {RANDOM_FRAMES} frames of {random_access['clip']} "
        f"({random_access['frame_count']} frames)", "",
        f"Frames {random_access['frame_numbers']} (seed {RANDOM_SEED}), the same for every method; derenotes makes "
        "each frame's `frame.arrays`. One untimed run first reads each clip into the page cache. Times are "
        "compared with the C++ seek+decode program's (bench/reference_random_access.cpp) in the same round: "
        "< 1 is faster. Y planes: each frame's Y plane (MD5) equals the C++ program's, in every round.", "",
        "| method | median ms | time vs C++ (medians) | time vs C++ (paired) | Y planes as C++ |",
        "| --- | ---: | ---: | ---: | --- |"]
    for method, median, ratio, paired, same in summarize_random_access(random_access):
        lines.append(f"| {method} | {median * 1000:.1f} | {ratio:.2f}x | {paired:.2f}x | "
                     f"{'n/a (RGB)' if same is None else 'yes' if same else '**no**'} |")
    index_ms = statistics.median(seconds_of(random_access, RANDOM_REFERENCE, "index_seconds")) * 1000
    lines.append(f"\nThe C++ program decodes {reference[0]['decoded']} frames with {reference[0]['seeks']} seeks; "
                 f"its demux-only pass for the frames' timestamps takes {index_ms:.1f} ms of its time (median).")
    for method, reason in random_access["skipped"].items():
        lines.append(f"\n{method}: skipped, {reason}")
    lines += ["", f"### Opening {random_access['long_clip']} and reading its middle frame", "",
              "The index: derenotes' first `len(reader)`, the C++ program's demux-only pass; the share is the "
              "median of per-run shares.", "",
              "| method | median ms | index ms | index share |", "| --- | ---: | ---: | ---: |"]
    for method, total, index, share in summarize_middle_frame(random_access):
        lines.append(f"| {method} | {total * 1000:.1f} | {index * 1000:.1f} | {share:.1%} |")
    middle = random_access["runs"].get(MIDDLE_REFERENCE)
    if middle:
        decoded = middle[0]["decoded"]
        lines.append(f"\nThe middle frame, {middle[0]['frame_count'] // 2} of {middle[0]['frame_count']}: "
                     f"the C++ program decodes {decoded} frame{'s' if decoded != 1 else ''} to get it.")
    return lines


def write_chart(path, decoding):
    try:
        import matplotlib
    except ImportError:
        print("chart skipped: matplotlib is not installed")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clips = list(decoding)
    methods = [m for m in DECODE_METHODS if any(m in decoding[c]["times"] for c in clips)]
    figure, axes = plt.subplots(figsize=(12, 5))
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        values = []
        for clip in clips:
            rows = {r[0]: r for r in summarize(decoding[clip])}
            values.append(rows[method][4] if method in rows and rows[method][4] else 0)
        axes.bar([c + i * width for c in range(len(clips))], values, width, label=method)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks([c + 0.4 - width / 2 for c in range(len(clips))], clips)
    axes.set_ylabel("speed vs C++ loop, same threading (paired median)")
    axes.legend(fontsize=7, ncol=3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny clips, one round: a smoke test")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=pathlib.Path, default=None, help="where RESULTS.md and the chart go")
    parser.add_argument("--only", choices=["random-access", "conversion"], help="only this part (needs --out, so "
                        "that a partial run does not replace bench/RESULTS.md)")
    parser.add_argument("--clip", action="append", help="only time these clips (names in bench/out, or paths) and "
                        "print the table; "
                        "no report, memory or thread checks")
    parser.add_argument("--method", action="append", help="only these methods (with --clip)")
    args = parser.parse_args()
    if args.only and not args.out:
        parser.error("--only needs --out")
    clips = QUICK_CLIPS if args.quick else FULL_CLIPS
    rounds = args.rounds or (1 if args.quick else 7)
    report_dir = args.out or BENCH
    work = BENCH / "out"
    report_dir.mkdir(parents=True, exist_ok=True)
    role = {name: pair[1 if args.quick else 0] for name, pair in ROLES.items()}

    if args.only:
        needed = (role["random"], role["long"]) if args.only == "random-access" else (role["conversion"],)
        clips = {name: made for name, made in clips.items() if name in needed}
    make_clips(clips, work)
    reference = build_reference("reference_decode", work)
    table_clips = [name for name, (_, in_table) in clips.items() if in_table]
    if args.clip:
        if args.method:
            DECODE_METHODS[:] = [m for m in DECODE_METHODS if m in args.method or m in (REFERENCE_1T, REFERENCE_AUTO)]
        for name, result in measure_decoding(args.clip, work, reference, rounds, DECODE_METHODS).items():
            print(f"\n{name}")
            for method, median, fps, ratio, paired in summarize(result):
                steady = result["steady_us"].get(method)
                steady_text = f"  steady {statistics.median(steady):8.2f} us/frame" if steady else ""
                print(f"  {method:28s} {median * 1000:9.1f} ms {fps:9.0f} fps  medians {ratio:.2f}x  "
                      f"paired {paired:.2f}x{steady_text}")
        return
    decoding, memory, threads, random_access, conversion, targets = {}, None, None, None, {}, []
    if not args.only:
        print(f"decoding {len(table_clips)} clips with {len(DECODE_METHODS)} methods", flush=True)
        decoding = measure_decoding(table_clips, work, reference, rounds, DECODE_METHODS)
        tiny, big = work / role["tiny"], work / role["h264"]
        memory = python_experiment("memory.py", tiny, 1000 if args.quick else 20000, big, 10 if args.quick else 100)
        threads = python_experiment("two_threads.py", big, reference, rounds)
        targets += decode_targets(decoding, memory, threads, args.quick)
    if args.only in (None, "random-access"):
        print(f"random access with {len(RANDOM_METHODS)} methods", flush=True)
        random_access = measure_random_access(work / role["random"], work / role["long"],
                                              build_reference("reference_random_access", work), rounds)
        targets += random_access_targets(random_access)
    if args.only in (None, "conversion"):
        print(f"conversion to rgb24 with {len(CONVERSION_METHODS)} methods", flush=True)
        conversion = measure_decoding([role["conversion"]], work, reference, rounds, CONVERSION_METHODS)
        targets += conversion_targets(conversion)

    chart = report_dir / "results.png"
    chart_written = bool(decoding) and write_chart(chart, decoding)
    command = f"`python bench/bench.py {' '.join(sys.argv[1:])}`" if sys.argv[1:] else \
        "`make bench` (`python bench/bench.py`)"
    write_report(report_dir, command, rounds, targets, decoding, memory, threads, random_access, conversion,
                 chart.name if chart_written else None)
    (report_dir / "results.json").write_text(json.dumps(
        {"decoding": decoding, "memory": memory, "threads": threads, "random_access": random_access,
         "conversion": conversion,
         "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets]}, indent=2) + "\n")

    print("\nTargets:")
    for target, measured, met in targets:
        print(f"  [{'n/a' if met is None else 'met' if met else 'MISSED'}] {target}: {measured}")
    print(f"\nwrote {report_dir / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
