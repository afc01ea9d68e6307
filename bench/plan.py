"""What the benchmarks measure: the names of the decoding, conversion and random-access methods,
the clips (made with the ffmpeg CLI into bench/out/) and which clip serves which target, and the
C++ reference programs (bench/reference_*.cpp), built on demand. Used by bench/bench.py."""
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "samples"))
from clip_tools import FFMPEG as CLIP_FFMPEG  # noqa: E402  (the CLI that makes clips: libx264, lavfi)
FFMPEG_LIBS = ["libavformat", "libavcodec", "libavutil", "libswscale", "libswresample"]

REFERENCE_1T, REFERENCE_AUTO = "C++ loop threads=1", "C++ loop auto threads"
FFMPEG_CLI = "ffmpeg CLI -threads 0 -f null"
DECODE_METHODS = [
    REFERENCE_1T, REFERENCE_AUTO, FFMPEG_CLI,
    "derenotes threads=1 np.asarray", "derenotes decode-only", "derenotes np.asarray", "derenotes frame.arrays",
    "pyav default planes", "pyav AUTO planes", "pyav AUTO to_ndarray",
    "opencv read", "torchcodec", "decord",
]
# Conversion to rgb24 on the clip of the "conversion" role; the decode-only methods are there to show what the
# conversion adds to each.
REFERENCE_RGB24 = "C++ loop auto threads + swscale rgb24"
CONVERSION_METHODS = [REFERENCE_AUTO, REFERENCE_RGB24, "derenotes decode-only", "derenotes to_ndarray rgb24",
                      "derenotes to_ndarray rgb24 out=", "pyav AUTO planes", "pyav AUTO to_ndarray rgb24"]
RANDOM_REFERENCE = "C++ seek+decode"
RANDOM_METHODS = [RANDOM_REFERENCE, "derenotes get_frames", "derenotes reader[i]", "pyav seek+decode", "decord",
                  "torchcodec exact"]
MIDDLE_REFERENCE, MIDDLE_DERENOTES = "C++ open + middle frame", "derenotes open + middle frame"
RANDOM_FRAMES, RANDOM_SEED = 10, 0
# Audio: a whole stream into one float32 array of shape (channels, samples), by bench/run_audio.py's
# methods and the C++ loop bench/reference_audio.cpp; the range read() in the memory check.
# The targets' C++ loop lets its buffers grow; the sized one reserves them from the stream's duration first.
AUDIO_REFERENCE, AUDIO_DERENOTES = "C++ decode+swresample loop", "derenotes read()"
AUDIO_REFERENCE_SIZED = "C++ loop, buffers sized from the duration"
AUDIO_PYAV, AUDIO_TORCHCODEC = "pyav to_ndarray + np.concatenate", "torchcodec get_all_samples()"
AUDIO_METHODS = [AUDIO_REFERENCE, AUDIO_REFERENCE_SIZED, AUDIO_DERENOTES, "derenotes frames + np.concatenate",
                 AUDIO_PYAV, "pyav decode only", AUDIO_TORCHCODEC]
AUDIO_RANGE_SECONDS = 10


def lavfi(size, rate, frames, source="testsrc2"):
    return ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}", "-frames:v", str(frames)]


def looped(clip, copies):
    """`copies` copies of a clip (in the same directory) one after the other, without encoding
    again: the demuxer offsets each copy's timestamps, so they stay monotonic."""
    return ["-stream_loop", str(copies - 1), "-i", clip, "-map", "0:v", "-c", "copy"]


H264 = ["-c:v", "libx264", "-preset", "medium", "-crf", "23", "-bf", "3", "-pix_fmt", "yuv420p"]

