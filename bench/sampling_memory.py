#!/usr/bin/env python3
"""The memory a worker takes while sampling clips: in this fresh process, METHOD's library imported
and the clip opened once and closed (the warm-up: the library's and FFmpeg's one-time set-up, the
file in the page cache), then the clips of bench/run_sampling.py (NUM_CLIPS x FRAMES_PER_CLIP frames
at SIZE x SIZE rgb24) sampled from CLIP by METHOD (a bench/run_sampling.py method: "derenotes
threads=1" is a worker's setting, "derenotes" threads=None, FFmpeg's own count in a main process)
CALLS times, each with the previous result dropped.

    python bench/sampling_memory.py CLIP METHOD             (prints JSON)
    python bench/sampling_memory.py CLIP METHOD decoder     (derenotes only: the decoder alone)

Per call: peak_growth_mb, the peak resident memory during the call (VmHWM, reset just before it
through /proc/self/clear_refs) over the resident memory just before it; held_mb, what stays
resident while the result is kept; traced_peak_mb, the peak of the allocations Python's tracemalloc
sees during the call (NumPy's arrays and Python objects; not FFmpeg's buffers, nor torch's
tensors); peak_ratio, peak_growth_mb over the result's nbytes. The first call also pays what is set
up once per process (the library's lazily imported parts, FFmpeg's tables); the later ones are a
worker's steady state.

"decoder": the resident growth of a derenotes reader that holds one decoded full-size frame (the
middle one, by reader[i]) over before it was opened: the decoder's frame pool, its threads'
buffers and the demuxer's, with no conversion and no result.

malloc's mmap threshold is fixed at its default, 128 KiB (mallopt), as in bench/audio_memory.py:
otherwise glibc raises it when the first large block is freed, and the next result comes from the
heap, whose top stays resident after it is freed, which would look like memory the call keeps.
"""
import ctypes
import json
import pathlib
import sys
import tracemalloc

M_MMAP_THRESHOLD = -3
ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, 128 * 1024)

from run_method import import_or_skip  # noqa: E402 (also puts the in-place build first on sys.path)
from run_sampling import METHODS, REQUIRES  # noqa: E402

CALLS = 3


def status_mb(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak():
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # VmHWM = VmRSS from here on


def warm_up(library, path):
    """Opens the clip with the library and closes it, nothing decoded."""
    if library == "derenotes":
        import derenotes

        with derenotes.VideoReader(path) as reader:
            len(reader)
    elif library == "decord":
        import decord

        len(decord.VideoReader(path))
    elif library == "torchcodec":
        from torchcodec.decoders import VideoDecoder

        len(VideoDecoder(path))
    else:
        import av

        with av.open(path) as container:
            container.streams.video[0].frames


def measured_call(run, path):
    import numpy as np

    tracemalloc.start()
    before = status_mb("VmRSS")
    reset_peak()
    clips, keep = run(path)
    del keep  # the reader or decoder, closed as it would be after the call
    peak, held = status_mb("VmHWM"), status_mb("VmRSS")
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    array = np.asarray(clips)  # a torch tensor's memory, not a copy
    result_mb = array.nbytes / 2**20
    call = {"peak_growth_mb": round(peak - before, 2), "peak_ratio": round((peak - before) / result_mb, 2),
            "held_mb": round(held - before, 2), "traced_peak_mb": round(traced_peak, 2)}
    return list(array.shape), result_mb, call


def decoder_footprint(path, threads):
    import derenotes

    before = status_mb("VmRSS")
    reset_peak()
    with derenotes.VideoReader(path, threads=threads) as reader:
        frame = reader[len(reader) // 2]
        frame_mb = sum(abs(plane.linesize) * plane.height for plane in frame.planes) / 2**20
        held, peak, used = status_mb("VmRSS"), status_mb("VmHWM"), reader.threads
        del frame
    return {"frame_mb": round(frame_mb, 2), "held_mb": round(held - before, 2),
            "peak_growth_mb": round(peak - before, 2), "reader_threads": used}


def main():
    path, method = sys.argv[1], sys.argv[2]
    library = method.split()[0]
    import_or_skip(REQUIRES[library])
    warm_up(library, path)
    if sys.argv[3:] == ["decoder"]:
        print(json.dumps(decoder_footprint(path, 1 if method.endswith("threads=1") else None)))
        return
    run = METHODS[method][0]
    calls = []
    for _ in range(CALLS):
        shape, result_mb, call = measured_call(run, path)
        calls.append(call)
    print(json.dumps({"clip": pathlib.Path(path).name, "method": method, "shape": shape,
                      "result_mb": round(result_mb, 3), "calls": calls}))


if __name__ == "__main__":
    main()
