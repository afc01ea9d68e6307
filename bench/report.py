"""What bench/bench.py writes: the targets and whether each is met, bench/RESULTS.md (tables,
machine, versions) and the chart bench/results.png."""
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys

from audio import audio_speed, audio_times, summarize_audio
from measure import paired_ratio, seconds_of, summarize, summarize_middle_frame, summarize_random_access
from report_sampling import sampling_report
from plan import (AUDIO_DERENOTES, AUDIO_PYAV, AUDIO_RANGE_SECONDS, AUDIO_REFERENCE, AUDIO_TORCHCODEC, DECODE_METHODS,
                  FFMPEG_LIBS, MIDDLE_DERENOTES, MIDDLE_REFERENCE, RANDOM_FRAMES, RANDOM_REFERENCE, RANDOM_SEED,
                  REFERENCE_AUTO, REFERENCE_RGB24, ROLES)


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


def sources_targets(sources):
    """[(target, measured text, met)] from bench/sources.py: speeds paired per round with the same
    file by path; the file-object target holds for both file objects measured."""
    speed, medians = sources["speed_vs_path"], sources["speed_vs_path_medians"]

    def text(method):
        return f"{speed[method]:.2f}x (paired; medians {medians[method]:.2f}x)"

    two = sources["two_readers"]
    file_objects = ("open(path, 'rb')", "io.BytesIO")
    return [
        ("14. bytes >= 0.97x path", text("bytes"), speed["bytes"] >= 0.97),
        ("14. file object >= 0.95x path", "; ".join(f"{m} {text(m)}" for m in file_objects),
         all(speed[m] >= 0.95 for m in file_objects)),
        ("14. two BytesIO readers in two threads >= 1.8x",
         f"{two['speedup']:.2f}x (paired; two paths in the same rounds: {two['path_speedup']:.2f}x)",
         two["speedup"] >= 1.8),
    ]


def audio_targets(audio):
    """[(target, measured text, met)] from measure_audio: per clip, read()'s speed against the C++
    loop, PyAV and torchcodec (paired per round: the median of the other's time over read()'s);
    its output against the C++ loop's; its peak memory against its result."""
    targets = []
    for label in audio:
        minutes = f"{label} ({audio[label]['clip']})"
        for reference, floor, name in ((AUDIO_REFERENCE, 0.95, "the C++ decode+swresample loop"),
                                       (AUDIO_PYAV, 1.5, "PyAV to_ndarray + np.concatenate"),
                                       (AUDIO_TORCHCODEC, None, "torchcodec get_all_samples()")):
            target = f"15. {minutes}: derenotes read() " + (f">= {floor}x {name}" if floor else f"faster than {name}")
            ours, theirs = audio_times(audio, label, AUDIO_DERENOTES), audio_times(audio, label, reference)
            if not ours or not theirs:
                missing = reference if ours else AUDIO_DERENOTES
                targets.append((target, f"not measured: {audio[label]['skipped'].get(missing, 'no times')}", None))
                continue
            speed = audio_speed(audio, label, AUDIO_DERENOTES, reference)
            text = f"{speed:.2f}x (paired; medians {statistics.median(theirs) / statistics.median(ours):.2f}x)"
            targets.append((target, text, speed >= floor if floor else speed > 1))
    same = {label: audio[label]["outputs"].get(AUDIO_DERENOTES) for label in audio}
    text = "; ".join(f"{label}: " + ("not measured" if out is None else "equal" if out["equal"] and
                                     out.get("md5_as_cpp_every_run") else f"**differs** (max abs diff "
                                     f"{out['max_abs_diff']:.3g}, shape {out['shape']})") for label, out in same.items())
    targets.append(("15. derenotes read() equals the C++ loop's samples, same shape, in every run", text,
                    None if None in same.values() else all(o["equal"] and o.get("md5_as_cpp_every_run")
                                                            for o in same.values())))
    for what, name in (("range", f"{AUDIO_RANGE_SECONDS} s in the middle"), ("whole", "the whole file")):
        memory = {label: audio[label]["memory"][what] for label in audio}
        text = "; ".join(f"{label}: {m['again']['peak_growth_mb']:.1f} MB for {m['result_mb']:.1f} MB "
                         f"({m['again']['peak_ratio']:.2f}x; first call in the process "
                         f"{m['first']['peak_ratio']:.2f}x)" for label, m in memory.items())
        targets.append((f"15. read() of {name}: peak extra memory <= 1.2x its result", text,
                        all(m["again"]["peak_ratio"] <= 1.2 for m in memory.values())))
    return targets


