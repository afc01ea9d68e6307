"""Shared fixtures and helpers: the sample clips, their manifest, the independent oracles (the
ffmpeg and ffprobe CLIs, and FFmpeg's own image functions from libavutil through ctypes), the
CLI that makes the tests' own clips, and the small helpers several test files use (a clip's first
frame, a frame's or a conversion's bytes as rawvideo lays them out, a child interpreter)."""
import ctypes
import ctypes.util
import functools
import http.server
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import textwrap
import threading

import numpy as np
import pytest

TESTS = pathlib.Path(__file__).resolve().parent
SAMPLES = pathlib.Path(__file__).resolve().parent.parent / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
DEMO_CLIP = SAMPLES / MANIFEST["demo"]

# Two ffmpeg CLIs. The oracles run the first on PATH: the FFmpeg under test, its own build's with
# `make test FFMPEG=X`. The clips tests make run CLIP_FFMPEG (lavfi sources, libx264), the
# system's then (samples/clip_tools.py).
sys.path.insert(0, str(SAMPLES))
from clip_tools import FFMPEG as CLIP_FFMPEG  # noqa: E402

# (clip name, video stream number) for every video stream of every sample.
CLIP_STREAMS = [(name, n) for name, clip in MANIFEST["clips"].items() for n in range(len(clip["streams"]))]


def clip_id(param):
    return f"{param[0]}:v:{param[1]}"


@functools.lru_cache(maxsize=None)
def ffprobe(path, stream, *entries):
    """ffprobe's JSON for video stream `stream` of `path` (-show_entries given as entries)."""
    args = ["ffprobe", "-v", "error", "-select_streams", f"v:{stream}", "-of", "json"]
    for entry in entries:
        args += ["-show_entries", entry] if "=" in entry else [entry]
    return json.loads(subprocess.run(args + [str(path)], check=True, capture_output=True).stdout)


@functools.lru_cache(maxsize=None)
def oracle_listing(option):
    """The names the FFmpeg under test lists with `ffmpeg -decoders` or `-demuxers` (a demuxer's line
    names several: "mov,mp4,m4a,...")."""
    lines = subprocess.run(["ffmpeg", "-hide_banner", option], check=True, capture_output=True, text=True).stdout
    lines = lines.splitlines()
    first = next(i for i, line in enumerate(lines) if set(line.strip()) == {"-"}) + 1  # after the legend
    return frozenset(name for line in lines[first:] if line.split()[1:] for name in line.split()[1].split(","))


def oracle_has_decoder(name):
    """Whether the FFmpeg under test (its CLI's build) has a decoder of that name: a release or
    build may lack one the system's has (SVG through librsvg; AV1 in FFmpeg 4, built without
    libdav1d)."""
    return name in oracle_listing("-decoders")


def oracle_has_demuxer(name):
    """Whether the FFmpeg under test has a demuxer of that name (DASH needs libxml2, which the
    releases built by tools/ffmpeg.sh leave out)."""
    return name in oracle_listing("-demuxers")


@functools.lru_cache(maxsize=None)
def hls_needs_its_extension():
    """Whether the FFmpeg under test reads an HLS playlist only under a playlist's extension (7.1 and
    later): its CLI asked to read one named upload.mp4."""
    with tempfile.TemporaryDirectory() as directory:
        playlist = pathlib.Path(directory) / "upload.mp4"
        playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1,\n{SAMPLES / 'h264.ts'}\n#EXT-X-ENDLIST\n")
        return subprocess.run(["ffprobe", "-v", "error", str(playlist)], capture_output=True).returncode != 0


@functools.lru_cache(maxsize=None)
def oracle_attachment_codec(mimetype):
    """The codec (None for none) the FFmpeg under test's Matroska demuxer gives an attachment of that
    MIME type: FFmpeg 4 gives text/plain the codec "text", later releases none. Its CLI attaches a
    file to a copy of a sample and its ffprobe says."""
    with tempfile.TemporaryDirectory() as directory:
        attached, path = pathlib.Path(directory) / "attached", pathlib.Path(directory) / "attached.mkv"
        attached.write_text("an attachment\n")
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(SAMPLES / "pcm_u8_mono.wav"), "-c", "copy",
                        "-attach", str(attached), "-metadata:s:t", f"mimetype={mimetype}", str(path)],
                       check=True, capture_output=True)
        probed = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "t", "-show_entries", "stream=codec_name",
                                 "-of", "json", str(path)], check=True, capture_output=True).stdout
        return json.loads(probed)["streams"][0].get("codec_name")


def as_the_oracle_demuxes(listed):
    """A stream the manifest lists (as the system's FFmpeg read it), with the codec the FFmpeg under
    test gives an attachment the manifest lists without one."""
    if listed["kind"] == "attachment" and "codec" in listed and listed["codec"] is None:
        return {**listed, "codec": oracle_attachment_codec(listed["mimetype"])}
    return listed


