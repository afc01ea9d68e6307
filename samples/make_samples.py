#!/usr/bin/env python3
"""Make the sample clips in this folder with the ffmpeg CLI from lavfi test sources.

Each clip is small and covers one family of pixel formats, audio codecs or containers. The
manifest (manifest.json) records what each clip is expected to be: the properties users and tests
rely on, as the encoder was asked to produce them. Tests check the reader against ffprobe
and the ffmpeg CLI's raw output, and check the manifest against ffprobe, so a manifest
that drifts from the clips fails loudly.

Per clip, "streams" lists its video streams (none for audio-only clips) and "audio_streams" its
audio streams, each in the file's order (see audio() for an audio stream's keys); the clips of
STREAM_CLIPS also list their "other_streams" (subtitle, data, attachment).

Run: python3 samples/make_samples.py [clip ...]   (needs the ffmpeg CLI; no names: every clip)
"""
import json
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # also when loaded from a file by the tests
import clip_tools  # noqa: E402
from clip_tools import flip_avi_rows_bottom_up, junk, lavfi, patch_tkhd_matrix, run, run_to_pipe, tones  # noqa: E402


CLIPS = {
    # The demo clip: H.264 with B-frames, so decode order differs from presentation order.
    "h264_bframes.mp4": (
        lavfi("640x360", 25, 100) + ["-c:v", "libx264", "-preset", "medium", "-crf", "26",
                                     "-bf", "3", "-g", "50", "-pix_fmt", "yuv420p"],
        dict(codec="h264", pix_fmt="yuv420p", width=640, height=360, frames=100, fps=25.0),
    ),
    "hevc_10bit.mp4": (
        lavfi("320x240", 24, 24) + ["-c:v", "libx265", "-x265-params", "log-level=error:bframes=3",
                                    "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1"],
        dict(codec="hevc", pix_fmt="yuv420p10le", width=320, height=240, frames=24, fps=24.0),
    ),
    "vp9.webm": (
        lavfi("320x240", 24, 24) + ["-c:v", "libvpx-vp9", "-b:v", "300k", "-deadline", "realtime",
                                    "-cpu-used", "8", "-threads", "1"],
        dict(codec="vp9", pix_fmt="yuv420p", width=320, height=240, frames=24, fps=24.0),
    ),
    "av1.mkv": (
        lavfi("320x240", 24, 12) + ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "200k",
                                    "-threads", "1"],
        dict(codec="libdav1d", pix_fmt="yuv420p", width=320, height=240, frames=12, fps=24.0),
    ),
    "mjpeg_fullrange.avi": (
        lavfi("320x240", 25, 10) + ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj422p"],
        dict(codec="mjpeg", pix_fmt="yuvj422p", width=320, height=240, frames=10, fps=25.0),
    ),
    "rgb24_png.mkv": (
        lavfi("128x96", 10, 8) + ["-c:v", "png", "-pix_fmt", "rgb24"],
        dict(codec="png", pix_fmt="rgb24", width=128, height=96, frames=8, fps=10.0),
    ),
    "rgba_png.mov": (
        lavfi("128x96", 10, 8) + ["-vf", "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*2'",
                                  "-c:v", "png", "-pix_fmt", "rgba"],
        dict(codec="png", pix_fmt="rgba", width=128, height=96, frames=8, fps=10.0),
    ),
    "bgra_ffv1.mkv": (
        lavfi("96x64", 10, 8) + ["-c:v", "ffv1", "-pix_fmt", "bgra"],
        dict(codec="ffv1", pix_fmt="bgra", width=96, height=64, frames=8, fps=10.0),
    ),
    "gray_ffv1.mkv": (
        lavfi("96x64", 10, 8) + ["-c:v", "ffv1", "-pix_fmt", "gray"],
        dict(codec="ffv1", pix_fmt="gray", width=96, height=64, frames=8, fps=10.0),
    ),
    "gray16be_png.mkv": (
        lavfi("96x64", 10, 6) + ["-c:v", "png", "-pix_fmt", "gray16be"],
        dict(codec="png", pix_fmt="gray16be", width=96, height=64, frames=6, fps=10.0),
    ),
    "rgb48be_png.mkv": (
        lavfi("96x64", 10, 6) + ["-c:v", "png", "-pix_fmt", "rgb48be"],
        dict(codec="png", pix_fmt="rgb48be", width=96, height=64, frames=6, fps=10.0),
    ),
    "nv12_raw.nut": (
        lavfi("96x64", 10, 8) + ["-c:v", "rawvideo", "-pix_fmt", "nv12"],
        dict(codec="rawvideo", pix_fmt="nv12", width=96, height=64, frames=8, fps=10.0),
    ),
    "odd_321x241_ffv1.mkv": (
        lavfi("321x241", 10, 6, source="testsrc")  # testsrc2 rounds sizes to even
        + ["-c:v", "ffv1", "-pix_fmt", "yuv420p"],
        dict(codec="ffv1", pix_fmt="yuv420p", width=321, height=241, frames=6, fps=10.0),
    ),
    "pal8_png.mkv": (
        lavfi("96x64", 10, 6) + ["-c:v", "png", "-pix_fmt", "pal8"],
        dict(codec="png", pix_fmt="pal8", width=96, height=64, frames=6, fps=10.0),
    ),
    "monob_png.mkv": (
        lavfi("100x64", 10, 6) + ["-c:v", "png", "-pix_fmt", "monob"],
        dict(codec="png", pix_fmt="monob", width=100, height=64, frames=6, fps=10.0),
    ),
    "yuva420p_ffv1.mkv": (
        lavfi("96x64", 10, 6) + ["-vf", "format=yuva420p,geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='Y*3'",
                                 "-c:v", "ffv1", "-pix_fmt", "yuva420p"],
        dict(codec="ffv1", pix_fmt="yuva420p", width=96, height=64, frames=6, fps=10.0),
    ),
    "gbrpf32le_exr.mkv": (
        lavfi("64x48", 10, 4) + ["-c:v", "exr", "-pix_fmt", "gbrpf32le"],
        dict(codec="exr", pix_fmt="gbrpf32le", width=64, height=48, frames=4, fps=10.0),
    ),
    "yuyv422_raw.nut": (
        lavfi("96x64", 10, 6) + ["-c:v", "rawvideo", "-pix_fmt", "yuyv422"],
        dict(codec="rawvideo", pix_fmt="yuyv422", width=96, height=64, frames=6, fps=10.0),
    ),
    "rgb565le_raw.nut": (
        lavfi("96x64", 10, 6) + ["-c:v", "rawvideo", "-pix_fmt", "rgb565le"],
        dict(codec="rawvideo", pix_fmt="rgb565le", width=96, height=64, frames=6, fps=10.0),
    ),
    # Made bottom-up by flip_avi_rows_bottom_up(): FFmpeg hands it out with a negative linesize.
    "bgr24_bottomup.avi": (
        lavfi("96x64", 10, 6) + ["-c:v", "rawvideo", "-pix_fmt", "bgr24"],
        dict(codec="rawvideo", pix_fmt="bgr24", width=96, height=64, frames=6, fps=10.0),
    ),
    # Random access: several GOPs each, in the containers and codings seeking gets wrong.
    "h264_opengop.mp4": (
        lavfi("160x120", 25, 120) + ["-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p", "-x264-params",
                                     "keyint=24:min-keyint=24:scenecut=0:open-gop=1:b-adapt=0"],
        dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=120, fps=25.0),
    ),
    "hevc_opengop.mp4": (
        lavfi("160x120", 25, 120) + ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params",
                                     "log-level=error:keyint=24:min-keyint=24:scenecut=0:open-gop=1:bframes=3:b-adapt=0"],
        dict(codec="hevc", pix_fmt="yuv420p", width=160, height=120, frames=120, fps=25.0),
    ),
    "vp9_keyframes.webm": (
        lavfi("160x120", 25, 96) + ["-c:v", "libvpx-vp9", "-b:v", "200k", "-g", "24", "-deadline", "realtime",
                                    "-cpu-used", "8", "-threads", "1"],
        dict(codec="vp9", pix_fmt="yuv420p", width=160, height=120, frames=96, fps=25.0),
    ),
    "av1_keyframes.mkv": (
        lavfi("160x120", 25, 48) + ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "100k", "-g", "12",
                                    "-threads", "1"],
        dict(codec="libdav1d", pix_fmt="yuv420p", width=160, height=120, frames=48, fps=25.0),
    ),
    "h264.ts": (
        lavfi("160x120", 25, 120) + ["-c:v", "libx264", "-bf", "3", "-g", "24", "-pix_fmt", "yuv420p"],
        dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=120, fps=25.0),
    ),
    # Variable frame rate: every third frame comes 20 ms late.
    "h264_vfr.mkv": (
        lavfi("160x120", 25, 120) + ["-vf", "settb=1/1000,setpts='(N*0.04+eq(mod(N,3),0)*0.02)/TB'",
                                     "-fps_mode", "passthrough", "-enc_time_base:v", "1/1000", "-c:v", "libx264", "-bf", "3", "-g", "24", "-pix_fmt", "yuv420p"],
        dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=120, fps=25.0),
    ),
}