def versions():
    found = {"FFmpeg libraries (derenotes, C++ loop)": " ".join(
        f"{lib} {subprocess.run(['pkg-config', '--modversion', lib], capture_output=True, text=True).stdout.strip()}"
        for lib in FFMPEG_LIBS)}
    probes = {"numpy": "numpy.__version__", "PyAV": "av.__version__ + ' (FFmpeg ' + av.ffmpeg_version_info + ')'",
              "OpenCV": "cv2.__version__", "torchcodec": "torchcodec.__version__ + ' (torch ' + __import__('torch').__version__ + ')'", "decord": "decord.__version__"}
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


def write_report(out_dir, command, rounds, targets, decoding, memory, threads, random_access, conversion, sources,
                 audio, chart_name, sampling=None):
    """RESULTS.md: the targets, then each part measured (decoding and conversion are empty, memory,
    threads, random_access, sources and sampling None, when that part did not run)."""
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
    if sources:
        lines += sources_report(sources)
    if audio:
        lines += audio_report(audio)
    if sampling:
        lines += sampling_report(sampling)
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


def sources_report(sources):
    """The lines of the section on sources other than a path (a bench/sources.py result)."""
    frames = next(iter(sources["frames"].values()), 0)
    lines = [
        "", f"## Sources: {sources['clip']} ({frames} frames, {sources['bytes'] / 1e6:.3g} MB)", "",
        "The same file decoded whole (default threads, `np.asarray` on each plane) by path, from its bytes in "
        "memory (read once before any timing), from an `io.BytesIO` and from `open(path, \"rb\")` (read through "
        "Python read()/seek() calls), all in one process (bench/sources.py), in interleaved rounds after an "
        "untimed one. Speed vs path: per round, the time by path over this source's (> 1 is faster); paired is "
        "the median of those.", "",
        "| source | median ms | frames/s | speed vs path (medians) | speed vs path (paired) |",
        "| --- | ---: | ---: | ---: | ---: |"]
    for method, times in sources["times"].items():
        median = statistics.median(times)
        vs_medians = sources["speed_vs_path_medians"].get(method)
        vs_paired = sources["speed_vs_path"].get(method)
        lines.append(f"| {method} | {median * 1000:.1f} | {sources['frames'][method] / median:.0f} | "
                     f"{'' if vs_medians is None else f'{vs_medians:.2f}x'} | "
                     f"{'' if vs_paired is None else f'{vs_paired:.2f}x'} |")
    if len(set(sources["frames"].values())) > 1:
        lines.append(f"\nFrame counts differ: {sources['frames']}")
    two = sources["two_readers"]
    median = two["median_s"]
    lines += ["", "Two readers (threads=1 each) in two Python threads against the same two one after the other, in "
              "the same rounds for two `io.BytesIO` objects and for two paths (the machine's ceiling at the time): "
              f"BytesIO {median['BytesIO sequential'] * 1000:.0f} ms one after the other, "
              f"{median['BytesIO threads'] * 1000:.0f} ms in two threads, {two['speedup']:.2f}x (paired); paths "
              f"{median['path sequential'] * 1000:.0f} ms and {median['path threads'] * 1000:.0f} ms, "
              f"{two['path_speedup']:.2f}x."]
    return lines


