"""Files from strangers read the one source they were given and nothing else: playlists (HLS,
also under an .mp4 name), manifests (DASH with a file:// BaseURL) and concat lists that name
another file on the machine are refused with UnsafeInputError naming what they asked for, unless
VideoReader(allow_nested=True). Each upload is checked against a private video beside it, told
apart by its colour: with nested opens allowed the same upload does decode the private video, so
the refusal is what keeps it out."""
import struct
import subprocess
import zlib

import numpy as np
import pytest

import derenotes
from conftest import CLIP_FFMPEG, hls_needs_its_extension, oracle_has_decoder, oracle_has_demuxer, run_isolated

RED, BLUE = (254, 0, 0), (0, 0, 254)
# The child's peak resident memory (VmHWM: this process image's own; ru_maxrss would count the
# memory of the pytest process it was forked from).
PEAK_MIB = """
        def peak_mib():
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024
"""


def make_video(path, colour, *extra):
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={colour}:s=64x64:r=10:d=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", *extra, str(path)], check=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server's folders: a private video, another user's upload, and the uploads of an attacker."""
    root = tmp_path_factory.mktemp("server")
    (root / "victim").mkdir()
    (root / "uploads").mkdir()
    make_video(root / "victim" / "private.ts", "red")
    make_video(root / "uploads" / "other_user.mp4", "blue")
    make_video(root / "victim" / "private.mpd", "red", "-f", "dash")
    uploads = {
        "hls_named_mp4": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1,\n{root}/victim/private.ts\n#EXT-X-ENDLIST\n",
        "concat_named_mp4": "ffconcat version 1.0\nfile other_user.mp4\n",
        "dash_file_base_url": (root / "victim" / "private.mpd").read_text().replace(
            "<Period ", f"<BaseURL>file://{root}/victim/</BaseURL><Period ", 1),
    }
    for name, text in uploads.items():
        (root / "uploads" / f"{name}.mp4").write_text(text)
    return root


def top_left_rgb(path, **options):
    with derenotes.VideoReader(path, **options) as reader:
        return tuple(int(value) for value in next(iter(reader)).to_ndarray("rgb24")[0, 0])


def near(rgb, colour):
    return np.abs(np.array(rgb) - np.array(colour)).max() <= 3


@pytest.mark.parametrize("upload, colour, names", [
    ("hls_named_mp4", RED, "private.ts"),
    ("concat_named_mp4", BLUE, "other_user.mp4"),
    ("dash_file_base_url", RED, "dash"),
])
def test_an_upload_naming_another_file_is_refused(server, upload, colour, names):
    path = server / "uploads" / f"{upload}.mp4"
    if upload.startswith("dash") and not oracle_has_demuxer("dash"):
        pytest.skip("this FFmpeg has no DASH demuxer (built without libxml2)")
    if upload.startswith("hls") and hls_needs_its_extension():
        # FFmpeg 7.1 and later read HLS only from a playlist's name: the upload is no video at all,
        # whether nested opens are allowed or not, and nothing else is read.
        for allowed in (False, True):
            with pytest.raises(derenotes.DecodeError) as refused:
                derenotes.VideoReader(path, allow_nested=allowed)
            assert str(path) in str(refused.value) and not isinstance(refused.value, derenotes.UnsafeInputError)
        return
    with pytest.raises(derenotes.UnsafeInputError) as refused:
        derenotes.VideoReader(path)
    message = f"{refused.value} {refused.value.log}"
    assert str(path) in message and names in message and "nested opens are allowed" in message
    assert isinstance(refused.value, derenotes.DecodeError)
    # Allowed, the same file reads the other one: what the refusal keeps out.
    assert near(top_left_rgb(path, allow_nested=True), colour)


def test_the_reader_says_whether_nested_opens_are_allowed(server):
    with derenotes.VideoReader(server / "uploads" / "other_user.mp4") as reader:
        assert reader.allow_nested is False
        assert near(top_left_rgb(server / "uploads" / "other_user.mp4"), BLUE)  # plain files are untouched
    with derenotes.VideoReader(server / "uploads" / "other_user.mp4", allow_nested=True) as reader:
        assert reader.allow_nested is True


# Self-referencing lists, each in a process of its own with a small stack: a concat list that
# names itself recursed about 19,400 opens deep (a segfault with a 4 MiB stack), an HLS master
# playlist that names itself grew without end.
SELF_REFERENCING = {
    "self_concat.ffconcat": "ffconcat version 1.0\nfile self_concat.ffconcat\n",
    "self_master.m3u8": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nself_master.m3u8\n",
}


@pytest.mark.parametrize("name", sorted(SELF_REFERENCING))
def test_a_list_that_names_itself_is_refused_at_once(tmp_path, name):
    path = tmp_path / name
    path.write_text(SELF_REFERENCING[name])
    result = run_isolated(PEAK_MIB + """
        import sys, threading, derenotes
        threading.stack_size(2 * 1024 * 1024)
        outcome = []
        def read():
            try:
                derenotes.VideoReader(sys.argv[1])
                outcome.append("opened")
            except derenotes.UnsafeInputError as error:
                outcome.append("refused " + str(error))
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        print(outcome[0])
        print(peak_mib())
        """, path, timeout=60)
    assert result.returncode == 0, result.stderr
    outcome, peak_mib = result.stdout.splitlines()
    assert outcome.startswith("refused ") and name in outcome
    assert int(peak_mib) < 500