# name: (ffmpeg arguments, used in the decode table)
FULL_CLIPS = {
    "h264_1080p.mp4": (lavfi("1920x1080", 25, 200) + H264, True),
    "hevc_1080p.mp4": (lavfi("1920x1080", 25, 200) + ["-c:v", "libx265", "-preset", "fast",
                                                      "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"], True),
    "vp9_1080p.webm": (lavfi("1920x1080", 25, 200) + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                                                      "-row-mt", "1", "-b:v", "4M"], True),
    "h264_240p.mp4": (lavfi("426x240", 25, 200) + H264, True),
    "raw_64x64.nut": (lavfi("64x64", 25, 5000) + ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"], True),
    "mjpeg_64x64.avi": (lavfi("64x64", 25, 5000) + ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"], True),
    # Random access: 60 s, a key frame every 250 frames (or at a scene cut); and 10 minutes of it
    # for the cost of the index, looped rather than encoded, which would take an hour here.
    "h264_1080p_60s_gop250.mp4": (lavfi("1920x1080", 25, 1500) + ["-c:v", "libx264", "-preset", "veryfast",
                                                                  "-g", "250", "-bf", "3", "-pix_fmt", "yuv420p"], False),
    "h264_1080p_600s_gop250.mp4": (looped("h264_1080p_60s_gop250.mp4", 10), False),
}
QUICK_CLIPS = {
    "h264_240p_quick.mp4": (lavfi("426x240", 25, 25) + H264, True),
    "raw_64x64_quick.nut": (lavfi("64x64", 25, 300) + ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"], True),
    "h264_240p_gop25_quick.mp4": (lavfi("320x240", 25, 100) + ["-c:v", "libx264", "-preset", "veryfast",
                                                                "-g", "25", "-bf", "3", "-pix_fmt", "yuv420p"], False),
    "h264_240p_gop25_10x_quick.mp4": (looped("h264_240p_gop25_quick.mp4", 10), False),
}


def stereo_audio(seconds):
    """48 kHz stereo from lavfi: a sine per channel (440 and 660 Hz) mixed with pink noise, different in
    each channel, so that the encoder has real work."""
    sources = [f"sine=f=440:r=48000:d={seconds}[a]", f"sine=f=660:r=48000:d={seconds}[b]"] + [
        f"anoisesrc=r=48000:d={seconds}:c=pink:a=0.1:seed={seed}[n{seed}]" for seed in (1, 2)]
    return ["-filter_complex", ";".join(sources + [
        "[a][n1]amix=inputs=2[l]", "[b][n2]amix=inputs=2[r]", "[l][r]join=inputs=2:channel_layout=stereo[out]"]),
        "-map", "[out]"]


AAC, OPUS = ["-c:a", "aac", "-b:a", "128k"], ["-c:a", "libopus", "-b:a", "128k"]
# name: (ffmpeg arguments, False), as the video clips'; made when the audio part runs
AUDIO_CLIPS = {"aac_48k_stereo_600s.m4a": (stereo_audio(600) + AAC, False),
               "opus_48k_stereo_600s.opus": (stereo_audio(600) + OPUS, False)}
AUDIO_QUICK_CLIPS = {"aac_48k_stereo_20s_quick.m4a": (stereo_audio(20) + AAC, False),
                     "opus_48k_stereo_20s_quick.opus": (stereo_audio(20) + OPUS, False)}
AUDIO_ROLES = {"AAC": ("aac_48k_stereo_600s.m4a", "aac_48k_stereo_20s_quick.m4a"),
               "Opus": ("opus_48k_stereo_600s.opus", "opus_48k_stereo_20s_quick.opus")}
# Clip sampling (bench/sampling.py): clips of 8 frames at regular indices from many short videos, as a
# training data loader reads them. 20 videos of 10 to 14 s, 720p and 1080p at 25 and 30 fps: 16 H.264
# (x264 veryfast, 3 B-frames; a key frame every 60 frames, or x264's default of 250 and at scene cuts)
# and 4 HEVC (x265 superfast, -g 60, its default open GOPs). The picture pans (scroll) over a test
# pattern with grain (noise), so that neighbouring frames differ everywhere and bitrates are a
# camera's (5-8 Mb/s at 1080p), and each video is another pattern (hue) and pan.
SAMPLING_METHODS = ["derenotes", "derenotes threads=1", "decord", "decord threads=1", "torchcodec",
                    "torchcodec threads=1", "pyav AUTO", "pyav threads=1",
                    # PyAV skipping the non-reference frames it is not asked for, as derenotes' get_frames does
                    "pyav AUTO, non-ref skipped", "pyav threads=1, non-ref skipped"]
SAMPLING_TWO_PROCESSES = "derenotes threads=1, 2 processes"
H264_SAMPLING = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"]
X265 = ["-c:v", "libx265", "-preset", "superfast", "-x265-params", "log-level=error", "-tag:v", "hvc1"]


def panned(size, rate, seconds, number):
    """A test pattern panning 8 to 16 pixels a frame sideways and 2 or 4 down (by `number`), with grain."""
    width = int(size.split("x")[0])
    pan = f"scroll=h={(number % 3 + 2) * 4 / width:.6f}:v={(number % 2 + 1) * 2 / width:.6f}"
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate},{pan},hue=H={number * 0.7:.1f},"
            f"noise=alls=4:allf=t+u", "-frames:v", str(rate * seconds), "-pix_fmt", "yuv420p"]


