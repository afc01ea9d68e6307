"""derenotes frames and derenotes planes: frames, and each plane of a frame, as images in a
directory (docs/cli.md)."""
from __future__ import annotations

import argparse
import os
from typing import cast

import numpy as np

import derenotes
from derenotes.libs.image.video import _least_lossy_format
from derenotes.cli import _images, _inputs, _progress


def png_format(frame: derenotes.VideoFrame) -> str:
    """The format a PNG of the frame gets by default: of those PNG holds, the one FFmpeg deems
    loses least from the frame's own, as the ffmpeg CLI picks its PNG encoder's format."""
    return _least_lossy_format(frame.pix_fmt, list(_images.PNG_FORMATS))


def _write(frame: derenotes.VideoFrame, args: argparse.Namespace, width, height, directory: str) -> str:
    if args.npy:
        converted = frame.to_ndarray(args.format or frame.pix_fmt, width=width, height=height, rotate=args.rotate)
        if isinstance(converted, tuple):
            path = os.path.join(directory, _inputs.frame_name(frame, ".npz"))
            np.savez(path, *converted)  # arr_0, arr_1, ...: the planes in order
        else:
            path = os.path.join(directory, _inputs.frame_name(frame, ".npy"))
            np.save(path, converted)
        return path
    format = args.format or png_format(frame)
    if format not in _images.PNG_FORMATS + _images.PNG_FORMATS_BIG_ENDIAN:
        raise _inputs.UsageError(f"--format {format}: a PNG holds {', '.join(_images.PNG_FORMATS)} "
                                 "(and their big-endian kinds); write other formats with --npy")
    path = os.path.join(directory, _inputs.frame_name(frame, ".png"))
    image = frame.to_ndarray(format, width=width, height=height, rotate=args.rotate)
    _images.save_png(cast(np.ndarray, image), path)  # PNG formats have one plane: one array
    return path


def run_frames(args: argparse.Namespace) -> int:
    directory = _inputs.output_directory(args.output)
    options = _inputs.reader_options(args)
    with derenotes.VideoReader(_inputs.source(args.file), rotate=args.rotate, **options) as reader:
        width, height = _inputs.output_size(reader, args.size, args.rotate)
        frames = _inputs.pick_frames(reader, args.at, args.time)
        with _progress.bar(len(frames), "frame", "frames", args.quiet) as bar:
            for frame in frames:
                path = _write(frame, args, width, height, directory)
                bar.write(f"{path}: frame {frame.index} at {_inputs.time_label(frame.time)}", file=None)
                bar.update()
    return 0


# Planes by the pixel format's family, FFmpeg's component order (gbrp: G, B, R).
_PLANE_NAMES = (
    (("yuv", "yuvj", "yuva"), ("Y", "U", "V", "A")),
    (("gbr",), ("G", "B", "R", "A")),
    (("nv12", "nv16", "nv24", "nv20", "p0", "p2", "p4"), ("Y", "UV")),
    (("nv21", "nv42"), ("Y", "VU")),
    (("gray",), ("Y",)),
)


def plane_names(frame: derenotes.VideoFrame) -> list[str]:
    """A name per plane for labels and files: Y, U, V, A; G, B, R; Y, UV; the pixel format's name
    for a packed plane; "palette" for a palette; else "plane N"."""
    count = len(frame.planes)
    for prefixes, names in _PLANE_NAMES:
        if frame.pix_fmt.startswith(prefixes) and count <= len(names):
            return list(names[:count])
    if frame.pix_fmt == "pal8":
        return ["indices", "palette"]
    return [frame.pix_fmt] if count == 1 else [f"plane{index}" for index in range(count)]


def plane_image(plane) -> np.ndarray:
    """What planes writes for a plane: the palette as a swatch, else viewable_plane()."""
    if plane.frame.pix_fmt == "pal8" and plane.index == 1:  # the only format with a palette plane
        return _images.palette_swatch(np.asarray(plane))
    return _images.viewable_plane(np.asarray(plane), plane.depth, plane.shift)


def run_planes(args: argparse.Namespace) -> int:
    directory = _inputs.output_directory(args.output)
    with derenotes.VideoReader(_inputs.source(args.file), **_inputs.reader_options(args)) as reader:
        frames = _inputs.pick_frames(reader, args.at, args.time)
        for frame in frames:
            names = plane_names(frame)
            images, labels = [], []
            for plane, name in zip(frame.planes, names):
                image = plane_image(plane)
                path = os.path.join(directory, _inputs.frame_name(frame, f"_{name}.png"))
                _images.save_png(image, path)
                images.append(image)
                size = "256 colours" if name == "palette" else f"{plane.width}x{plane.height}"
                bits = f" {plane.depth}-bit" if plane.depth and plane.depth != 8 else ""
                labels.append(f"{name} {size}{bits}")
                samples = np.asarray(plane).dtype
                stored = f" ({plane.depth}-bit)" if plane.depth and plane.depth != samples.itemsize * 8 else ""
                print(f"{path}: {name}, {size}, {samples}{stored}")
            strip_path = os.path.join(directory, _inputs.frame_name(frame, "_planes.png"))
            _images.labelled_row(images, labels).save(strip_path)
            print(f"{strip_path}: the {len(images)} planes of frame {frame.index} ({frame.pix_fmt}) side by side")
    return 0