def audio_report(audio):
    """The lines of the audio section (a measure_audio result)."""
    lines = ["", "## Audio: whole streams into float32 arrays (channels, samples)", "",
             "Each clip's audio stream decoded to the end into one float32 array of shape (channels, samples), "
             "timed from opening the file to the finished array, every run in its own process "
             "(bench/run_audio.py; the C++ loop bench/reference_audio.cpp, which converts each frame with "
             "swr_convert to planar float, appends to one buffer per channel, then copies them into one array; "
             "its buffers grow as std::vector does, or, sized, reserve the samples the duration announces first). "
             "Speed vs C++: its time over the method's (> 1 is faster); paired is the median of per-round ratios. "
             "Output: compared with the C++ loop's array in an untimed first round; the MD5 of every timed run's "
             "array is compared too. `pyav decode only` makes no array: it shows how fast PyAV's own FFmpeg (see "
             "Versions) decodes the stream, against the system's FFmpeg that derenotes and the C++ loop use."]
    for label, result in audio.items():
        first = result["runs"][AUDIO_REFERENCE][0]
        seconds = first["samples"] / first["sample_rate"]
        lines += ["", f"### {label}: {result['clip']} ({first['channels']} channels, {first['samples']} samples, "
                  f"{seconds:.1f} s at {first['sample_rate']} Hz)", "",
                  "| method | median ms | x real time | speed vs C++ (medians) | speed vs C++ (paired) | output |",
                  "| --- | ---: | ---: | ---: | ---: | --- |"]
        for method, median, ratio, paired in summarize_audio(audio, label):
            lines.append(f"| {method} | {median * 1000:.1f} | {seconds / median:.0f} | {ratio:.2f}x | "
                         f"{'' if paired is None else f'{paired:.2f}x'} | {output_text(method, result['outputs'].get(method))} |")
        for method, reason in result["skipped"].items():
            lines.append(f"\n{method}: skipped, {reason}")
        peaks = [run["peak_rss_growth_mb"] for run in result["runs"][AUDIO_REFERENCE]]
        lines += ["", "read()'s memory, in a fresh process after opening the reader, the same call twice (the first "
                  "also pays what FFmpeg sets up once): the peak resident memory during the call over that just "
                  "before it, what stays resident while the result is kept and after it is dropped. The C++ loop's "
                  f"whole-file peak over its start: {statistics.median(peaks):.0f} MB.", "",
                  "| read() of | shape | result MB | call | peak growth MB | peak / result | resident with the result "
                  "| after del |", "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
        for what, memory in result["memory"].items():
            span = "the whole file" if what == "whole" else f"[{memory['start']:.1f}, {memory['stop']:.1f}) s"
            for call in ("first", "again"):
                m = memory[call]
                lines.append(f"| {span} | {tuple(memory['shape'])} | {memory['result_mb']:.1f} | {call} | "
                             f"{m['peak_growth_mb']:.1f} | {m['peak_ratio']:.2f}x | {m['held_mb']:.1f} | "
                             f"{m['after_del_mb']:.1f} |")
    return lines


def output_text(method, output):
    """How a method's array compares with the C++ loop's."""
    if output is None:
        return ""
    if method == AUDIO_REFERENCE:
        return "the reference"
    if output["equal"]:
        text = "equal, MD5 too in every run" if output.get("md5_as_cpp_every_run") else \
            "equal in the first round, **another MD5** in a later one"
    elif output["max_abs_diff"] is None:  # the sized C++ loop, compared by MD5 only
        text = "**another MD5**"
    else:
        text = f"max abs diff {output['max_abs_diff']:.3g}, shape {tuple(output['shape'])}"
    return text + ("" if output["c_contiguous"] else ", not C-contiguous") + \
        ("" if output["dtype"] == "float32" else f", {output['dtype']}")


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

