#!/usr/bin/env python3
"""Checks derenotes' promises of exactness on clips nobody here made, one clip per process.

    python bench/check_clips.py CLIP_OR_DIR... [--jobs N] [--timeout S] [--json FILE]

For every video stream of every clip: iteration gives the frames (its order and numbering are
what every other way of reading is checked against; a damaged end where it raises DecodeError ends
them); then, on fresh readers,
  - len(reader) and frame_times equal what iteration saw;
  - reader[i] for every i in random order, and again on a reader that had just jumped to the last
    frame, is iteration's frame i: same pixels (SHA-1 of every plane's rows), time and index;
  - get_frames() of a random selection, frame_at(time of every frame), frames_at();
  - to_ndarray("rgb24") of every frame, into an array filled with a marker first, equals the
    ffmpeg CLI's conversion (-filter_threads 1, -fps_mode passthrough), as does
    get_frames(format="rgb24").
Prints one line per stream (ok, or the first failures) and a summary; exit status 1 when any
stream fails. Decoding errors the clip itself has are no failure as long as every way of reading
agrees. The clips are not part of the project: this is how it is checked on them by hand.
"""
import argparse
import concurrent.futures
import hashlib
import json
import pathlib
import random
import subprocess
import sys
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = 0xA5
MAX_FAILURES = 5  # per check: the first few say enough


def plane_digest(frame):
    """SHA-1 of every plane's rows (padding dropped), as the CLI's rawvideo output holds them."""
    import numpy as np

    digest = hashlib.sha1()
    for plane in frame.planes:
        raw = np.frombuffer(plane, np.uint8)
        stride = abs(plane.linesize)
        for row in range(plane.height):
            digest.update(raw[row * stride:row * stride + plane.row_bytes].tobytes())
    return digest.hexdigest()


def describe(frame):
    return frame.index, frame.pts, frame.key_frame, plane_digest(frame)


class Failures:
    def __init__(self):
        self.lines = []

    def add(self, check, text):
        if sum(line.startswith(check + ":") for line in self.lines) < MAX_FAILURES:
            self.lines.append(f"{check}: {text}")

    def expect(self, check, condition, text):
        if not condition:
            self.add(check, text)
        return condition