# Written to a pipe, so that the muxer cannot go back to write the index (Cues) and the duration.
WITHOUT_INDEX = {
    "h264_nocues.mkv": (
        lavfi("160x120", 25, 120) + ["-c:v", "libx264", "-bf", "3", "-g", "24", "-pix_fmt", "yuv420p",
                                     "-f", "matroska"],
        dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=120, fps=25.0),
    ),
}

# Cut with stream copy at 1.3 s, between key frames: the MP4 keeps the packets from the key frame
# before and an edit list that hides the frames before 1.3 s (FFmpeg marks them discarded).
EDIT_LIST = "h264_editlist.mp4"
EDIT_LIST_SOURCE = "h264_opengop.mp4"
EDIT_LIST_PROPS = dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=87, fps=25.0)

BOTTOM_UP = "bgr24_bottomup.avi"

# Audio first, then two video streams: stream=0 is the first *video* stream, stream=1 the second.
AUDIO_FIRST = "audio_first.mkv"
AUDIO_FIRST_ARGS = (
    ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=1",
     "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1",
     "-map", "0:a", "-map", "1:v", "-map", "2:v",
     "-c:a", "pcm_s16le", "-c:v:0", "libx264", "-bf:v:0", "2", "-pix_fmt:v:0", "yuv420p", "-c:v:1", "mjpeg",
     "-pix_fmt:v:1", "yuvj420p"]
)
AUDIO_FIRST_STREAMS = [
    dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=10, fps=10.0),
    dict(codec="mjpeg", pix_fmt="yuvj420p", width=64, height=48, frames=5, fps=5.0),
]
AUDIO_FIRST_AUDIO = [dict(codec="pcm_s16le", sample_rate=8000, channels=1, channel_layout="unknown",
                         sample_fmt="s16")]


