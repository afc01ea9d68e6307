#!/usr/bin/env python3
"""Runs one clip-sampling method over a list of videos in this process and prints one JSON line:
for each video, NUM_CLIPS clips of FRAMES_PER_CLIP consecutive frames at regular indices (the
clips' first frames evenly spaced from 0 to len - FRAMES_PER_CLIP, both included, floored), each
frame converted to SIZE x SIZE rgb24, as each library's users would get them:

    python bench/run_sampling.py METHOD [--save DIR] [--wait] VIDEO...
        {"videos": N, "clips": C, "seconds": S, "per_video": [s, ...], "start": T0, "end": T1}

timed from opening the first video to the last video's array, closing each reader included;
start and end are CLOCK_MONOTONIC readings, comparable between processes (the two-process run).

--save DIR: after the clock, each video's array is saved as DIR/NNN.npy, (clips, frames, SIZE, SIZE,
3) uint8, and the frame times the method gives (derenotes: its clips' times; decord: its
get_frame_timestamp; torchcodec: pts_seconds; PyAV: the frames' pts) as DIR/NNN.times.npy, for
bench/sampling.py to compare with derenotes'.
--wait: after importing, print "ready" and wait for a line on standard input before starting the
clock, so that several processes start together.

Exit status 3 with {"skip": reason} when the method's library does not import here.
"""
import json
import pathlib
import sys
import time

from run_method import import_or_skip  # also puts the in-place build first on sys.path

NUM_CLIPS, FRAMES_PER_CLIP, SIZE = 4, 8, 224


