#!/usr/bin/env python3
"""Decode benchmarks side by side: a C++ reference loop over libavcodec, derenotes, PyAV,
OpenCV, torchcodec and decord (where they install), plus derenotes' memory and GIL checks,
random access: frames by number against a C++ program that seeks and decodes forward,
conversion to rgb24 against the C++ loop converting with libswscale, and sources other than a
path (bytes, io.BytesIO, open(path, "rb")) against the same file by path, and audio: a 10-minute AAC and a
10-minute Opus stream into float32 arrays (channels, samples) against a C++ loop over libswresample, PyAV
and torchcodec, with read()'s memory, and clip sampling: 4 clips of 8 frames at 224x224 rgb24 from each of 20
short videos against decord, torchcodec and PyAV, with a worker's memory.

    python bench/bench.py            # full run: writes bench/RESULTS.md and bench/results.png
    python bench/bench.py --quick --out DIR   # seconds-long smoke run, writes into DIR
    python bench/bench.py --only random-access --out DIR   # that part alone, written into DIR
    python bench/bench.py --only conversion --out DIR      # likewise
    python bench/bench.py --only sources --out DIR         # likewise
    python bench/bench.py --only audio --out DIR           # likewise
    python bench/bench.py --only sampling --rounds 5 --out DIR   # likewise

Every method runs in its own process (bench/run_method.py, bench/random_access.py) and is timed from opening the file
to its last frame; the memory, thread and source experiments (bench/memory.py, two_threads.py, sources.py) each
run in one process of their own. Rounds are interleaved (A B C A B C ...) because this machine is noisy: the
medians and the paired ratios (per round, against the C++ loop with the same threading) from
one run are the figures that count.

The code: plan.py (methods, clips, roles, the C++ programs), measure.py (running and summarizing),
audio.py (the audio part: running, comparing the outputs, read()'s memory), sampling.py (the clip-sampling
part), report.py and report_sampling.py (targets, RESULTS.md, the chart); this file parses the command line
and runs the parts.
"""
import argparse
import json
import pathlib
import statistics
import sys

from audio import measure_audio
from measure import measure_decoding, measure_random_access, python_experiment, summarize
from plan import (AUDIO_CLIPS, AUDIO_METHODS, AUDIO_QUICK_CLIPS, AUDIO_ROLES, BENCH, CONVERSION_METHODS,
                  DECODE_METHODS, FULL_CLIPS, QUICK_CLIPS, RANDOM_METHODS, REFERENCE_1T, REFERENCE_AUTO, ROLES,
                  SAMPLING_CLIPS, SAMPLING_MEMORY_CLIP, SAMPLING_QUICK_CLIPS, build_reference, make_clips)
from report import (audio_targets, conversion_targets, decode_targets, random_access_targets, sources_targets,
                    write_chart, write_report)
from report_sampling import sampling_targets
from sampling import measure_sampling


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny clips, one round: a smoke test")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=pathlib.Path, default=None, help="where RESULTS.md and the chart go")
    parser.add_argument("--only", choices=["random-access", "conversion", "sources", "audio", "sampling"],
                        help="only this part (needs --out, so that a partial run does not replace bench/RESULTS.md)")
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
        needed = {"random-access": (role["random"], role["long"]), "conversion": (role["conversion"],),
                  "sources": (role["h264"],), "audio": (), "sampling": ()}[args.only]
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
    decoding, memory, threads, random_access, conversion, sources, audio, sampling = {}, None, None, None, {}, None, {}, None
    targets = []
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
    if args.only in (None, "sources"):
        print("sources: path, bytes, io.BytesIO, open(path, 'rb'); two BytesIO readers in two threads", flush=True)
        sources = python_experiment("sources.py", work / role["h264"], rounds)
        targets += sources_targets(sources)
    if args.only in (None, "audio"):
        audio_clips = {label: pair[1 if args.quick else 0] for label, pair in AUDIO_ROLES.items()}
        print(f"audio: {len(audio_clips)} clips into float32 (channels, samples) with {len(AUDIO_METHODS)} methods",
              flush=True)
        make_clips({n: c for n, c in (AUDIO_QUICK_CLIPS if args.quick else AUDIO_CLIPS).items()
                    if n in audio_clips.values()}, work)
        audio = measure_audio(audio_clips, work, build_reference("reference_audio", work), rounds)
        targets += audio_targets(audio)
    if args.only in (None, "sampling"):
        sampling_clips = SAMPLING_QUICK_CLIPS if args.quick else SAMPLING_CLIPS
        make_clips(sampling_clips, work)
        print(f"clip sampling: {len(sampling_clips)} videos, 4 clips of 8 frames each at 224x224 rgb24", flush=True)
        sampling = measure_sampling([work / name for name in sampling_clips], rounds,
                                    work / SAMPLING_MEMORY_CLIP[1 if args.quick else 0])
        targets += sampling_targets(sampling)

    chart = report_dir / "results.png"
    chart_written = bool(decoding) and write_chart(chart, decoding)
    command = f"`python bench/bench.py {' '.join(sys.argv[1:])}`" if sys.argv[1:] else \
        "`make bench` (`python bench/bench.py`)"
    write_report(report_dir, command, rounds, targets, decoding, memory, threads, random_access, conversion,
                 sources, audio, chart.name if chart_written else None, sampling)
    (report_dir / "results.json").write_text(json.dumps(
        {"decoding": decoding, "memory": memory, "threads": threads, "random_access": random_access,
         "conversion": conversion, "sources": sources, "audio": audio, "sampling": sampling,
         "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets]}, indent=2) + "\n")

    print("\nTargets:")
    for target, measured, met in targets:
        print(f"  [{'n/a' if met is None else 'met' if met else 'MISSED'}] {target}: {measured}")
    print(f"\nwrote {report_dir / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