def audio(codec, sample_rate, layout, sample_fmt, **more):
    """An audio stream's expected properties, as ffprobe reports them: codec is ffprobe's
    codec_name; sample_fmt the decoder's output format; channel_layout ffprobe's name for the
    layout ("unknown" where the file does not say); start_time in seconds and skip_samples (the
    first packet's Skip Samples side data: the encoder's priming, which decoding drops) where the
    clip is about them."""
    channels = {"mono": 1, "stereo": 2, "5.1": 6, "5.1(side)": 6}.get(layout)
    return dict(codec=codec, sample_rate=sample_rate, channels=more.pop("channels", channels),
                channel_layout=layout, sample_fmt=sample_fmt, **more)


def audio_clip(args, audio_streams, video_streams=(), patch=None):
    return args, patch, list(video_streams), audio_streams


VIDEO_160x120 = ["-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p"]

# Audio clips, for audio decoding: one per codec, PCM sample formats in WAV, mono, stereo and 5.1,
# two audio streams, video with audio, audio that starts after the video, and a damaged one.
# Lossy codecs 1 s, PCM and lossless 0.5 s at low rates, so that they stay small.
AUDIO_CLIPS = {
    # AAC-LC in MP4: 1024 samples of encoder priming, hidden by the edit list.
    "aac_stereo.m4a": audio_clip(
        tones("stereo", 44100, 1) + ["-c:a", "aac", "-b:a", "64k"],
        [audio("aac", 44100, "stereo", "fltp", start_time=0.0, skip_samples=1024)]),
    # AAC in ADTS (no priming information: the 1024 samples come out), one packet's payload junk:
    # that packet decodes to nothing (FFmpeg: "Number of bands (28) exceeds limit (27)").
    "aac_damaged.aac": audio_clip(
        tones("mono", 44100, 1) + ["-c:a", "aac", "-b:a", "48k"],
        [audio("aac", 44100, "mono", "fltp")], patch="junk_in_audio_packet_22"),
    # AAC in ADTS that turns from 44.1 kHz mono into 22.05 kHz stereo after 1 s (a second
    # encoding appended, as when streams are spliced): frames change rate and layout mid-stream.
    "aac_format_change.aac": audio_clip(
        tones("mono", 44100, 1) + ["-c:a", "aac", "-b:a", "48k"],
        [audio("aac", 44100, "mono", "fltp")], patch="append_stereo_22050_aac"),
    # MP3 with a LAME tag: encoder delay and padding; FFmpeg starts it at 1105 samples.
    "mp3_mono.mp3": audio_clip(
        tones("mono", 44100, 1) + ["-c:a", "libmp3lame", "-b:a", "32k"],
        [audio("mp3", 44100, "mono", "fltp", start_time=0.025057, skip_samples=1105)]),
    # Opus in Ogg, always 48 kHz: a pre-skip of 312 samples.
    "opus_stereo.opus": audio_clip(
        tones("stereo", 48000, 1) + ["-c:a", "libopus", "-b:a", "32k"],
        [audio("opus", 48000, "stereo", "fltp", start_time=0.0, skip_samples=312)]),
    "vorbis_stereo.ogg": audio_clip(
        tones("stereo", 44100, 1) + ["-c:a", "libvorbis", "-q:a", "0"],
        [audio("vorbis", 44100, "stereo", "fltp")]),
    "flac_5.1.flac": audio_clip(
        tones("5.1", 48000, 0.5) + ["-c:a", "flac", "-sample_fmt", "s16"],
        [audio("flac", 48000, "5.1", "s16")]),
    "alac_stereo.m4a": audio_clip(
        tones("stereo", 44100, 0.5) + ["-c:a", "alac", "-sample_fmt", "s16p"],
        [audio("alac", 44100, "stereo", "s16p")]),
    # Raw AC-3: its surround channels are side channels.
    "ac3_5.1.ac3": audio_clip(
        tones("5.1(side)", 48000, 1) + ["-c:a", "ac3", "-b:a", "192k"],
        [audio("ac3", 48000, "5.1(side)", "fltp")]),
    # PCM in WAV, each sample format. WAV writes a channel mask (WAVE_FORMAT_EXTENSIBLE) only for
    # more than 2 channels or more than 16 bits: the 8-bit mono one has none, its layout unknown.
    "pcm_s16le_5.1.wav": audio_clip(
        tones("5.1", 8000, 0.5) + ["-c:a", "pcm_s16le"], [audio("pcm_s16le", 8000, "5.1", "s16")]),
    "pcm_s24le_stereo.wav": audio_clip(
        tones("stereo", 16000, 0.5) + ["-c:a", "pcm_s24le"], [audio("pcm_s24le", 16000, "stereo", "s32")]),
    "pcm_s32le_stereo.wav": audio_clip(
        tones("stereo", 16000, 0.5) + ["-c:a", "pcm_s32le"], [audio("pcm_s32le", 16000, "stereo", "s32")]),
    "pcm_f32le_stereo.wav": audio_clip(
        tones("stereo", 16000, 0.5) + ["-c:a", "pcm_f32le"], [audio("pcm_f32le", 16000, "stereo", "flt")]),
    "pcm_f64le_mono.wav": audio_clip(
        tones("mono", 16000, 0.5) + ["-c:a", "pcm_f64le"], [audio("pcm_f64le", 16000, "mono", "dbl")]),
    "pcm_u8_mono.wav": audio_clip(
        tones("mono", 16000, 0.5) + ["-c:a", "pcm_u8"], [audio("pcm_u8", 16000, "unknown", "u8", channels=1)]),
    # Two audio streams, no video: MP3 mono (440 Hz), then AAC stereo (330 and 770 Hz).
    "two_audio_streams.mp4": audio_clip(
        tones("mono", 44100, 1) + tones("stereo", 48000, 1, first=4)
        + ["-map", "0:a", "-map", "1:a", "-c:a:0", "libmp3lame", "-b:a:0", "32k", "-c:a:1", "aac", "-b:a:1", "64k"],
        [audio("mp3", 44100, "mono", "fltp", start_time=0.0), audio("aac", 48000, "stereo", "fltp", start_time=0.0)]),
    # Video with audio.
    "h264_aac.mp4": audio_clip(
        ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1"] + tones("stereo", 44100, 1)
        + ["-map", "0:v", "-map", "1:a", *VIDEO_160x120, "-c:a", "aac", "-b:a", "64k"],
        [audio("aac", 44100, "stereo", "fltp", start_time=0.0)],
        [dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=10, fps=10.0)]),
    # An audio track that holds no packets at all: AudioReader finds nothing, read() is (2, 0).
    "h264_empty_audio.mkv": audio_clip(
        ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1"] + tones("stereo", 8000, 1)
        + ["-map", "0:v", "-map", "1:a", "-frames:a", "0", *VIDEO_160x120, "-c:a", "pcm_s16le"],
        [audio("pcm_s16le", 8000, "unknown", "s16", channels=2)],
        [dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=10, fps=10.0)]),
    # Audio that starts 0.5 s after the video (FLAC: no priming to shift it).
    "h264_audio_late.mkv": audio_clip(
        ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-itsoffset", "0.5"]
        + tones("mono", 44100, 1.5) + ["-map", "0:v", "-map", "1:a", *VIDEO_160x120, "-c:a", "flac",
                                                         "-sample_fmt", "s16"],
        [audio("flac", 44100, "mono", "s16", start_time=0.5)],
        [dict(codec="h264", pix_fmt="yuv420p", width=160, height=120, frames=20, fps=10.0)]),
}

