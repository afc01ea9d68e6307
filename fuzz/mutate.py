"""Mutation fuzzing of the Python binding: damaged copies of the sample clips (truncated, bits
flipped, one file's header spliced onto another's body, ranges zeroed, duplicated or removed),
each decoded in a process of its own, given to the reader by path, as bytes or as a file object.

    python fuzz/mutate.py --seconds 60 --tree build/asan-tree

A worker process imports derenotes once and forks a child per input (a fork server): the child
decodes up to MAX_FRAMES frames, reads every plane through each export path, and exits. The
parent process never imports derenotes. With --tree, the workers use that tree's build of the
extension, which `make fuzz` builds with AddressSanitizer and UndefinedBehaviorSanitizer.

A child that dies of a signal, fails a sanitizer check, raises anything but a DerenotesError, or
runs longer than --timeout is a failure: its input is saved in tests/fuzz_regressions/ (which
tests/test_fuzz_regressions.py replays) and its output printed.

Input number i of seed s is the same on every run, however many run or in what order, so
`--seed s --first i --count 1` runs a failure's input again.
"""
import argparse
import collections
import hashlib
import io
import itertools
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REGRESSIONS = ROOT / "tests" / "fuzz_regressions"

# Small enough that a mutated header cannot make one input take seconds (the samples are at most
# 640x360); the same limits as fuzz/decoder_fuzzer.cpp.
MAX_PIXELS = 1024 * 1024
MAX_FRAMES = 50
# Containers keep their headers in the first few kilobytes, where damage changes the most: half
# the bit flips land there, and a spliced header is up to twice as long.
HEADER_BYTES = 4096
MAX_RANGE = 4096  # bytes zeroed, duplicated or removed at most

# The children's exit codes: DECODED, or a DerenotesError (what damaged input is meant to give),
# or an exception that should not happen. Sanitizers exit with 1, the interpreter with 1 or 120.
DECODED = 0
REJECTED = 40
UNEXPECTED_EXCEPTION = 41

# ---------------------------------------------------------------------------------------------
# Mutations: (rng, data, samples) -> bytes. None of them needs data to be non-empty.


def _range(rng, size):
    """A random [start, end) of up to MAX_RANGE bytes within size bytes."""
    start = rng.randrange(size + 1)
    return start, min(size, start + rng.randint(1, MAX_RANGE))


def truncate(rng, data, samples):
    return data[:rng.randrange(len(data) + 1)]


def flip_bits(rng, data, samples):
    out = bytearray(data)
    for _ in range(rng.randint(1, 16) if out else 0):
        within = HEADER_BYTES if rng.random() < 0.5 else len(out)
        out[rng.randrange(min(within, len(out)))] ^= 1 << rng.randrange(8)
    return bytes(out)


def splice_header(rng, data, samples):
    """The start of this file followed by another sample from some point on: a header that does
    not describe the data after it."""
    body = rng.choice(samples).data
    return data[:rng.randint(1, 2 * HEADER_BYTES)] + body[rng.randrange(len(body)):]


def zero_range(rng, data, samples):
    start, end = _range(rng, len(data))
    return data[:start] + bytes(end - start) + data[end:]


def duplicate_range(rng, data, samples):
    start, end = _range(rng, len(data))
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[start:end] + data[at:]


def remove_range(rng, data, samples):
    start, end = _range(rng, len(data))
    return data[:start] + data[end:]


MUTATIONS = {m.__name__: m for m in (truncate, flip_bits, splice_header, zero_range, duplicate_range, remove_range)}

Sample = collections.namedtuple("Sample", "name data")
Input = collections.namedtuple("Input", "index data suffix mutations")


def load_samples():
    clips = json.loads((SAMPLES / "manifest.json").read_text())["clips"]
    return [Sample(name, (SAMPLES / name).read_bytes()) for name in sorted(clips)]


def make_input(seed, index, samples):
    """Input `index` of `seed`: one to three mutations of one sample. Depends on nothing else."""
    rng = random.Random(f"{seed}:{index}")
    sample = rng.choice(samples)
    names = [rng.choice(sorted(MUTATIONS)) for _ in range(rng.choice((1, 1, 2, 3)))]
    data = sample.data
    for name in names:
        data = MUTATIONS[name](rng, data, samples)
    return Input(index, data, pathlib.PurePath(sample.name).suffix, names)


# ---------------------------------------------------------------------------------------------
# The worker (fork server) and its children


