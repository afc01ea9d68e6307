#!/usr/bin/env python3
"""Checks AudioReader's promises on clips nobody here made, by hand (the clips are not part of the
project). For every audio stream of every clip given:
  - the planes of every frame, in the frame's own format, equal the CLI's decoding (skipped where
    the stream changes format, which the CLI converts away);
  - read() equals `ffmpeg -i CLIP -map 0:a:N -f f32le -`, and read(format="s16",
    sample_rate=16000, channels=1) the CLI's -sample_fmt s16 -ar 16000 -ac 1;
  - read(a, b) of a range from 30% to 60% of the stream (times on a 40 ms grid) equals the CLI's -ss/-t after -i (-ss
    counted from the file's start time, as the CLI counts it), where the stream starts with the
    file.

    python bench/check_audio_clips.py CLIP_OR_DIR...

Prints one line per stream (ok, or what differs); exit status 1 when any stream fails.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build
import derenotes  # noqa: E402

RAW = {"flt": ("f32le", "<f4"), "s16": ("s16le", "<i2"), "s32": ("s32le", "<i4"), "u8": ("u8", "u1"),
       "dbl": ("f64le", "<f8"), "s64": ("s64le", "<i8")}


def cli(path, stream, channels, fmt="flt", options=()):
    raw, dtype = RAW[fmt]
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:a:{stream}", *options, "-f", raw,
                          "-"], check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype).reshape(-1, channels).T


def probe(path):
    out = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                     "stream=codec_type,start_time:format=start_time", "-of", "json", str(path)],
                                    capture_output=True, text=True).stdout)
    audio = [s for s in out.get("streams", []) if s["codec_type"] == "audio"]
    return audio, float(out.get("format", {}).get("start_time", 0) or 0)


def differs(ours, expected):
    if ours.shape != expected.shape:
        return f"shape {ours.shape} != {expected.shape}"
    if not np.array_equal(ours, expected):
        return f"{np.count_nonzero(ours != expected)} samples differ"
    return None


def check_stream(path, stream, file_start, stream_start):
    problems = []
    with derenotes.AudioReader(path, stream=stream) as reader:
        frames = list(reader)
        formats = {(f.format, f.sample_rate, f.channels) for f in frames}
        if len(formats) == 1:
            fmt, _, channels = formats.pop()
            planes = [np.asarray(p) for f in frames for p in f.planes]
            if fmt.endswith("p"):
                ours = np.concatenate([np.stack([np.asarray(p) for p in f.planes]) for f in frames], axis=1)
            else:
                ours = np.concatenate([np.asarray(f.planes[0]).T for f in frames], axis=1)
            problem = differs(ours, cli(path, stream, channels, fmt.rstrip("p")))
            if problem:
                problems.append(f"planes: {problem}")
            del planes
        whole = reader.read()
        problem = differs(whole, cli(path, stream, whole.shape[0]))
        if problem:
            problems.append(f"read(): {problem}")
        speech = reader.read(format="s16", sample_rate=16000, channels=1)
        problem = differs(speech, cli(path, stream, 1, "s16", ["-sample_fmt", "s16", "-ar", "16000", "-ac", "1"]))
        if problem:
            problems.append(f"read(s16, 16000, 1): {problem}")
        duration = whole.shape[1] / reader.sample_rate
        if abs(stream_start - file_start) < 1e-6 and duration > 0.1:
            # On a grid of 40 ms, whole samples at the usual rates: off it, the CLI rounds the
            # duration (-t) where read() rounds `stop`, a sample apart at times (docs/api.md).
            start = round((stream_start + 0.3 * duration) / 0.04) * 0.04
            stop = round((stream_start + 0.6 * duration) / 0.04) * 0.04
            ours = reader.read(start, stop)
            expected = cli(path, stream, whole.shape[0], "flt",
                           ["-ss", repr(round(start - file_start, 6)), "-t", repr(round(stop - start, 6))])
            problem = differs(ours, expected)
            if problem:
                problems.append(f"read({start}, {stop}): {problem}")
        return problems, len(frames), reader.codec


def main():
    paths = [p for arg in sys.argv[1:] for p in (sorted(pathlib.Path(arg).iterdir()) if pathlib.Path(arg).is_dir()
                                                  else [pathlib.Path(arg)])]
    failures = streams = 0
    for path in paths:
        audio, file_start = probe(path)
        for stream, info in enumerate(audio):
            streams += 1
            try:
                problems, count, codec = check_stream(path, stream, file_start, float(info.get("start_time", 0) or 0))
            except (derenotes.DerenotesError, subprocess.CalledProcessError) as error:
                problems, count, codec = [f"{type(error).__name__}: {error}"], 0, "?"
            failures += bool(problems)
            print(f"{path.name} a:{stream} {codec} {count} frames: {'; '.join(problems) or 'ok'}", flush=True)
    print(f"{streams} audio streams, {failures} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
