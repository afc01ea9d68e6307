"""derenotes frames, planes and sheet, run as a user runs them: the images they write, decoded by
Pillow (8-bit, 16-bit gray) or the ffmpeg CLI (16-bit colour), against the library's arrays of
the same frames, and the frames chosen against the frame counts ffprobe gives."""
import json
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import SAMPLES
from test_cli import cli

Image = pytest.importorskip("PIL.Image")


def read_png(path):
    """A PNG's pixels: Pillow's, except 16-bit colour, which Pillow reads as 8 bits: the ffmpeg
    CLI's then (rgb48le, rgba64le)."""
    with Image.open(path) as image:
        if image.mode not in ("RGB", "RGBA") or image.info.get("bitdepth", 8) == 8 and _png_bit_depth(path) == 8:
            return np.array(image)
        size, mode = image.size, image.mode
    pix_fmt, channels = ("rgba64le", 4) if mode == "RGBA" else ("rgb48le", 3)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<u2").reshape(size[1], size[0], channels)


def _png_bit_depth(path):
    with open(path, "rb") as file:
        return file.read(25)[24]  # IHDR's bit depth byte


def frame_count(name):
    probed = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                             "stream=nb_read_frames", "-of", "json", name], cwd=SAMPLES, capture_output=True,
                            text=True, check=True).stdout
    return int(json.loads(probed)["streams"][0]["nb_read_frames"])


