"""Every byte of a conversion is written, and is the ffmpeg CLI's (-filter_threads 1: one slice):
source widths 1 to 64 at odd and even heights, into new arrays, into out= arrays filled with a
marker first, into windows of larger arrays and into get_frames batches; and Bayer sources, whose
converters treat slice edges specially."""
import subprocess

import numpy as np
import pytest

import derenotes
from conftest import CLIP_FFMPEG, SAMPLES, passthrough, rawvideo_bytes

FORMATS = ["rgb24", "bgr24", "rgba", "bgra", "rgb565le", "gray", "rgb48le", "yuv444p"]
SOURCES = ["yuv420p", "yuv422p", "yuvj422p"]
WIDTHS = range(1, 65)
HEIGHTS = [10, 9]  # swscale's x86 YUV-to-RGB code runs at even heights only
MARKER = 0xA5


def ffmpeg(*args, cli="ffmpeg"):
    """The oracle CLI (the FFmpeg under test) by default; CLIP_FFMPEG for making clips (lavfi)."""
    subprocess.run([cli, "-v", "error", "-nostdin", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """{(source, width, height): (clip, {format: the CLI's bytes})}: one rawvideo clip of two frames
    per size, cut from one test pattern, and its CLI conversions; two ffmpeg runs per source and
    height (64 outputs, then 64 inputs times the formats)."""
    folder = tmp_path_factory.mktemp("widths")
    made = {}
    for source in SOURCES:
        for height in HEIGHTS:
            cuts = ";".join(f"[c{w}]crop={w}:{height}:{w % 7}:0[o{w}]" for w in WIDTHS)
            split = f"[0]split={len(WIDTHS)}" + "".join(f"[c{w}]" for w in WIDTHS)
            outputs = []
            for w in WIDTHS:
                clip = folder / f"{source}_{w}x{height}.nut"
                outputs += ["-map", f"[o{w}]", "-frames:v", 2, "-c:v", "rawvideo", "-pix_fmt", source, clip]
            ffmpeg("-f", "lavfi", "-i", "testsrc=size=80x12:rate=5", "-filter_complex", f"{split};{cuts}", *outputs,
                   cli=CLIP_FFMPEG)
            inputs, conversions = [], []
            for i, w in enumerate(WIDTHS):
                clip = folder / f"{source}_{w}x{height}.nut"
                inputs += ["-i", clip]
                for pix_fmt in FORMATS:
                    conversions += ["-map", f"{i}:v", *passthrough(), "-pix_fmt", pix_fmt, "-f", "rawvideo",
                                    clip.with_suffix(f".{pix_fmt}")]
                made[source, w, height] = clip
            ffmpeg("-filter_threads", 1, *inputs, *conversions)
    return {key: (clip, {pix_fmt: clip.with_suffix(f".{pix_fmt}").read_bytes() for pix_fmt in FORMATS})
            for key, clip in made.items()}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("height", HEIGHTS)
def test_every_width_from_1_to_64_converts_as_the_cli_into_every_kind_of_destination(clips, source, height):
    failures = []
    for width in WIDTHS:
        clip, expected = clips[source, width, height]
        with derenotes.VideoReader(clip) as reader:
            frames = list(reader)
            for pix_fmt in FORMATS:
                cli = expected[pix_fmt]
                per_frame = len(cli) // len(frames)
                for i, frame in enumerate(frames):
                    want = cli[i * per_frame:(i + 1) * per_frame]
                    new = frame.to_ndarray(pix_fmt)
                    out = np.full_like(new, MARKER)
                    frame.to_ndarray(pix_fmt, out=out)
                    canvas = np.full((new.shape[0] + 3, new.shape[1] + 5) + new.shape[2:], MARKER, new.dtype)
                    window = canvas[1:1 + new.shape[0], 2:2 + new.shape[1]]
                    frame.to_ndarray(pix_fmt, out=window)
                    for kind, result in (("new", new), ("out=", out), ("window", window)):
                        if rawvideo_bytes(result) != want:
                            failures.append(f"{width}x{height} {pix_fmt} frame {i} {kind}")
                    window[...] = MARKER
                    if not (canvas == MARKER).all():
                        failures.append(f"{width}x{height} {pix_fmt} frame {i}: written outside the window")
                batch = reader.get_frames([1, 0, 1], format=pix_fmt)
                if rawvideo_bytes(batch[1]) + rawvideo_bytes(batch[0]) != cli or rawvideo_bytes(batch[2]) != cli[per_frame:]:
                    failures.append(f"{width}x{height} {pix_fmt} get_frames")
    assert not failures, failures[:20]


@pytest.mark.parametrize("pix_fmt", ["rgb24", "bgr24", "rgba", "gray", "rgb48le", "yuv444p", "yuv420p"])
def test_bayer_converts_whole_as_the_cli_with_one_slice(pix_fmt):
    path = SAMPLES / "bayer_gbrg8.nut"
    cli = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-filter_threads", "1", "-i", str(path),
                          *passthrough(), "-pix_fmt", pix_fmt, "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    with derenotes.VideoReader(path) as reader:
        frames = list(reader)
        per_frame = len(cli) // len(frames)
        for i, frame in enumerate(frames):
            want = cli[i * per_frame:(i + 1) * per_frame]
            new = frame.to_ndarray(pix_fmt)
            assert rawvideo_bytes(new) == want, i
            out = tuple(np.full_like(a, MARKER) for a in new) if isinstance(new, tuple) else np.full_like(new, MARKER)
            frame.to_ndarray(pix_fmt, out=out)
            assert rawvideo_bytes(out) == want, i
