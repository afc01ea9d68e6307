"""Decodes a clip and shows what derenotes hands out: python -m derenotes.demo [CLIP] [FRAMES]

Prints the stream's properties, then for the first frames each plane's shape, dtype, strides
and a CRC-32 of its pixels, and whether the NumPy array's data pointer is the decoded frame's
own memory (plane.address, FFmpeg's AVFrame.data), i.e. that nothing was copied.
"""
import argparse
import time
import zlib

import numpy as np

import derenotes

DEFAULT_CLIP = "samples/h264_bframes.mp4"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m derenotes.demo", description=__doc__.split("\n\n")[1])
    parser.add_argument("clip", nargs="?", default=DEFAULT_CLIP, help="the clip to decode (default: %(default)s)")
    parser.add_argument("frames", nargs="?", type=int, default=3, help="how many frames to show (default: 3)")
    args = parser.parse_args(argv)
    clip, shown = args.clip, args.frames
    with derenotes.VideoReader(clip) as reader:
        print(f"{clip}")
        print(f"  codec={reader.codec} pix_fmt={reader.pix_fmt} size={reader.width}x{reader.height} "
              f"fps={reader.fps} time_base={reader.time_base} duration={reader.duration} "
              f"frame_count={reader.frame_count}")
        start = time.perf_counter()
        count = 0
        for frame in reader:
            count += 1
            if frame.index >= shown:
                for plane in frame.planes:  # the same per-frame work as shown frames, unprinted
                    np.asarray(plane)
                continue
            print(f"frame {frame.index}: pts={frame.pts} time={frame.time:.3f}s key={frame.key_frame} "
                  f"type={frame.pict_type} corrupt={frame.corrupt}")
            for plane in frame.planes:
                array = np.asarray(plane)
                crc = zlib.crc32(np.ascontiguousarray(array))
                zero_copy = array.__array_interface__["data"][0] == plane.address
                print(f"  plane {plane.index}: shape={array.shape} dtype={array.dtype} strides={array.strides} "
                      f"linesize={plane.linesize} crc32={crc:08x} zero-copy={zero_copy}")
        seconds = time.perf_counter() - start
    print(f"decoded {count} frames in {seconds:.3f} s ({count / seconds:.0f} frames/s, every plane as an array)")


if __name__ == "__main__":
    main()