def sampling_clips():
    clips = {}
    for number in range(20):
        size = "1920x1080" if number % 2 else "1280x720"
        rate, seconds = (25, 30)[number // 2 % 2], 10 + number % 5
        if number >= 16:
            codec, gop, encoder = "hevc", "g60", X265 + ["-g", "60"]
        elif number % 4 == 3:
            codec, gop, encoder = "h264", "g250", H264_SAMPLING
        else:
            codec, gop, encoder = "h264", "g60", H264_SAMPLING + ["-g", "60"]
        name = f"sampling{number:02d}_{codec}_{size.split('x')[1]}p{rate}_{seconds}s_{gop}.mp4"
        clips[name] = (panned(size, rate, seconds, number) + encoder, False)
    return clips


SAMPLING_CLIPS = sampling_clips()
SAMPLING_QUICK_CLIPS = {
    "sampling_h264_240p_quick.mp4": (panned("320x240", 25, 2, 1) + H264_SAMPLING + ["-g", "25"], False),
    "sampling_h264_240p30_quick.mp4": (panned("320x240", 30, 2, 2) + H264_SAMPLING, False),
    "sampling_hevc_240p_quick.mp4": (panned("320x240", 25, 2, 3) + X265 + ["-g", "25"], False),
}
SAMPLING_MEMORY_CLIP = ("sampling01_h264_1080p25_11s_g60.mp4", "sampling_h264_240p_quick.mp4")
# Clips of the targets, by role: (full name, quick name)
ROLES = {
    "h264": ("h264_1080p.mp4", "h264_240p_quick.mp4"),
    "hevc": ("hevc_1080p.mp4", None),
    "vp9": ("vp9_1080p.webm", None),
    "tiny": ("raw_64x64.nut", "raw_64x64_quick.nut"),
    "random": ("h264_1080p_60s_gop250.mp4", "h264_240p_gop25_quick.mp4"),
    "long": ("h264_1080p_600s_gop250.mp4", "h264_240p_gop25_10x_quick.mp4"),
    "conversion": ("h264_1080p.mp4", "h264_240p_quick.mp4"),
}


def make_clips(clips, out):
    out.mkdir(parents=True, exist_ok=True)
    for name, (args, _) in clips.items():
        path = out / name
        if not path.exists():
            print(f"making {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
            partial = path.with_name("partial-" + name)
            subprocess.run([CLIP_FFMPEG, "-v", "error", "-y", *args, str(partial)], check=True, cwd=out)
            partial.rename(path)


def build_reference(name, out):
    """The C++ program bench/NAME.cpp, compiled into out/NAME when its source is newer, against the
    FFmpeg pkg-config finds (PKG_CONFIG_PATH: another release's, as `make test FFMPEG=X` sets it),
    which it then loads: an rpath for each library directory. It may include derenotes/ffmpeg.hpp,
    the header of the version differences between FFmpeg releases."""
    source, binary = BENCH / f"{name}.cpp", out / name
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", *FFMPEG_LIBS], check=True,
                               capture_output=True, text=True).stdout.split()
        rpaths = [f"-Wl,-rpath,{flag[2:]}" for flag in flags if flag.startswith("-L")]
        subprocess.run(["g++", "-O2", "-std=c++17", f"-I{ROOT / 'cpp' / 'include'}", str(source), *flags, *rpaths,
                        "-o", str(binary)], check=True)
    return binary

