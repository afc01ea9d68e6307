"""What samples/make_samples.py makes its clips with: the ffmpeg CLI runner, the lavfi sources
(test pictures, a tone per audio channel), and the byte patches that give a clip the flaw or the
metadata it is about (named by the clip tables, applied to the encoded file's bytes)."""
import json
import os
import pathlib
import re
import struct
import subprocess
import tempfile

# The ffmpeg and ffprobe programs that make clips (they need lavfi and libx264): the first on PATH,
# or those in the directory DERENOTES_CLIP_BIN names. `make test FFMPEG=X` points it at the
# system's, so that the tests' oracles alone run the FFmpeg under test.
CLIP_BIN = os.environ.get("DERENOTES_CLIP_BIN", "")
FFMPEG = os.path.join(CLIP_BIN, "ffmpeg")
FFPROBE = os.path.join(CLIP_BIN, "ffprobe")


def lavfi(size, rate, frames, source="testsrc2"):
    return ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}", "-frames:v", str(frames)]


# name: (ffmpeg arguments between the global options and the output file, expected properties)

# Audio: each channel a sine tone of its own frequency (so a swapped or dropped channel shows), at
# half scale (so no encoder clips it). Channels in FFmpeg's order of each layout (5.1: FL FR FC
# LFE BL BR; 5.1(side): FL FR FC LFE SL SR).
CHANNEL_TONES = [440, 660, 550, 60, 330, 770]


def tones(layout, sample_rate, seconds, first=0):
    """A lavfi input of `layout`'s channels, channel n a sine of CHANNEL_TONES[first + n] Hz."""
    count = {"mono": 1, "stereo": 2, "5.1": 6, "5.1(side)": 6}[layout]
    exprs = "|".join(f"0.5*sin({f}*2*PI*t)" for f in CHANNEL_TONES[first:first + count])
    return ["-f", "lavfi", "-i", f"aevalsrc=exprs='{exprs}':s={sample_rate}:d={seconds}:c={layout}"]

def patch_tkhd_matrix(path, matrix):
    """Writes (a, b, c, d) into the video track's tkhd matrix, with the translation that keeps the
    picture in place (x' = a x + c y + tx, y' = b x + d y + ty, as QuickTime and FFmpeg read it)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd")
    version = data[at + 4]
    offset = at + 4 + 4 + (32 if version == 1 else 20) + 16  # version and flags, times and ids, reserved...
    width, height = struct.unpack_from(">II", data, offset + 36)
    a, b, c, d = matrix
    tx = (width if a < 0 else 0) + (height if c < 0 else 0)  # 16.16, like the sizes
    ty = (width if b < 0 else 0) + (height if d < 0 else 0)
    struct.pack_into(">9i", data, offset, a << 16, b << 16, 0, c << 16, d << 16, 0, tx, ty, 1 << 30)
    path.write_bytes(bytes(data))

def packets(path, stream="v:0"):
    """ffprobe's packets of a stream (the first video stream by default): pos, size and flags."""
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", stream, "-show_entries",
                          "packet=pos,size,flags", "-of", "json", str(path)], check=True, capture_output=True).stdout
    return [dict(pos=int(p["pos"]), size=int(p["size"]), key=p["flags"].startswith("K"))
            for p in json.loads(out)["packets"]]


def junk(size):
    return bytes((i * 131 + 7) % 256 for i in range(size))


def strip_gov_headers(data, path):
    return re.sub(rb"\x00\x00\x01\xb3...(?=\x00\x00\x01\xb6)", b"", bytes(data), flags=re.S)


def drop_ctts(data, path):
    at = data.index(b"ctts")
    data[at:at + 4] = b"free"  # same size: the demuxer skips it
    return data


def break_packet_31(data, path):
    pos = packets(path)[31]["pos"]
    data[pos:pos + 4] = b"\xff\xff\xff\xff"  # the NAL unit's length
    return data