@functools.lru_cache(maxsize=None)
def passthrough():
    """The oracle CLI's options for every decoded frame as it is (no frame-rate conversion):
    -fps_mode passthrough, -vsync passthrough before FFmpeg 5.1."""
    options = subprocess.run(["ffmpeg", "-hide_banner", "-h", "long"], capture_output=True, text=True).stdout
    return ["-fps_mode", "passthrough"] if "-fps_mode" in options else ["-vsync", "passthrough"]


def missing_decoders(clip):
    """The decoders (the manifest's names) a sample needs that the FFmpeg under test lacks."""
    info = MANIFEST["clips"][clip]
    needed = {stream.get("codec") for stream in info["streams"] + info.get("audio_streams", [])} - {None}
    try:
        return sorted(name for name in needed if not oracle_has_decoder(name))
    except FileNotFoundError:  # no CLI at all: the tests that need one say so themselves
        return []


def pytest_collection_modifyitems(config, items):
    """A test of a sample whose decoder the FFmpeg under test lacks is skipped, saying which."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        for value in callspec.params.values() if callspec else ():
            for candidate in value if isinstance(value, tuple) else (value,):
                if isinstance(candidate, str) and candidate in MANIFEST["clips"]:
                    missing = missing_decoders(candidate)
                    if missing:
                        item.add_marker(pytest.mark.skip(reason=f"this FFmpeg has no {', '.join(missing)} decoder"))


@functools.lru_cache(maxsize=8)
def ffmpeg_raw_frames(path, stream, pix_fmt):
    """The ffmpeg CLI's decoded frames of a stream as raw bytes in its own pixel format: no
    rotation, no frame-rate conversion, no pixel conversion."""
    args = ["ffmpeg", "-v", "error", "-nostdin", "-noautorotate", "-i", str(path), "-map", f"0:v:{stream}",
            *passthrough(), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    return subprocess.run(args, check=True, capture_output=True).stdout


def loaded_library(stem):
    """The FFmpeg library (libavutil, libswscale, ...) derenotes loaded: the FFmpeg under test, a
    wheel's own copy included. The first mapped in this process once derenotes is imported, else
    the system's."""
    import derenotes.libs.image.video  # noqa: F401  (maps FFmpeg's libraries)

    maps = pathlib.Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split(maxsplit=5)[-1]
            if pathlib.Path(path).name.startswith(stem):
                return path
    return ctypes.util.find_library(stem[3:])


def loaded_libavutil():
    return loaded_library("libavutil")


@functools.lru_cache(maxsize=None)
def format_swscale_cannot_write():
    """A pixel format decoders make that the loaded swscale cannot write (sws_isSupportedOutput,
    swscale's own answer: NV16 until FFmpeg 7.1 learnt it), or None."""
    avutil, swscale = ctypes.CDLL(loaded_libavutil()), ctypes.CDLL(loaded_library("libswscale"))
    avutil.av_get_pix_fmt.argtypes = [ctypes.c_char_p]
    for name in ["nv16", "nv20le", "p210le", "p410le", "y210le", "y212le", "xv30le", "xv36le"]:
        value = avutil.av_get_pix_fmt(name.encode())
        if value >= 0 and not swscale.sws_isSupportedOutput(value):
            return name
    return None


class PixelFormatDescriptorStart(ctypes.Structure):
    """The first fields of libavutil's AVPixFmtDescriptor, the same from FFmpeg 4.3 to 9.0."""
    _fields_ = [("name", ctypes.c_char_p), ("nb_components", ctypes.c_uint8), ("log2_chroma_w", ctypes.c_uint8),
                ("log2_chroma_h", ctypes.c_uint8), ("flags", ctypes.c_uint64)]


# AV_PIX_FMT_FLAG_PSEUDOPAL, until FFmpeg 5.0: gray8, rgb8, bgr8 and the 4-bit byte formats, which
# av_image_fill_pointers and av_image_fill_plane_sizes gave a palette plane. The bit is unused since.
PIX_FMT_FLAG_PSEUDOPAL = 1 << 6