# Metadata (probe(), VideoReader.rotation and the colour properties): display matrices as phones
# write them, and colour-tagged, HDR-tagged and interlaced streams. FFmpeg 5.1's CLI has no
# -display_rotation, and no option of it writes a mirror; its "rotate" tag, on a stream copy only
# (an encode drops it), writes the matrix turned the other way than the tag says (rotate=90 is
# played turned counter-clockwise). So every clip here is an encode whose tkhd matrix is patched
# with the bytes a phone writes (patch_tkhd_matrix); the names say how a player turns them.
DISPLAY_MATRIX_SOURCE = lavfi("64x48", 10, 5) + ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
DISPLAY_MATRICES = {  # name: tkhd's matrix (a, b, c, d), x' = a x + c y, y' = b x + d y, y down
    "rotate90.mp4": (0, 1, -1, 0),  # a phone held upright: turned 90 degrees clockwise
    "rotate180.mp4": (-1, 0, 0, -1),
    "rotate270.mp4": (0, -1, 1, 0),
    "hflip.mp4": (-1, 0, 0, 1),  # a left-right mirror
    "transpose.mp4": (0, 1, 1, 0),  # a mirror about the diagonal: flipped and turned 90 degrees
}
DISPLAY_MATRIX_PROPS = dict(codec="h264", pix_fmt="yuv420p", width=64, height=48, frames=5, fps=10.0)
COLOR_CLIPS = {
    # HDR10: BT.2020 primaries and matrix, PQ transfer, limited range, in HEVC's VUI and MP4's colr.
    "hevc_pq.mp4": (
        lavfi("64x48", 10, 4) + ["-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le",
                                 "-tag:v", "hvc1", "-color_primaries", "bt2020", "-color_trc", "smpte2084",
                                 "-colorspace", "bt2020nc", "-color_range", "tv"],
        dict(codec="hevc", pix_fmt="yuv420p10le", width=64, height=48, frames=4, fps=10.0),
    ),
    # HLG, full range, and non-square pixels (4:3), in H.264's VUI and Matroska's Colour.
    "h264_hlg_sar.mkv": (
        lavfi("64x48", 10, 4) + ["-vf", "setsar=4/3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                 "-color_primaries", "bt2020", "-color_trc", "arib-std-b67",
                                 "-colorspace", "bt2020nc", "-color_range", "pc"],
        dict(codec="h264", pix_fmt="yuvj420p", width=64, height=48, frames=4, fps=10.0),  # full range: the decoder says yuvj420p
    ),
    # Interlaced, top field first, BT.709 tagged.
    "mpeg2_interlaced.mkv": (
        lavfi("64x48", 25, 6) + ["-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1",
                                 "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"],
        dict(codec="mpeg2video", pix_fmt="yuv420p", width=64, height=48, frames=6, fps=25.0),
    ),
}