def source_of(path):
    """The input as users give a reader one, each way in turn (by the input's size, so that a
    saved input is given the same way again): its path, its bytes, or a file object."""
    data = pathlib.Path(path).read_bytes()
    return (path, data, io.BytesIO(data))[len(data) % 3]


def decode(path):
    """What a user does with a file: decode its video, then its audio."""
    import derenotes

    try:
        decode_video(path)
    finally:  # a file whose video is bad may still have audio
        try:
            decode_audio(path)
        except derenotes.DerenotesError:
            pass


def decode_audio(path):
    """Every audio plane as raw bytes and shaped; each frame converted, then a range read with
    resampling (whose times a hostile file's timestamps set)."""
    import derenotes

    with derenotes.AudioReader(source_of(path)) as reader:
        for frame in itertools.islice(reader, MAX_FRAMES):
            for plane in frame.planes:
                bytes(plane)
                memoryview(plane).tobytes()
            frame.to_ndarray("s16", channels=1)
        reader.read(0.05, 0.5, format="s16", sample_rate=16000, channels=1)


def decode_video(path):
    """Decode, read every plane as raw bytes, as the shaped view and as NumPy arrays (the copies
    make every byte of them be read); then random access."""
    import derenotes

    with derenotes.VideoReader(source_of(path), threads=1, max_pixels=MAX_PIXELS) as reader:
        for frame in itertools.islice(reader, MAX_FRAMES):
            for plane in frame.planes:
                bytes(plane)
                memoryview(plane).tobytes()
            for array in frame.arrays:
                array.tobytes()
            frame.to_ndarray()  # rgb24 through swscale
        count = len(reader)  # random access: the frame index and a few seeks
        for frame in reader.get_frames(sorted({0, count // 2, count - 1}) if count else []):
            bytes(frame.planes[0])


def run_child(path, timeout):
    """In the forked child: decodes `path` and exits with DECODED, REJECTED or
    UNEXPECTED_EXCEPTION; SIGALRM (default action: terminate) ends it after `timeout` s."""
    import derenotes

    signal.alarm(timeout)
    code = UNEXPECTED_EXCEPTION
    try:
        decode(path)
        code = DECODED
    except derenotes.DerenotesError:
        code = REJECTED
    except BaseException:
        traceback.print_exc()
    sys.stderr.flush()
    os._exit(code)  # no interpreter shutdown: the parent's state is not the child's to clean up


def serve(timeout):
    """The worker: reads input paths from stdin, one per line, and answers each with a line of
    JSON: the child's wait status and everything it wrote."""
    # Imported once, before forking, so that the children start with them loaded.
    import numpy  # noqa: F401 (VideoFrame.arrays imports it)

    import derenotes

    derenotes.set_log_level(None)
    with tempfile.TemporaryFile() as output:
        for line in sys.stdin:
            output.truncate(0)
            output.seek(0)  # the child writes through a duplicate: this offset is its offset too
            pid = os.fork()
            if pid == 0:
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
                run_child(line.rstrip("\n"), timeout)
            _, status = os.waitpid(pid, 0)
            output.seek(0)
            text = output.read().decode("utf-8", "replace")
            print(json.dumps({"status": status, "output": text}), flush=True)


def worker_environment(tree=None):
    """The environment for workers that import derenotes from `tree`, built with sanitizers, or
    without `tree` from this checkout, under whatever sanitizers the environment has already.

    With `tree`, the sanitizer runtimes are preloaded (Python is not instrumented), as in `make
    asan`. PYTHONMALLOC=malloc puts Python objects in memory that ASan guards, not in pymalloc's
    arenas, so that it sees the plane views' shapes and strides too. Leak checking is off:
    CPython leaves memory unfreed before the fork and at exit, which the leak check would report
    in every child, and it scans the whole Python heap, ten times longer than decoding a damaged
    clip takes. The libFuzzer target (fuzz/decoder_fuzzer.cpp) checks the C++ core for leaks, in
    a process without an interpreter."""
    if tree is None:
        return dict(os.environ, PYTHONPATH=str(ROOT))
    runtimes = [subprocess.run(["g++", f"-print-file-name={name}"], capture_output=True, text=True,
                               check=True).stdout.strip() for name in ("libasan.so", "libubsan.so")]
    return dict(os.environ, PYTHONPATH=str(tree), LD_PRELOAD=":".join(runtimes), PYTHONMALLOC="malloc",
                ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")


class Worker:
    """A fork server process, with a file of its own for the inputs."""

    def __init__(self, env, timeout, path):
        self.process = subprocess.Popen([sys.executable, __file__, "--worker", "--timeout", str(timeout)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                        cwd=ROOT)
        self.path = path  # where inputs are written, without the suffix

    def run(self, test_input):
        """Decodes one input in a child: returns (outcome, report), outcome one of "decoded",
        "rejected", "hang" or "crash", report how the child ended and what it wrote."""
        path = self.path + test_input.suffix  # FFmpeg's probing gives the file name's extension some weight
        with open(path, "wb") as file:
            file.write(test_input.data)
        self.process.stdin.write(path + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fuzz worker died (exit status {self.process.wait()})")
        answer = json.loads(line)
        return classify(answer["status"]), f"{how_it_ended(answer['status'])}\n{answer['output']}"

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def classify(status):
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == DECODED:
        return "decoded"
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == REJECTED:
        return "rejected"
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        return "hang"
    return "crash"


def how_it_ended(status):
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    code = os.WEXITSTATUS(status)
    return {DECODED: "decoded", REJECTED: "raised a DerenotesError",
            UNEXPECTED_EXCEPTION: "raised an unexpected exception"}.get(code, f"exit status {code} (a sanitizer's)")


# ---------------------------------------------------------------------------------------------
# The loop


def save_regression(test_input):
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    path = REGRESSIONS / (hashlib.sha256(test_input.data).hexdigest()[:16] + test_input.suffix)
    path.write_bytes(test_input.data)
    return path


def fuzz(seed, first, count, seconds, jobs, timeout, env):
    """Runs inputs first, first + 1, ... in `jobs` workers until `count` ran or `seconds` passed.
    Returns the counters and the failures [(input, outcome, report)]."""
    samples = load_samples()
    counts = collections.Counter()
    failures = []
    worker_errors = []  # a worker that died stops them all
    indices = itertools.count(first)
    end = first + count if count else float("inf")
    deadline = time.monotonic() + seconds if seconds else float("inf")
    lock = threading.Lock()

    def work(path):
        worker = Worker(env, timeout, path)
        try:
            while time.monotonic() < deadline and not worker_errors:
                with lock:
                    index = next(indices)
                if index >= end:
                    return
                test_input = make_input(seed, index, samples)
                outcome, report = worker.run(test_input)
                with lock:
                    counts["inputs"] += 1
                    counts[outcome] += 1
                    counts.update(f"mutation {name}" for name in test_input.mutations)
                    if outcome in ("crash", "hang"):
                        failures.append((test_input, outcome, report))
        except Exception as error:
            worker_errors.append(error)
        finally:
            worker.close()

    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as scratch:
        threads = [threading.Thread(target=work, args=(os.path.join(scratch, f"input{n}"),)) for n in range(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if worker_errors:
        raise worker_errors[0]
    return counts, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: no limit)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many inputs (0: no limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="number of the first input")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes")
    parser.add_argument("--timeout", type=int, default=20, help="seconds one input may take: longer is a hang")
    parser.add_argument("--tree", type=pathlib.Path,
                        help="import derenotes from this tree, built with sanitizers (e.g. build/asan-tree)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return serve(args.timeout)
    if not (args.seconds or args.count):
        parser.error("give --seconds, --count or both")

    env = worker_environment(args.tree.resolve() if args.tree else None)
    started = time.monotonic()
    counts, failures = fuzz(args.seed, args.first, args.count, args.seconds, args.jobs, args.timeout, env)
    elapsed = time.monotonic() - started

    for test_input, outcome, report in failures:
        path = save_regression(test_input)
        print(f"\n{outcome.upper()}: input {test_input.index} of seed {args.seed} "
              f"({' + '.join(test_input.mutations)}), saved as {path.relative_to(ROOT)}: {report}")
    print(f"\nmutate.py: {counts['inputs']} inputs in {elapsed:.0f} s ({counts['inputs'] / elapsed:.1f}/s, "
          f"jobs {args.jobs}{', sanitizers from ' + str(args.tree) if args.tree else ''}), seed {args.seed}")
    print(f"  decoded {counts['decoded']}, rejected with a DerenotesError {counts['rejected']}, "
          f"crashes {counts['crash']}, hangs {counts['hang']}")
    print("  mutations: " + ", ".join(f"{name} {counts['mutation ' + name]}" for name in MUTATIONS))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