class LibAVUtil:
    """FFmpeg's own image layout functions, the oracle for plane sizes."""

    def __init__(self):
        name = loaded_libavutil()
        if name is None:
            pytest.skip("libavutil not found")
        self.lib = ctypes.CDLL(name)
        self.lib.av_get_pix_fmt.restype = ctypes.c_int
        self.lib.av_get_pix_fmt.argtypes = [ctypes.c_char_p]
        self.lib.av_image_fill_linesizes.argtypes = [ctypes.c_int * 4, ctypes.c_int, ctypes.c_int]
        # av_image_fill_plane_sizes came with FFmpeg 4.4; before it, av_image_fill_pointers' offsets
        # from a null base give the same sizes.
        self.has_plane_sizes = hasattr(self.lib, "av_image_fill_plane_sizes")
        if self.has_plane_sizes:
            self.lib.av_image_fill_plane_sizes.argtypes = [ctypes.c_size_t * 4, ctypes.c_int, ctypes.c_int,
                                                           ctypes.c_ssize_t * 4]
        self.lib.av_image_fill_pointers.argtypes = [ctypes.c_void_p * 4, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                                    ctypes.c_int * 4]
        self.lib.av_image_get_buffer_size.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.av_pix_fmt_desc_get.restype = ctypes.POINTER(PixelFormatDescriptorStart)
        self.lib.av_pix_fmt_desc_get.argtypes = [ctypes.c_int]

    def pix_fmt(self, name):
        value = self.lib.av_get_pix_fmt(name.encode())
        assert value >= 0, name
        return value

    def plane_sizes(self, pix_fmt, width, height):
        """[(linesize, plane bytes)] per plane, packed with no padding, as rawvideo stores them.
        FFmpeg gives a palette (PAL formats' last plane) no linesize: it is 256 entries of 4 bytes."""
        fmt = self.pix_fmt(pix_fmt)
        linesizes = (ctypes.c_int * 4)()
        assert self.lib.av_image_fill_linesizes(linesizes, fmt, width) >= 0
        sizes = (ctypes.c_size_t * 4)()
        if self.has_plane_sizes:
            assert self.lib.av_image_fill_plane_sizes(sizes, fmt, height, (ctypes.c_ssize_t * 4)(*linesizes)) >= 0
        else:
            data = (ctypes.c_void_p * 4)()
            total = self.lib.av_image_fill_pointers(data, fmt, height, None, linesizes)
            assert total >= 0
            offsets = [data[i] or 0 for i in range(4)]
            for i in range(4):
                if i == 0 or data[i]:
                    later = [o for o in offsets[i + 1:] if o]
                    sizes[i] = (later[0] if later else total) - offsets[i]
        if self.lib.av_pix_fmt_desc_get(fmt).contents.flags & PIX_FMT_FLAG_PSEUDOPAL:
            sizes[1] = 0  # a pseudo-palette: decoders of FFmpeg 4 fill it, rawvideo does not store it
        return [(linesizes[i] or 4, sizes[i]) for i in range(4) if sizes[i]]

    def frame_size(self, pix_fmt, width, height):
        return self.lib.av_image_get_buffer_size(self.pix_fmt(pix_fmt), width, height, 1)


def pytest_report_header():
    """Which derenotes and which FFmpeg libraries the run tests (the checkout's or an installed
    wheel's; the system's FFmpeg or another release's)."""
    try:
        import derenotes
        return [f"derenotes: {derenotes.__file__}", f"libavutil: {loaded_libavutil()}"]
    except ImportError as error:  # the extension is not built: test_docs and test_build still run
        return [f"derenotes: not importable ({error})"]


@pytest.fixture(scope="session")
def libavutil():
    return LibAVUtil()


def plane_rows(plane):
    """A plane's pixel rows, top to bottom, as an (height, row_bytes) uint8 array taken from its
    raw 1-D buffer (numpy.frombuffer): checks the raw export and the linesize together."""
    raw = np.frombuffer(plane, np.uint8)
    stride = abs(plane.linesize)
    rows = np.stack([raw[r * stride:r * stride + plane.row_bytes] for r in range(plane.height)])
    return rows[::-1] if plane.linesize < 0 else rows


def run_isolated(code, *args, timeout=120):
    """Runs code in a fresh interpreter (from the repository, with tests/ importable), so that a
    crash fails the test instead of the run."""
    prologue = f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
    return subprocess.run([sys.executable, "-c", prologue + textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=TESTS.parent)


def frame_bytes(frame):
    """A frame's pixels as the ffmpeg CLI's rawvideo output has them: each plane's rows, packed."""
    return b"".join(plane_rows(plane).tobytes() for plane in frame.planes)


def first_frame(path=DEMO_CLIP, **options):
    """The first frame of `path` (the demo clip by default), read by a VideoReader opened with
    `options` (stream=, threads=, ...) and closed again: the frame outlives its reader."""
    import derenotes  # here, so that the tests that need no build (test_docs, test_build) load conftest without it

    with derenotes.VideoReader(path, **options) as reader:
        return next(reader)


def rawvideo_bytes(result):
    """A to_ndarray result (one array, or a tuple of one per plane) as FFmpeg's rawvideo lays a
    frame out: planes one after another."""
    return b"".join(array.tobytes() for array in result) if isinstance(result, tuple) else result.tobytes()


@pytest.fixture
def serve():
    """serve(folder): the URL of a web server on this machine serving that folder (no range
    requests: files are read front to back)."""
    servers = []

    def start(folder):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def ffmpeg_error_lines(path, stream_spec):
    """What `ffmpeg -v error` prints decoding one stream, in order, each line as the derenotes
    logger has it: the context's name without its address ("[h264] text"), nor the "in#0/" that
    FFmpeg 7's CLI puts before a demuxer's name."""
    result = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", f"0:{stream_spec}",
                             "-f", "null", "-"], capture_output=True, text=True)
    return [re.sub(r"^\[(?:in#\d+/)?(.+?) @ 0x[0-9a-f]+\]", r"[\1]", line)
            for line in result.stderr.splitlines() if line.strip()]


def cut_matroska(folder):
    """A Matroska file cut mid-cluster: its demuxer drops the cut block and says so only in its log."""
    data = (SAMPLES / "h264_nocues.mkv").read_bytes()
    path = folder / "cut.mkv"
    path.write_bytes(data[:len(data) // 2])
    return path
