"""derenotes sheet FILE -o sheet.png [--grid 4x4] [--width 1280]: a contact sheet.

Tiles of COLS x ROWS evenly spaced frames (the middle frame of each of that many equal runs of
the stream's frames), each as to_ndarray("rgb24", width=, height=, rotate=True) gives it, at the
display aspect; under each, its index and time; above them, a line about the file.
"""
from __future__ import annotations

import argparse

import numpy as np

import derenotes
from derenotes.cli import _images, _inputs, _progress

MARGIN = 8  # pixels around and between tiles
FONT_SIZE = 15
LABEL_BAND = FONT_SIZE + 8  # pixels under a tile for its label
HEADER_BAND = FONT_SIZE + 14


def tile_indices(frame_count: int, tiles: int) -> list[int]:
    """The middle frame of each of `tiles` equal runs of the frames, (2i + 1) * count // (2 * tiles);
    every frame when the stream has no more frames than tiles."""
    if frame_count <= tiles:
        return list(range(frame_count))
    return [(2 * i + 1) * frame_count // (2 * tiles) for i in range(tiles)]


def tile_size(reader: derenotes.VideoReader, columns: int, sheet_width: int, rotate: bool) -> tuple[int, int]:
    """A tile's width (the sheet's width less the margins, shared by the columns) and height (at
    the picture's display aspect, rounded to the nearest pixel)."""
    width = (sheet_width - MARGIN * (columns + 1)) // columns
    if width < 16:
        raise _inputs.UsageError(f"--width {sheet_width} leaves tiles of {width} pixels for {columns} columns")
    return _inputs.output_size(reader, (width, None), rotate)  # type: ignore[return-value]


def _header(reader: derenotes.VideoReader, count: int) -> str:
    duration = _inputs.time_label(reader.duration) if reader.duration is not None else "?"
    return (f"{reader.name}  |  {reader.width}x{reader.height} {reader.codec} {reader.pix_fmt}  |  "
            f"{count} frames, {duration}")


def run(args: argparse.Namespace) -> int:
    Image, ImageDraw, _ = _images._pillow()
    columns, rows = args.grid
    with derenotes.VideoReader(_inputs.source(args.file), rotate=args.rotate,
                               **_inputs.reader_options(args)) as reader:
        try:
            count = len(reader)
        except derenotes.NotSeekableError:
            raise _inputs.UsageError("a sheet needs the number of frames, which a source read once "
                                     "(stdin, a pipe) does not give")
        width, height = tile_size(reader, columns, args.width, args.rotate)
        indices = tile_indices(count, columns * rows)
        used_rows = -(-len(indices) // columns)
        sheet = Image.new("RGB", (args.width, HEADER_BAND + used_rows * (height + LABEL_BAND + MARGIN) + MARGIN),
                          _images.BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        font = _images.font(FONT_SIZE)
        draw.text((MARGIN, MARGIN), _header(reader, count), fill=_images.TEXT, font=font)
        with _progress.bar(len(indices), "frame", "sheet", args.quiet) as bar:
            for place, index in enumerate(indices):
                frame = reader[index]
                tile = frame.to_ndarray("rgb24", width=width, height=height)
                left, top = tile_origin(place, columns, width, height)
                sheet.paste(Image.fromarray(np.ascontiguousarray(tile)), (left, top))
                draw.text((left, top + height + 3), f"#{frame.index}  {_inputs.time_label(frame.time)}",
                          fill=_images.TEXT, font=font)
                bar.update()
    sheet.save(args.output)
    print(f"{args.output}: {len(indices)} of {count} frames, tiles of {width}x{height}")
    return 0


def tile_origin(place: int, columns: int, width: int, height: int) -> tuple[int, int]:
    """Where the tile at `place` (row by row) has its top left corner on the sheet."""
    row, column = divmod(place, columns)
    return MARGIN + column * (width + MARGIN), HEADER_BAND + row * (height + LABEL_BAND + MARGIN)