def make_display_matrix(name, matrix):
    run(DISPLAY_MATRIX_SOURCE, HERE / name)
    patch_tkhd_matrix(HERE / name, matrix)


# Streams of every kind, for probe() and the errors that list a file's streams: subtitles (SubRip,
# and ASS converted from it), an attached text file with its mimetype, audio streams tagged with a
# language and a title, and an MP4 whose timecode track (tmcd, from -timecode) is a data stream.
# The subtitle and attached files are written by make_stream_clip(). Per clip, "other_streams"
# lists the streams neither video nor audio: kind, codec (None: FFmpeg has none for it) and the
# tags asked for (ffprobe's names), in the file's order.
SUBRIP = "1\n00:00:00,100 --> 00:00:00,500\nHello.\n\n2\n00:00:00,500 --> 00:00:00,900\nGoodbye.\n"
ATTACHED_TEXT = "Notes that travel with the sample, as fonts travel with subtitles.\n"
VIDEO_64x48 = dict(codec="h264", pix_fmt="yuv420p", width=64, height=48, frames=10, fps=10.0)


def other(kind, codec, **tags):
    return dict(kind=kind, codec=codec, **tags)


STREAM_CLIPS = {  # name: (arguments, video streams, audio streams, other streams)
    "streams_tagged.mkv": (
        ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", *tones("mono", 16000, 1),
         *tones("mono", 16000, 1, first=1), "-i", "SUBRIP", "-attach", "ATTACHED_TEXT",
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s", "-map", "3:s",
         "-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p", "-c:a:0", "aac", "-b:a:0", "32k",
         "-c:a:1", "flac", "-sample_fmt:a:1", "s16", "-c:s:0", "srt", "-c:s:1", "ass",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=English",
         "-metadata:s:a:1", "language=deu", "-metadata:s:a:1", "title=Deutsch",
         "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English subtitles",
         "-metadata:s:s:1", "language=fra", "-metadata:s:t", "mimetype=text/plain"],
        [VIDEO_64x48],
        [audio("aac", 16000, "mono", "fltp", language="eng", title="English"),
         audio("flac", 16000, "mono", "s16", language="deu", title="Deutsch")],
        [other("subtitle", "subrip", language="eng", title="English subtitles"), other("subtitle", "ass", language="fra"),
         other("attachment", None, filename="notes.txt", mimetype="text/plain")]),
    "streams_timecode.mp4": (
        ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", *tones("mono", 16000, 1), "-i", "SUBRIP",
         "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "32k", "-c:s", "mov_text", "-timecode", "01:00:00:00",
         "-metadata:s:a", "language=spa", "-metadata:s:s", "language=eng"],
        [VIDEO_64x48],
        [audio("aac", 16000, "mono", "fltp", language="spa")],
        [other("subtitle", "mov_text", language="eng"), other("data", None, codec_tag_string="tmcd")]),
}


