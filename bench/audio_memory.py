#!/usr/bin/env python3
"""The memory AudioReader.read() takes, against the size of what it returns: in this fresh
process, the reader opened, then read() of SECONDS in the middle of the clip ("range") or of all of
it ("whole"), with float32 samples (the default), twice: the first call also pays what FFmpeg sets
up once per process and decoder (its decoder's tables, the resampler, malloc's arenas), the second
shows what read() itself takes.

    python bench/audio_memory.py CLIP range|whole SECONDS     (prints JSON)

Per call: peak_growth_mb, the peak resident memory during read() (VmHWM, reset just before the call
through /proc/self/clear_refs) over the resident memory just before it; held_mb, what stays
resident while the result is kept; after_del_mb, what stays after the result is dropped (nothing,
if read() keeps nothing of its own); peak_ratio, peak_growth_mb over the result's nbytes.

malloc's mmap threshold is fixed at its default, 128 KiB (mallopt), so that every array of that
size or more is its own mapping, returned to the system when freed: otherwise glibc raises the
threshold when the first such block is freed, and the next result of a few MB comes from the heap,
whose top stays resident after it is freed, which would look like memory read() keeps.
"""
import ctypes
import json
import pathlib
import sys

M_MMAP_THRESHOLD = -3
ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, 128 * 1024)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # the in-place build
import derenotes  # noqa: E402


def status_mb(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measured_read(reader, start, stop):
    """One read() call: its result's shape and size, and what it took (module docstring)."""
    before = status_mb("VmRSS")
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # VmHWM = VmRSS from here on
    pcm = reader.read(start, stop)
    peak, held = status_mb("VmHWM"), status_mb("VmRSS")
    shape, result_mb = list(pcm.shape), pcm.nbytes / 2**20
    del pcm
    after = status_mb("VmRSS")
    return shape, result_mb, {"peak_growth_mb": round(peak - before, 3),
                              "peak_ratio": round((peak - before) / result_mb, 3),
                              "held_mb": round(held - before, 3), "after_del_mb": round(after - before, 3)}


def main():
    path, what, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with derenotes.AudioReader(path) as reader:
        start = stop = None
        if what == "range":
            start = float(max(0, round(reader.duration / 2 - seconds / 2)))  # a whole second: exact in samples
            stop = start + seconds
        shape, result_mb, first = measured_read(reader, start, stop)
        again = measured_read(reader, start, stop)[2]
    print(json.dumps({"what": what, "start": start, "stop": stop, "shape": shape, "result_mb": round(result_mb, 3),
                      "first": first, "again": again}))


if __name__ == "__main__":
    main()