def clip_starts(count):
    """The clips' first frames: evenly spaced from 0 to count - FRAMES_PER_CLIP, both included, in
    integers (floor of numpy.linspace without its rounding), as derenotes.samplers picks them; the
    other methods take these (torchcodec's sampler picks its own: its frame times are compared)."""
    last = count - FRAMES_PER_CLIP
    return [i * last // (NUM_CLIPS - 1) for i in range(NUM_CLIPS)]


def flat_indices(count):
    return [start + k for start in clip_starts(count) for k in range(FRAMES_PER_CLIP)]


def derenotes_method(threads):
    """derenotes' sampler on a reader of this thread count: one get_frames call for the frames of
    flat_indices (before the sampler was there, the same: reader.get_frames(flat_indices(len(reader)),
    "rgb24", width=SIZE, height=SIZE), reshaped); its clips' data is (clips, frames, SIZE, SIZE, 3)."""
    def run(path):
        import derenotes
        from derenotes import samplers

        with derenotes.VideoReader(path, threads=threads) as reader:
            clips = samplers.clips_at_regular_indices(reader, num_clips=NUM_CLIPS, frames_per_clip=FRAMES_PER_CLIP,
                                                      format="rgb24", width=SIZE, height=SIZE)
        return clips.data, clips

    return run


def derenotes_times(clips, array):
    return clips.times  # each frame's frame.time


def decord_method(threads):
    """decord's reader resizes every frame it decodes (its own FFmpeg filter graph), then
    get_batch: the frames of these indices, as an NDArray, made a NumPy array."""
    def run(path):
        import decord

        reader = decord.VideoReader(path, ctx=decord.cpu(0), width=SIZE, height=SIZE, num_threads=threads)
        batch = reader.get_batch(flat_indices(len(reader))).asnumpy()
        return batch.reshape(NUM_CLIPS, FRAMES_PER_CLIP, SIZE, SIZE, 3), reader

    return run


def decord_times(reader, array):
    import numpy as np

    pts = reader.get_frame_timestamp(flat_indices(len(reader)))[:, 0]  # (start, end) seconds per frame
    return np.asarray(pts, np.float64).reshape(array.shape[:2])


def torchcodec_method(threads):
    """torchcodec's own sampler on a decoder that resizes each frame as it decodes it (its decoder
    transform Resize: bilinear, antialiased), frames in its NHWC layout: a (clips, frames, SIZE,
    SIZE, 3) uint8 tensor. Its default thread count is 1; 0 lets FFmpeg pick."""
    def run(path):
        from torchcodec.decoders import VideoDecoder
        from torchcodec.samplers import clips_at_regular_indices
        from torchcodec.transforms import Resize

        decoder = VideoDecoder(path, dimension_order="NHWC", num_ffmpeg_threads=threads, seek_mode="exact",
                               transforms=[Resize((SIZE, SIZE))])
        batch = clips_at_regular_indices(decoder, num_clips=NUM_CLIPS, num_frames_per_clip=FRAMES_PER_CLIP)
        return batch.data, batch

    return run


def torchcodec_times(batch, array):
    return batch.pts_seconds.double().numpy()


def pyav_method(threads, skip_nonref=False):
    """PyAV has no frame index: for these constant-frame-rate MP4 clips frame i's pts is the stream's
    start_time + i frame durations, and the frame count the container's (stream.frames). Each clip:
    seek to the key frame before its first frame, decode forward, convert its frames to rgb24 at SIZE
    x SIZE with one VideoReformatter (swscale, PyAV's default interpolation, bilinear) kept for the
    video: frame.to_ndarray(width=, height=, format=) makes a new swscale context for every frame,
    which took 6.7 ms a 1080p frame here against 2.6 ms with the reformatter reused. Where the
    first frame out of a seek comes after the one wanted (a key frame whose decode timestamp is
    before the frame but its presentation after, or an open GOP's leading pictures), it seeks again
    before that key frame.

    skip_nonref: the decoder skips every non-reference frame (skip_frame = NONREF, set per packet)
    but the wanted ones: no other frame needs them, so the frames wanted are the same, with fewer
    frames decoded on the way from the key frame. Not something PyAV does by itself: the same FFmpeg
    mechanism derenotes' get_frames uses, in another library."""
    def run(path):
        import av
        import numpy as np
        from av.video.reformatter import VideoReformatter

        container = av.open(path)
        reformatter = VideoReformatter()
        stream = container.streams.video[0]
        if threads == 1:
            stream.thread_count = 1
        else:
            stream.thread_type = "AUTO"  # frame and slice threads, FFmpeg's count
        context = stream.codec_context
        step = round(1 / (stream.average_rate * stream.time_base))
        assert step * stream.average_rate * stream.time_base == 1, "not a whole number of ticks a frame"
        start_pts = stream.start_time or 0
        out = np.empty((NUM_CLIPS, FRAMES_PER_CLIP, SIZE, SIZE, 3), np.uint8)
        pts = np.empty((NUM_CLIPS, FRAMES_PER_CLIP), np.float64)
        for clip, first in enumerate(clip_starts(stream.frames)):
            wanted = start_pts + first * step
            seek_to = wanted
            while True:
                container.seek(seek_to, backward=True, any_frame=False, stream=stream)
                first_dts, got = None, 0
                for packet in container.demux(stream):
                    if first_dts is None and packet.dts is not None:
                        first_dts = packet.dts
                    if skip_nonref:
                        asked = packet.pts is not None and wanted <= packet.pts < wanted + FRAMES_PER_CLIP * step
                        context.skip_frame = "DEFAULT" if asked else "NONREF"
                    for frame in stream.decode(packet):
                        if got == 0 and frame.pts > wanted:
                            break  # too late: seek again, before this key frame
                        if frame.pts < wanted + got * step:
                            continue
                        if frame.pts != wanted + got * step:
                            raise RuntimeError(f"{path}: frame at pts {frame.pts}, expected {wanted + got * step}")
                        rgb = reformatter.reformat(frame, width=SIZE, height=SIZE, format="rgb24")
                        out[clip, got] = rgb.to_ndarray()
                        pts[clip, got] = float(frame.pts * stream.time_base)
                        got += 1
                        if got == FRAMES_PER_CLIP:
                            break
                    else:
                        continue
                    break
                if got == FRAMES_PER_CLIP:
                    break
                if got or first_dts is None or first_dts - 1 >= seek_to:
                    raise RuntimeError(f"{path}: clip {clip} from frame {first} not found")
                seek_to = first_dts - 1
        container.close()
        return out, pts

    return run


METHODS = {
    "derenotes": (derenotes_method(None), derenotes_times),  # threads=None: FFmpeg's count, in a main process
    "derenotes threads=1": (derenotes_method(1), derenotes_times),
    "decord": (decord_method(0), decord_times),  # 0: its own count (FFmpeg's auto)
    "decord threads=1": (decord_method(1), decord_times),
    "torchcodec": (torchcodec_method(0), torchcodec_times),
    "torchcodec threads=1": (torchcodec_method(1), torchcodec_times),
    "pyav AUTO": (pyav_method(0), lambda pts, array: pts),
    "pyav threads=1": (pyav_method(1), lambda pts, array: pts),
    "pyav AUTO, non-ref skipped": (pyav_method(0, skip_nonref=True), lambda pts, array: pts),
    "pyav threads=1, non-ref skipped": (pyav_method(1, skip_nonref=True), lambda pts, array: pts),
}

REQUIRES = {"derenotes": ["numpy", "derenotes", "derenotes.samplers"], "pyav": ["numpy", "av"],
            "decord": ["numpy", "decord"],
            "torchcodec": ["numpy", "torch", "torchcodec.decoders", "torchcodec.samplers", "torchcodec.transforms"]}


def main():
    arguments = sys.argv[1:]
    method = arguments.pop(0)
    save = wait = None
    while arguments and arguments[0].startswith("--"):
        option = arguments.pop(0)
        if option == "--save":
            save = pathlib.Path(arguments.pop(0))
        elif option == "--wait":
            wait = True
        else:
            raise SystemExit(f"unknown option {option}")
    import_or_skip(REQUIRES[method.split()[0]])
    run, times_of = METHODS[method]
    if wait:
        print("ready", flush=True)
        sys.stdin.readline()
    results, per_video = [], []
    start = time.perf_counter()
    started = time.clock_gettime(time.CLOCK_MONOTONIC)
    for path in arguments:
        video_start = time.perf_counter()
        array, keep = run(path)
        per_video.append(time.perf_counter() - video_start)
        results.append((array, keep) if save else None)
        del array, keep  # closes the reader, untimed, when this is its last reference
    seconds = time.perf_counter() - start
    ended = time.clock_gettime(time.CLOCK_MONOTONIC)
    if save:
        import numpy as np

        save.mkdir(parents=True, exist_ok=True)
        for number, (array, keep) in enumerate(results):
            array = np.asarray(array)
            np.save(save / f"{number:03d}.npy", array)
            np.save(save / f"{number:03d}.times.npy", times_of(keep, array))
    print(json.dumps({"videos": len(arguments), "clips": len(arguments) * NUM_CLIPS, "seconds": seconds,
                      "per_video": per_video, "start": started, "end": ended}))


if __name__ == "__main__":
    main()