def cli_rgb24(path, stream, width, height):
    """The CLI's rgb24 conversion of every frame, or None when it fails."""
    args = ["ffmpeg", "-v", "error", "-nostdin", "-filter_threads", "1", "-noautorotate", "-i", str(path),
            "-map", f"0:v:{stream}", "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    result = subprocess.run(args, capture_output=True, timeout=600)
    size = width * height * 3
    if not result.stdout or len(result.stdout) % size:
        return None
    return [result.stdout[i:i + size] for i in range(0, len(result.stdout), size)]


def check_stream(path, stream):
    import numpy as np

    import derenotes

    failures = Failures()
    frames, ending = [], None
    with derenotes.VideoReader(path, stream=stream) as reader:
        try:
            for frame in reader:
                frames.append((describe(frame), frame.time, (frame.width, frame.height)))
        except derenotes.DecodeError as error:  # a damaged end: iteration gives the frames before it
            ending = repr(error)
        decode_errors = reader.decode_errors
    seen = [described for described, _, _ in frames]
    times = [time for _, time, _ in frames]
    sizes = {size for _, _, size in frames}
    count = len(seen)
    rng = random.Random(str(path))
    for i, (index, *_rest) in enumerate(seen):
        failures.expect("iteration", index == i, f"frame {i} says index {index}")

    with derenotes.VideoReader(path, stream=stream) as reader:
        failures.expect("len", len(reader) == count, f"len(reader) = {len(reader)}, iteration gave {count}")
        failures.expect("frame_times", reader.frame_times == times, "differ from iteration's frame.time")
        order = list(range(count))
        rng.shuffle(order)
        for i in order:
            try:
                got = describe(reader[i])
            except Exception as error:  # noqa: BLE001 (any error is a finding)
                failures.add("reader[i]", f"reader[{i}] raised {error!r}")
                continue
            failures.expect("reader[i]", got == seen[i], f"reader[{i}] is {got[:3]}, iteration's {seen[i][:3]}")

    if count:
        with derenotes.VideoReader(path, stream=stream) as reader:
            for i in [count - 1] + sorted(rng.sample(range(count), min(count, 20))):
                try:
                    got = describe(reader[i])
                except Exception as error:  # noqa: BLE001
                    failures.add("backward", f"reader[{i}] raised {error!r}")
                    continue
                failures.expect("backward", got == seen[i], f"reader[{i}] is {got[:3]}, iteration's {seen[i][:3]}")
        with derenotes.VideoReader(path, stream=stream) as reader:
            asked = [rng.randrange(count) for _ in range(min(count, 30))]
            try:
                got = [describe(frame) for frame in reader.get_frames(asked)]
                for i, described in zip(asked, got):
                    failures.expect("get_frames", described == seen[i],
                                    f"frame {i} is {described[:3]}, iteration's {seen[i][:3]}")
            except Exception as error:  # noqa: BLE001
                failures.add("get_frames", f"raised {error!r}")
        with derenotes.VideoReader(path, stream=stream) as reader:
            for i, time in enumerate(times):
                if time is None or times.count(time) > 1:  # no one frame at that time
                    continue
                try:
                    got = reader.frame_at(time).index
                except Exception as error:  # noqa: BLE001
                    failures.add("frame_at", f"frame_at({time}) raised {error!r}")
                    continue
                failures.expect("frame_at", got == i, f"frame_at({time}) is frame {got}, not {i}")

    if count and len(sizes) == 1:
        width, height = next(iter(sizes))
        expected = cli_rgb24(path, stream, width, height)
        if expected is None or len(expected) != count:
            failures.add("rgb24", f"the CLI gave {None if expected is None else len(expected)} frames, not {count}")
        else:
            out = np.empty((height, width, 3), np.uint8)
            with derenotes.VideoReader(path, stream=stream) as reader:
                for i in range(count):
                    out.fill(MARKER)
                    reader[i].to_ndarray("rgb24", out=out)
                    failures.expect("rgb24", out.tobytes() == expected[i], f"frame {i} differs from the CLI's")
            with derenotes.VideoReader(path, stream=stream) as reader:
                asked = sorted(rng.sample(range(count), min(count, 10)))
                batch = reader.get_frames(asked, format="rgb24")
                for place, i in enumerate(asked):
                    failures.expect("get_frames rgb24", batch[place].tobytes() == expected[i],
                                    f"frame {i} differs from the CLI's")
    return {"frames": count, "decode_errors": decode_errors, "ending": ending, "sizes": len(sizes),
            "failures": failures.lines}


def check_clip(path):
    """Every video stream of one clip (runs in a child process)."""
    import derenotes

    derenotes.set_log_level(None)
    try:
        with derenotes.VideoReader(path) as reader:
            streams = reader.video_stream_count
    except Exception as error:  # noqa: BLE001
        return {"0": {"frames": 0, "failures": [f"open: {error!r}"]}}
    results = {}
    for stream in range(streams):
        try:
            results[str(stream)] = check_stream(path, stream)
        except Exception:  # noqa: BLE001
            results[str(stream)] = {"frames": 0, "failures": ["crashed: " + traceback.format_exc(limit=3)]}
    return results


def run_isolated(path, timeout):
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
            "import check_clips; print(json.dumps(check_clips.check_clip(sys.argv[3])))")
    try:
        result = subprocess.run([sys.executable, "-c", code, str(ROOT), str(ROOT / "bench"), str(path)],
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"0": {"frames": 0, "failures": [f"timed out after {timeout} s"]}}
    if result.returncode != 0:
        return {"0": {"frames": 0, "failures": [f"exit status {result.returncode}: {result.stderr[-500:]}"]}}
    return json.loads(result.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", nargs="+", type=pathlib.Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    paths = sorted(p for c in args.clips for p in (sorted(c.iterdir()) if c.is_dir() else [c]) if p.is_file())
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for path, result in zip(paths, pool.map(lambda p: run_isolated(p, args.timeout), paths)):
            results[path.name] = result
            for stream, outcome in result.items():
                status = "ok" if not outcome["failures"] else "FAIL"
                print(f"{status:4} {path.name}:v:{stream} ({outcome['frames']} frames)", flush=True)
                for line in outcome["failures"]:
                    print("       " + line.replace("\n", "\n       "))
    passed = sum(all(not o["failures"] for o in r.values()) for r in results.values())
    print(f"{passed} of {len(results)} clips pass every check")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