def break_a_reference_b_frame(data, path):
    """Breaks the NAL length of a B-frame that other B-frames refer to (b-pyramid), mid-GOP."""
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=pict_type,pkt_pos", "-of", "json", str(path)], check=True, capture_output=True).stdout
    b_frames = sorted(int(f["pkt_pos"]) for f in json.loads(out)["frames"] if f["pict_type"] == "B")
    middle = packets(path)[20]["pos"]
    for pos in b_frames:
        if pos > middle and (data[pos + 4] >> 5) & 3:  # the slice's nal_ref_idc: a reference
            data[pos:pos + 4] = b"\xff\xff\xff\xff"
            return data
    raise ValueError(f"{path}: no reference B-frame after packet 20")


def junk_in_audio_packet_22(data, path):
    pos = packets(path, "a:0")[22]["pos"] + 7  # after its ADTS header (7 bytes: no CRC)
    data[pos:pos + 32] = junk(32)
    return data


def append_stereo_22050_aac(data, path):
    second = path.with_name("second_part_" + path.name)
    run(tones("stereo", 22050, 1, first=1) + ["-c:a", "aac", "-b:a", "48k"], second)
    data += second.read_bytes()
    second.unlink()
    return data


def cut_last_packet(data, path):
    last = packets(path)[-1]
    return data[:last["pos"] + last["size"] // 2]


def junk_at_95_percent(data, path):
    at = len(data) * 38 // 40
    data[at:at + 16] = junk(16)
    return data


def hide_default_duration(data, path):
    at = data.index(b"\x23\xe3\x83")  # Matroska's DefaultDuration element ID
    data[at:at + 3] = b"\x23\xe3\x84"  # an ID the demuxer does not know, so skips
    return data


def junk_last_key_packet(data, path):
    key = [packet for packet in packets(path) if packet["key"]][-1]
    data[key["pos"]:key["pos"] + key["size"]] = junk(key["size"])
    return data


def cut_before_a_key_frame(data, path):
    with tempfile.TemporaryDirectory() as folder:
        cut = pathlib.Path(folder) / path.name
        run(["-i", str(path), "-ss", "0.2", "-copyinkf", "-c", "copy"], cut)
        return cut.read_bytes()


def flag_every_avi_packet_key(data, path):
    at = data.index(b"idx1")
    size = struct.unpack_from("<I", data, at + 4)[0]
    for entry in range(at + 8, at + 8 + size, 16):
        if data[entry + 2:entry + 4] in (b"dc", b"db"):  # video chunks
            flags = struct.unpack_from("<I", data, entry + 4)[0]
            struct.pack_into("<I", data, entry + 4, flags | 0x10)  # AVIIF_KEYFRAME
    return data

def run(args, out):
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-bitexact", *args,
           "-fflags", "+bitexact", "-flags:v", "+bitexact", str(out)]
    subprocess.run(cmd, check=True)


def flip_avi_rows_bottom_up(path):
    """Marks an AVI's uncompressed RGB as stored bottom-up, the DIB default.

    FFmpeg's muxer writes top-down DIBs (negative biHeight). A positive biHeight makes the
    demuxer and rawvideo decoder read the rows bottom-up and hand out frames whose linesize is
    negative, as with many AVI files from other tools. The picture comes out upside down, which
    is all the same for a test clip.
    """
    data = bytearray(path.read_bytes())
    header = data.index(b"strf") + 8  # BITMAPINFOHEADER: biSize, biWidth, biHeight, ...
    size, width, height = struct.unpack_from("<Iii", data, header)
    assert size == 40 and height < 0, (size, height)
    struct.pack_into("<i", data, header + 8, -height)
    path.write_bytes(bytes(data))


def run_to_pipe(args, out):
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-bitexact", *args,
           "-fflags", "+bitexact", "-flags:v", "+bitexact", "pipe:1"]
    with open(out, "wb") as file:
        subprocess.run(cmd, check=True, stdout=file)
