"""Arrays to images: PNG files through Pillow (8-bit gray, gray with alpha, RGB, RGBA; 16-bit
gray) and pypng (16-bit colour, which Pillow cannot write), planes made viewable, palettes as
swatches, and labelled strips and sheets."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

# The formats --format may write as PNG, each stored as the PNG holds it (component order R G B A;
# gray, gray with alpha), 8 and 16 bits; their big-endian kinds are written the same.
PNG_FORMATS = ("rgb24", "rgba", "gray", "ya8", "rgb48le", "rgba64le", "gray16le", "ya16le")
PNG_FORMATS_BIG_ENDIAN = ("rgb48be", "rgba64be", "gray16be", "ya16be")

BACKGROUND = (24, 24, 24)
TEXT = (235, 235, 235)
SWATCH_CELL = 16  # pixels per palette entry in a swatch (16 x 16 entries)


def _pillow() -> Any:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise SystemExit("derenotes: images need Pillow: pip install 'derenotes[cli]'")
    return Image, ImageDraw, ImageFont


def save_png(array: np.ndarray, path: str) -> None:
    """Writes a (H, W) gray, (H, W, 2) gray+alpha, (H, W, 3) RGB or (H, W, 4) RGBA array of uint8
    or uint16 as a PNG of that depth."""
    if array.dtype.itemsize > 1 and array.ndim == 3:
        _save_png_16bit_colour(array, path)
        return
    Image, _, _ = _pillow()
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))  # Pillow takes native order
    Image.fromarray(array).save(path)  # uint8: L, LA, RGB, RGBA by the channels; 2-D uint16: I;16


def _save_png_16bit_colour(array: np.ndarray, path: str) -> None:
    try:
        import png
    except ImportError:
        raise SystemExit("derenotes: 16-bit colour PNGs need pypng: pip install 'derenotes[cli]'")
    height, width, channels = array.shape
    writer = png.Writer(width, height, bitdepth=16, greyscale=channels <= 2, alpha=channels in (2, 4))
    with open(path, "wb") as file:
        writer.write(file, array.astype("=u2").reshape(height, width * channels))


def viewable_plane(array: np.ndarray, depth: Optional[int], shift: Optional[int]) -> np.ndarray:
    """A plane's array as a gray image: 8-bit items as they are; wider ones as 16 bits with the
    sample's most significant bit at bit 15 (10-bit 1023 -> 65472, p010's already there; words
    of several components, such as rgb565, as they are); floats 0..1 as 0..65535, clipped. A
    plane of several components per pixel (rgb24, nv12's UV) is shown as its rows of items:
    (H, W * components)."""
    if array.ndim == 3:
        array = array.reshape(array.shape[0], -1)
    if array.dtype.kind == "f":
        return np.round(np.clip(np.nan_to_num(array.astype(np.float64)), 0, 1) * 65535).astype(np.uint16)
    bits = array.dtype.itemsize * 8
    if bits == 8:
        return np.asarray(array, np.uint8)
    values = array.astype(np.uint64)
    top = depth + (shift or 0) if depth else bits  # the bit above the sample's highest
    if top > 16:
        values >>= top - 16
    else:
        values <<= 16 - top
    return (values & 0xFFFF).astype(np.uint16)


def palette_swatch(palette: np.ndarray) -> np.ndarray:
    """The (256, 4) palette plane (FFmpeg's native-endian ARGB words) as a 16 x 16 grid of
    SWATCH_CELL-pixel RGBA squares, entry i at row i // 16, column i % 16."""
    words = np.ascontiguousarray(palette).view(np.uint32).reshape(256)  # native order, as FFmpeg writes
    rgba = np.stack([(words >> 16) & 255, (words >> 8) & 255, words & 255, words >> 24], axis=-1).astype(np.uint8)
    grid = rgba.reshape(16, 16, 4)
    return np.repeat(np.repeat(grid, SWATCH_CELL, axis=0), SWATCH_CELL, axis=1)


def font(size: int) -> Any:
    _, _, ImageFont = _pillow()
    return ImageFont.load_default(size=size)


def to_rgb8(array: np.ndarray) -> np.ndarray:
    """Any image array this module writes, as 8-bit RGB for a strip (alpha over the background)."""
    if array.dtype != np.uint8:
        array = (array.astype(np.uint32) >> 8).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    channels = array.shape[-1]
    colour = array[..., :3] if channels >= 3 else np.repeat(array[..., :1], 3, axis=-1)
    if channels in (2, 4):
        alpha = array[..., -1:].astype(np.uint32)
        colour = (colour * alpha + np.array(BACKGROUND, np.uint32) * (255 - alpha) + 127) // 255
    return colour.astype(np.uint8)


def labelled_row(images: list[np.ndarray], labels: list[str], gap: int = 12, font_size: int = 15) -> Any:
    """The images side by side, top-aligned, each with its label above it, on the background;
    each takes the width of the wider of the two."""
    Image, ImageDraw, _ = _pillow()
    label_font = font(font_size)
    band = font_size + 8
    slots = [max(image.shape[1], int(label_font.getlength(label)) + 1) for image, label in zip(images, labels)]
    canvas = Image.new("RGB", (gap + sum(slot + gap for slot in slots),
                               band + max(image.shape[0] for image in images) + gap), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    left = gap
    for image, label, slot in zip(images, labels, slots):
        canvas.paste(Image.fromarray(to_rgb8(image)), (left, band))
        draw.text((left, 3), label, fill=TEXT, font=label_font)
        left += slot + gap
    return canvas