def ffmpeg_png_format(name):
    """The pixel format the ffmpeg CLI's PNG encoder picks for a sample's frames."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(SAMPLES / name), "-frames:v", "1", "-f", "image2pipe",
                          "-c:v", "png", "-"], capture_output=True, check=True).stdout
    probed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=pix_fmt", "-of", "csv=p=0", "-"],
                            input=out, capture_output=True, check=True).stdout
    return probed.decode().strip()


# (sample, the PNG's mode and item type): 8- and 16-bit, gray and colour, with alpha.
DEFAULT_FORMATS = [("h264_bframes.mp4", "rgb24"), ("rgba_png.mov", "rgba"), ("gray_ffv1.mkv", "gray"),
                   ("gray16be_png.mkv", "gray16le"), ("rgb48be_png.mkv", "rgb48le"), ("hevc_10bit.mp4", "rgb48le"),
                   ("yuva420p_ffv1.mkv", "rgba"), ("pal8_png.mkv", "rgba"), ("odd_321x241_ffv1.mkv", "rgb24")]


@pytest.mark.parametrize("name, expected", DEFAULT_FORMATS)
def test_frames_writes_pngs_equal_to_the_frames_arrays(name, expected, tmp_path):
    count = frame_count(name)
    result = cli("frames", name, "--at", "0,50%,-1", "--time", "0.1", "-o", tmp_path, check=True)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        assert len(reader) == count
        wanted = [0, count // 2, count - 1, reader.frame_at(0.1).index]
        written = sorted(tmp_path.glob("*.png"))
        assert [path.name for path in written] == [f"frame_{index:06d}.png" for index in sorted(set(wanted))]
        for path, frame in zip(written, reader.get_frames(sorted(set(wanted)))):
            assert read_png(path).tolist() == frame.to_ndarray(expected, rotate=True).tolist(), path.name
    oracle = ffmpeg_png_format(name)  # the CLI's own choice, where it is one a PNG of ours can be
    if oracle not in ("pal8", "monob"):
        assert expected == oracle.replace("be", "le")
    assert len(result.stdout.splitlines()) == len(set(wanted))


def test_frames_formats_sizes_and_turns(tmp_path):
    cli("frames", "rotate90.mp4", "--at", "2", "--size", "x100", "--format", "rgba64le", "-o", tmp_path, check=True)
    cli("frames", "rotate90.mp4", "--at", "3", "--size", "50x", "--no-rotate", "--format", "ya8", "-o", tmp_path,
        check=True)
    with derenotes.VideoReader(SAMPLES / "rotate90.mp4") as reader:
        assert reader.rotation in (90, 270)
        turned = read_png(tmp_path / "frame_000002.png")
        height_shown, width_shown = reader.width, reader.height  # a quarter turn
        width = round(100 * width_shown / height_shown)
        assert turned.shape == (100, width, 4) and turned.dtype == np.uint16
        assert turned.tolist() == reader[2].to_ndarray("rgba64le", width=width, height=100, rotate=True).tolist()
        stored = read_png(tmp_path / "frame_000003.png")
        height = round(50 * reader.height / reader.width)
        assert stored.tolist() == reader[3].to_ndarray("ya8", width=50, height=height).tolist()


def test_frames_npy_holds_any_format(tmp_path):
    cli("frames", "hevc_10bit.mp4", "--at", "5", "--npy", "-o", tmp_path, check=True)
    cli("frames", "h264_bframes.mp4", "--at", "7", "--npy", "--format", "gbrp", "-o", tmp_path, check=True)
    with derenotes.VideoReader(SAMPLES / "hevc_10bit.mp4") as reader:
        planes = np.load(tmp_path / "frame_000005.npz")
        expected = reader[5].to_ndarray(reader.pix_fmt)
        assert [planes[f"arr_{i}"].tolist() for i in range(3)] == [plane.tolist() for plane in expected]
    with derenotes.VideoReader(SAMPLES / "h264_bframes.mp4") as reader:
        assert np.load(tmp_path / "frame_000007.npy").tolist() == reader[7].to_ndarray("gbrp").tolist()


def test_frames_from_stdin_are_the_same_frames(tmp_path):
    """From a pipe (read once, frames picked in one pass) and from a file (random access)."""
    clip = (SAMPLES / "h264_nocues.mkv").read_bytes()
    cli("frames", "-", "--at", "3,40", "--time", "1.0", "-o", tmp_path / "piped", pipe=clip, check=True)
    cli("frames", "h264_nocues.mkv", "--at", "3,40", "--time", "1.0", "-o", tmp_path / "seeking", check=True)
    piped = sorted(path.name for path in (tmp_path / "piped").iterdir())
    assert piped == sorted(path.name for path in (tmp_path / "seeking").iterdir()) and len(piped) == 3
    for name in piped:
        assert (tmp_path / "piped" / name).read_bytes() == (tmp_path / "seeking" / name).read_bytes()
    result = cli("frames", "-", "--at", "50%", "-o", tmp_path, pipe=clip)
    assert result.returncode == 2 and "number of frames" in result.stderr
    with open(SAMPLES / "h264_nocues.mkv", "rb") as file:  # stdin from a file seeks
        cli("frames", "-", "--at", "50%", "-o", tmp_path / "file", stdin=file, check=True)
    assert [path.name for path in (tmp_path / "file").iterdir()] == ["frame_000060.png"]


def test_frames_errors_are_one_line(tmp_path):
    result = cli("frames", "h264_bframes.mp4", "--at", "100", "-o", tmp_path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "100 out of range" in result.stderr
    result = cli("frames", "h264_bframes.mp4", "--at", "1", "--format", "bgr24", "-o", tmp_path)
    assert result.returncode == 2 and "--npy" in result.stderr
    result = cli("frames", "h264_bframes.mp4", "-o", tmp_path)
    assert result.returncode == 2 and "--at" in result.stderr


# -- planes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, names", [("hevc_10bit.mp4", ["Y", "U", "V"]), ("yuva420p_ffv1.mkv", ["Y", "U", "V", "A"]),
                                         ("nv12_raw.nut", ["Y", "UV"]), ("pal8_raw.avi", ["indices", "palette"]),
                                         ("rgb48be_png.mkv", ["rgb48be"]), ("gbrpf32le_exr.mkv", ["G", "B", "R"]),
                                         ("odd_321x241_ffv1.mkv", ["Y", "U", "V"])])
def test_planes_writes_each_plane_at_its_own_size(name, names, tmp_path):
    cli("planes", name, "--at", "1", "-o", tmp_path, check=True)
    with derenotes.VideoReader(SAMPLES / name) as reader:
        frame = reader[1]
        assert sorted(path.name for path in tmp_path.iterdir()) == \
            sorted([f"frame_000001_{plane}.png" for plane in names] + ["frame_000001_planes.png"])
        for plane, plane_name in zip(frame.planes, names):
            image = read_png(tmp_path / f"frame_000001_{plane_name}.png")
            assert image.tolist() == expected_plane_image(plane, np.asarray(plane), frame.pix_fmt).tolist(), plane_name
        with Image.open(tmp_path / "frame_000001_planes.png") as strip:
            assert strip.mode == "RGB"
            assert strip.width >= sum(plane.width for plane in frame.planes if plane_name != "palette")


def expected_plane_image(plane, array, pix_fmt):
    """docs/cli.md's rules, written out from the plane's bytes."""
    if pix_fmt == "pal8" and plane.index == 1:  # FFmpeg's palette: native-endian ARGB words
        argb = array.view("=u4").reshape(256)
        rgba = np.stack([argb >> 16 & 255, argb >> 8 & 255, argb & 255, argb >> 24], -1).astype(np.uint8)
        return np.kron(rgba.reshape(16, 16, 4), np.ones((16, 16, 1), np.uint8))
    rows = array.reshape(array.shape[0], -1)
    if rows.dtype.kind == "f":
        return np.round(np.clip(rows, 0, 1) * 65535).astype(np.uint16)
    if rows.dtype.itemsize == 1:
        return rows
    return (rows.astype(np.uint32) << (16 - plane.depth - plane.shift)).astype(np.uint16)


def test_ten_bit_planes_are_shifted_to_sixteen(tmp_path):
    cli("planes", "hevc_10bit.mp4", "--time", "0.2", "-o", tmp_path, check=True)
    [luma] = tmp_path.glob("*_Y.png")
    with derenotes.VideoReader(SAMPLES / "hevc_10bit.mp4") as reader:
        frame = reader.frame_at(0.2)
        y = np.asarray(frame.planes[0])
        assert frame.planes[0].depth == 10 and frame.planes[0].shift == 0 and y.max() < 1024
        assert (read_png(luma) == y.astype(np.uint16) * 64).all()


# -- sheet ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, grid, width", [("h264_bframes.mp4", "3x2", 640), ("rotate90.mp4", "4x4", 1000),
                                               ("h264_hlg_sar.mkv", "2x1", 500)])
def test_sheet_tiles_are_the_frames_resized(name, grid, width, tmp_path):
    columns, rows = map(int, grid.split("x"))
    sheet_path = tmp_path / "sheet.png"
    cli("sheet", name, "-o", sheet_path, "--grid", grid, "--width", width, check=True)
    sheet = read_png(sheet_path)
    assert sheet.shape[1] == width and sheet.shape[2] == 3
    from derenotes.cli import sheet as layout  # the margins, which the docs give in pixels

    count = frame_count(name)
    tiles = columns * rows  # docs/cli.md: the middle frame of each of `tiles` runs; all when fewer
    indices = list(range(count)) if count <= tiles else [(2 * i + 1) * count // (2 * tiles) for i in range(tiles)]
    assert len(indices) == min(count, tiles)
    with derenotes.VideoReader(SAMPLES / name, rotate=True) as reader:
        tile_width = (width - layout.MARGIN * (columns + 1)) // columns
        shown_width = reader.width * float(reader.sample_aspect_ratio or 1)
        shown = (reader.height, shown_width) if reader.rotation in (90, 270) else (shown_width, reader.height)
        tile_height = round(tile_width * shown[1] / shown[0])
        for place, frame in enumerate(reader.get_frames(indices)):
            left, top = layout.tile_origin(place, columns, tile_width, tile_height)
            tile = sheet[top:top + tile_height, left:left + tile_width]
            assert tile.tolist() == frame.to_ndarray("rgb24", width=tile_width, height=tile_height).tolist(), place
            label = sheet[top + tile_height + 2:top + tile_height + layout.LABEL_BAND, left:left + tile_width]
            assert (label != sheet[0, 0]).any()  # the label's text is there


def test_sheet_of_a_pipe_needs_the_frame_count(tmp_path):
    result = cli("sheet", "-", "-o", tmp_path / "s.png", pipe=(SAMPLES / "h264_nocues.mkv").read_bytes())
    assert result.returncode == 2 and "number of frames" in result.stderr