def make_stream_clip(name, out):
    """Makes STREAM_CLIPS[name] at out, with its subtitle and attached files from a folder of its own."""
    args = STREAM_CLIPS[name][0]
    with tempfile.TemporaryDirectory() as folder:
        files = {"SUBRIP": pathlib.Path(folder) / "subtitles.srt", "ATTACHED_TEXT": pathlib.Path(folder) / "notes.txt"}
        files["SUBRIP"].write_text(SUBRIP)
        files["ATTACHED_TEXT"].write_text(ATTACHED_TEXT)
        run([str(files[arg]) if arg in files else arg for arg in args] + ["-flags:a", "+bitexact"], out)


# Regressions: files whose containers or data do not tell the truth, each made from a clip of its
# own by a stream copy or a byte patch (see the makers below), for the behaviour named. Tests check
# every frame of each, read every way, against iteration and the ffmpeg CLI.
def regression(source_args, patch=None, **props):
    return source_args, patch, props


def pal8(size):
    return lavfi(size, 10, 20, source="testsrc") + ["-pix_fmt", "pal8", "-c:v", "rawvideo"]


REGRESSIONS = {
    # The demuxer attaches the palette to the first packet only: random access must carry it over.
    "pal8_raw.mov": regression(pal8("32x24"), codec="rawvideo", pix_fmt="pal8", width=32, height=24, frames=20),
    "pal8_raw.avi": regression(pal8("32x24"), codec="rawvideo", pix_fmt="pal8", width=32, height=24, frames=20),
    # An MPEG-4 part 2 elementary stream without GOV headers: after a seek the parser stamps the key
    # packet with another time than a linear read gives it.
    "mpeg4_nogov.m4v": regression(
        lavfi("64x48", 25, 150) + ["-c:v", "mpeg4", "-bf", "2", "-g", "12", "-f", "m4v"], "strip_gov_headers",
        codec="mpeg4", pix_fmt="yuv420p", width=64, height=48, frames=150),
    # B-frames in an MP4 whose composition offsets (ctts) are gone: packet pts equal dts, and the
    # decoder's best-effort timestamps are not the packets'.
    "mpeg4_noctts.mp4": regression(
        lavfi("64x48", 25, 60) + ["-c:v", "mpeg4", "-bf", "2", "-g", "12"], "drop_ctts",
        codec="mpeg4", pix_fmt="yuv420p", width=64, height=48, frames=59),
    # One GOP with a B-frame whose NAL length is broken: that packet decodes to no frame.
    "h264_damaged.mp4": regression(
        lavfi("64x48", 25, 60) + ["-c:v", "libx264", "-bf", "2", "-x264-params", "keyint=60:scenecut=0:b-pyramid=none",
                                  "-pix_fmt", "yuv420p", "-movflags", "+faststart"], "break_packet_31",
        codec="h264", pix_fmt="yuv420p", width=64, height=48, frames=59),
    # B-pyramid with a broken reference B-frame: the B-frames around it are concealed, from the
    # pictures decoded last (which get_frames' dropping of unreferenced frames must not change).
    "h264_damaged_pyramid.mp4": regression(
        lavfi("64x48", 25, 60) + ["-c:v", "libx264", "-bf", "3", "-x264-params",
                                  "keyint=60:scenecut=0:b-pyramid=normal:b-adapt=0", "-pix_fmt", "yuv420p",
                                  "-movflags", "+faststart"], "break_a_reference_b_frame",
        codec="h264", pix_fmt="yuv420p", width=64, height=48, frames=59),
    # Cut in the middle of its last packet: the demuxer flags it damaged, and it decodes to nothing.
    "h264_truncated.mp4": regression(
        lavfi("64x48", 25, 60) + ["-c:v", "libx264", "-bf", "2", "-x264-params", "keyint=60:scenecut=0:b-pyramid=none",
                                  "-pix_fmt", "yuv420p", "-movflags", "+faststart"], "cut_last_packet",
        codec="h264", pix_fmt="yuv420p", width=64, height=48, frames=59),
    # RealMedia with junk near its end: every seek fails (the demuxer's timestamp search reads the
    # junk), and iteration stops with an error there.
    "rv20_damaged.rm": regression(
        ["-f", "lavfi", "-i", "sine=duration=3:sample_rate=44100", "-f", "lavfi",
         "-i", "testsrc2=size=64x48:rate=25:duration=2.4", "-map", "0:a", "-map", "1:v", "-c:a", "ac3",
         "-c:v", "rv20", "-g", "12", "-t", "2.4"], "junk_at_95_percent",
        codec="rv20", pix_fmt="yuv420p", width=64, height=48, frames=56),
    # Variable frame rate WebM without DefaultDuration: no packet has a duration, the average
    # rate is unknown, FFmpeg guesses 30/1 from the timestamps.
    "vp9_nodurations.webm": regression(
        lavfi("64x48", 30, 12) + ["-vf", "settb=1/1000,setpts='(N*33+gte(N,3)*7+gte(N,7)*17)/1000/TB'",
                                  "-fps_mode", "passthrough", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                                  "-cpu-used", "8", "-threads", "1"], "hide_default_duration",
        codec="vp9", pix_fmt="yuv420p", width=64, height=48, frames=12),
    # Cinepak whose last key frame is junk: it decodes to nothing, and the frames after it only
    # from the frames before it.
    "cinepak_badkey.mov": regression(
        lavfi("64x48", 25, 48) + ["-c:v", "cinepak", "-g", "12"], "junk_last_key_packet",
        codec="cinepak", pix_fmt="rgb24", width=64, height=48, frames=47),
    # ZMBV (frames coded as changes to the one before, key frames now and then) in an AVI whose
    # index flags every packet a key frame.
    "zmbv_allkeys.avi": regression(
        lavfi("64x48", 25, 40) + ["-c:v", "zmbv", "-g", "12", "-pix_fmt", "bgr0"], "flag_every_avi_packet_key",
        codec="zmbv", pix_fmt="bgr0", width=64, height=48, frames=40),
    # Cut between key frames by a stream copy that keeps the frames before the first key frame
    # (-copyinkf): the index cannot decode them from a key frame, but the decoder shows them.
    "mpeg4_cut_mid_gop.mkv": regression(
        lavfi("64x48", 25, 60) + ["-c:v", "mpeg4", "-bf", "0", "-g", "12"], "cut_before_a_key_frame",
        codec="mpeg4", pix_fmt="yuv420p", width=64, height=48, frames=55),
    # Bayer, whose converters treat the first and last rows of every slice as the frame's edges.
    "bayer_gbrg8.nut": regression(
        ["-f", "rawvideo", "-pix_fmt", "bayer_gbrg8", "-s", "64x40", "-r", "10", "-i", "BAYER_RAW", "-c:v", "copy"],
        codec="rawvideo", pix_fmt="bayer_gbrg8", width=64, height=40, frames=2),
}