@pytest.fixture
def http_server(server, serve):
    """A web server on this machine, serving the uploads folder."""
    return serve(server / "uploads")


def test_strings_are_paths_unless_the_network_is_allowed(server, http_server, tmp_path, monkeypatch):
    url = f"{http_server}/other_user.mp4"
    with pytest.raises(FileNotFoundError) as missing:
        derenotes.VideoReader(url)
    assert missing.value.filename == url
    for name in ("pipe:0", "tcp://127.0.0.1:9/x.ts", "concat:a.mp4|b.mp4", f"subfile,,start,0,end,0,,:{server}/uploads/other_user.mp4"):
        with pytest.raises(FileNotFoundError):
            derenotes.VideoReader(name)
    # A relative path spelt like a URL is that file, not a fetch.
    monkeypatch.chdir(tmp_path)
    local = tmp_path / "http:" / url.split("//", 1)[1]
    local.parent.mkdir(parents=True)
    local.write_bytes((server / "victim" / "private.ts").read_bytes())
    assert near(top_left_rgb(url), RED)
    # Allowed, the same string is fetched over HTTP: what the default keeps out.
    with derenotes.VideoReader(url, allow_network=True) as reader:
        assert reader.allow_network is True
        assert near(tuple(int(v) for v in next(iter(reader)).to_ndarray("rgb24")[0, 0]), BLUE)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_png(width, height, rows_per_block=100):
    """A PNG of width x height black 16-bit RGB pixels, made in a second: deflate starts afresh
    after a full flush, so one block of rows compressed once stands for all of them (the
    checksum is the whole picture's)."""
    block = bytes(1 + 6 * width) * rows_per_block  # each row: filter type 0, then its pixels
    compressor = zlib.compressobj(9)
    start = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(height // rows_per_block):
        checksum = zlib.adler32(block, checksum)
    end = compressor.flush()[:-4] + struct.pack(">I", checksum)  # the last, empty block
    pixels = start[:2] + start[2:] * (height // rows_per_block) + end
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


PICTURE_BOMBS = {
    # 123 bytes of SVG declaring 16000x16000: FFmpeg's probe decoded it (a gigabyte) before the
    # reader could check its size.
    "bomb.svg": lambda: ('<svg xmlns="http://www.w3.org/2000/svg" width="16000" height="16000">'
                         '<rect width="16000" height="16000" fill="red"/></svg>').encode(),
    # 1.5 MB of 16-bit PNG, 16000x16000: 1.5 GB decoded (ffmpeg's CLI peaks at 1.5 GB on it).
    "bomb.png": lambda: black_png(16000, 16000),
}


@pytest.mark.parametrize("name", sorted(PICTURE_BOMBS))
def test_the_pixel_limit_holds_while_the_streams_are_probed(tmp_path, name):
    # The probe's decoders have the limit too, and the stream its decoder refused is refused by name.
    if name.endswith(".svg") and not oracle_has_decoder("librsvg"):
        pytest.skip("this FFmpeg has no SVG decoder (librsvg)")
    path = tmp_path / name
    path.write_bytes(PICTURE_BOMBS[name]())
    assert path.stat().st_size < 2_000_000
    result = run_isolated(PEAK_MIB + """
        import sys, derenotes
        try:
            with derenotes.VideoReader(sys.argv[1]) as reader:
                next(iter(reader))
            print("decoded")
        except derenotes.DecodeError as error:
            print(type(error).__name__, error)
        print(peak_mib())
        """, path)
    assert result.returncode == 0, result.stderr
    outcome, peak_mib = result.stdout.splitlines()
    assert outcome.startswith("LimitExceededError"), outcome
    assert "16000x16000" in outcome and "max_pixels = 67108864" in outcome and "raise max_pixels" in outcome, outcome
    assert int(peak_mib) < 300, f"{peak_mib} MiB"
    # With the limit raised, the same file is decoded: the limit is what refused it.
    result = run_isolated("""
        import sys, derenotes
        with derenotes.VideoReader(sys.argv[1], max_pixels=None) as reader:
            frame = next(iter(reader))
        print(frame.width, frame.height)
        """, path)
    assert result.stdout.split() == ["16000", "16000"], result.stderr


def test_files_of_too_many_streams_are_refused_before_they_are_probed(tmp_path):
    # Each stream FFmpeg probes costs a decoder: 999 copies of one tiny stream took 1.5 GB.
    small = tmp_path / "small.mkv"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=16x16:r=1:d=1", "-c:v", "ffv1",
                    str(small)], check=True)
    many = tmp_path / "streams300.mkv"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-y", "-i", str(small), *["-map", "0:v"] * 300, "-c", "copy", str(many)],
                   check=True)
    result = run_isolated(PEAK_MIB + """
        import sys, derenotes
        try:
            derenotes.VideoReader(sys.argv[1])
            print("opened")
        except derenotes.LimitExceededError as error:
            print("refused", error)
        print(peak_mib())
        """, many)
    assert result.returncode == 0, result.stderr
    outcome, peak_mib = result.stdout.splitlines()
    assert outcome.startswith("refused") and "300 streams" in outcome and "max_streams = 128" in outcome, outcome
    assert int(peak_mib) < 200, f"{peak_mib} MiB"
    with derenotes.VideoReader(many, max_streams=300) as reader:  # raised, the same file opens
        assert reader.video_stream_count == 300 and reader.max_streams == 300
    with pytest.raises(ValueError):
        derenotes.VideoReader(many, max_streams=0)