# The regression clips with audio (each made for its video).
REGRESSION_AUDIO = {"rv20_damaged.rm": [audio("ac3", 44100, "mono", "fltp")]}


def make_regression(name, args, patch):
    out = HERE / name
    with tempfile.TemporaryDirectory() as folder:
        raw = pathlib.Path(folder) / "bayer.raw"  # a fixed pseudo-random mosaic: swscale cannot make Bayer
        raw.write_bytes(junk(64 * 40 * 2))
        run([str(raw) if arg == "BAYER_RAW" else arg for arg in args], out)
    if patch:
        out.write_bytes(bytes(getattr(clip_tools, patch)(bytearray(out.read_bytes()), out)))


def make_audio_clip(name, out):
    """Makes AUDIO_CLIPS[name] at out (tests make them again elsewhere, to check they reproduce)."""
    args, patch, _, _ = AUDIO_CLIPS[name]
    run(args + ["-flags:a", "+bitexact"], out)  # no encoder name in the file either
    if patch:
        out.write_bytes(bytes(getattr(clip_tools, patch)(bytearray(out.read_bytes()), out)))


def main():
    """Makes every clip, or only those named on the command line; writes the whole manifest."""
    wanted = set(sys.argv[1:])

    def make(name):
        return not wanted or name in wanted

    manifest = {}
    for name, (args, props) in CLIPS.items():
        if make(name):
            run(args, HERE / name)
            if name == BOTTOM_UP:
                flip_avi_rows_bottom_up(HERE / name)
        manifest[name] = {"streams": [props], "audio_streams": []}
    for name, (args, props) in WITHOUT_INDEX.items():
        if make(name):
            run_to_pipe(args, HERE / name)
        manifest[name] = {"streams": [props], "audio_streams": []}
    if make(EDIT_LIST):
        run(["-ss", "1.3", "-i", str(HERE / EDIT_LIST_SOURCE), "-c", "copy"], HERE / EDIT_LIST)
    manifest[EDIT_LIST] = {"streams": [EDIT_LIST_PROPS], "audio_streams": []}
    for name, matrix in DISPLAY_MATRICES.items():
        if make(name):
            make_display_matrix(name, matrix)
        manifest[name] = {"streams": [DISPLAY_MATRIX_PROPS], "audio_streams": []}
    for name, (args, props) in COLOR_CLIPS.items():
        if make(name):
            run(args, HERE / name)
        manifest[name] = {"streams": [props], "audio_streams": []}
    if make(AUDIO_FIRST):
        run(AUDIO_FIRST_ARGS, HERE / AUDIO_FIRST)
    manifest[AUDIO_FIRST] = {"streams": AUDIO_FIRST_STREAMS, "audio_streams": AUDIO_FIRST_AUDIO,
                             "first_stream_is_audio": True}
    for name, (args, patch, video_streams, audio_streams) in AUDIO_CLIPS.items():
        if make(name):
            make_audio_clip(name, HERE / name)
        manifest[name] = {"streams": video_streams, "audio_streams": audio_streams}
        if patch:
            manifest[name]["patch"] = patch
    for name, (args, video_streams, audio_streams, other_streams) in STREAM_CLIPS.items():
        if make(name):
            make_stream_clip(name, HERE / name)
        manifest[name] = {"streams": video_streams, "audio_streams": audio_streams, "other_streams": other_streams}
    regressions = {}
    for name, (args, patch, props) in REGRESSIONS.items():
        if make(name):
            make_regression(name, args, patch)
        regressions[name] = {"streams": [props], "audio_streams": REGRESSION_AUDIO.get(name, []), "patch": patch}
    manifest_path = HERE / "manifest.json"
    manifest_path.write_text(json.dumps({"demo": "h264_bframes.mp4", "clips": manifest, "regressions": regressions},
                                        indent=2) + "\n")
    total = sum((HERE / n).stat().st_size for n in [*manifest, *regressions])
    print(f"{len(manifest)} clips and {len(regressions)} regression clips, {total / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
