"""The sample clips are what samples/manifest.json says: every clip's video and audio streams
counted, each audio stream's properties, and the other streams (subtitle, data, attachment) with
their codecs and tags, against ffprobe; and the audio and stream clips come out of
samples/make_samples.py the same again. (The video streams' properties are checked against
ffprobe and the reader in test_reader.py.) Needs no build: only the ffprobe and ffmpeg CLIs."""
import importlib.util
import json
import subprocess

import pytest

from conftest import MANIFEST, SAMPLES, as_the_oracle_demuxes

ALL_CLIPS = {**MANIFEST["clips"], **MANIFEST["regressions"]}
AUDIO_STREAMS = [(name, n) for name, clip in ALL_CLIPS.items() for n in range(len(clip["audio_streams"]))]


def load_make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def probe(path, *args):
    return json.loads(subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
                                     check=True, capture_output=True).stdout)


def probe_audio_stream(path, stream):
    """ffprobe's properties of audio stream `stream`, and its first packet's skip_samples (None
    without Skip Samples side data)."""
    probed = probe(path, "-select_streams", f"a:{stream}", "-show_entries",
                   "stream=codec_name,sample_rate,channels,channel_layout,sample_fmt,start_time")["streams"][0]
    # (-show_packets shows the side data in every release: FFmpeg 4's -show_entries has no
    # packet_side_data section.)
    packets = probe(path, "-select_streams", f"a:{stream}", "-read_intervals", "%+#1", "-show_packets")["packets"]
    skips = [side["skip_samples"] for packet in packets[:1] for side in packet.get("side_data_list", [])
             if side["side_data_type"] == "Skip Samples"]  # (a track may have no packets)
    return probed, (skips[0] if skips else None)


def test_every_clip_lists_both_kinds_of_stream_and_the_clips_have_both_kinds():
    for name, clip in ALL_CLIPS.items():
        assert isinstance(clip["streams"], list) and isinstance(clip["audio_streams"], list), name
    assert any(not clip["streams"] and clip["audio_streams"] for clip in ALL_CLIPS.values())
    assert any(clip["streams"] and clip["audio_streams"] for clip in ALL_CLIPS.values())


@pytest.mark.parametrize("name", sorted(ALL_CLIPS))
def test_the_manifest_counts_each_clips_video_and_audio_streams(name):
    streams = probe(SAMPLES / name, "-show_entries", "stream=codec_type")["streams"]
    types = [stream["codec_type"] for stream in streams]
    assert types.count("video") == len(ALL_CLIPS[name]["streams"])
    assert types.count("audio") == len(ALL_CLIPS[name]["audio_streams"])


def other_streams(path):
    """ffprobe's streams of `path` that are neither video nor audio, as the manifest lists them:
    kind, codec (None without one), codec_tag_string, and the tags."""
    streams = probe(path, "-show_streams")["streams"]
    return [dict(kind=s["codec_type"], codec=s.get("codec_name"), codec_tag_string=s["codec_tag_string"],
                 **s.get("tags", {})) for s in streams if s["codec_type"] not in ("video", "audio")]


@pytest.mark.parametrize("name", sorted(ALL_CLIPS))
def test_the_manifest_lists_each_clips_other_streams(name):
    listed = ALL_CLIPS[name].get("other_streams", [])
    found = other_streams(SAMPLES / name)
    assert len(found) == len(listed)
    for theirs, expected in zip(found, map(as_the_oracle_demuxes, listed)):
        assert {key: theirs.get(key) for key in expected} == expected


def test_the_clips_have_streams_of_every_kind():
    kinds = {stream["kind"] for clip in ALL_CLIPS.values() for stream in clip.get("other_streams", [])}
    assert kinds == {"subtitle", "data", "attachment"}
    tagged = [stream for clip in ALL_CLIPS.values() for stream in clip["audio_streams"] if "title" in stream]
    assert len(tagged) >= 2


@pytest.mark.parametrize("clip_stream", AUDIO_STREAMS, ids=lambda p: f"{p[0]}:a:{p[1]}")
def test_audio_stream_properties_agree_with_ffprobe(clip_stream):
    name, stream = clip_stream
    expected = ALL_CLIPS[name]["audio_streams"][stream]
    probed, skip_samples = probe_audio_stream(SAMPLES / name, stream)
    assert probed["codec_name"] == expected["codec"]
    assert int(probed["sample_rate"]) == expected["sample_rate"]
    assert probed["channels"] == expected["channels"]
    assert probed.get("channel_layout", "unknown") == expected["channel_layout"]  # JSON leaves unknown out
    assert probed["sample_fmt"] == expected["sample_fmt"]
    if "start_time" in expected:
        assert float(probed["start_time"]) == pytest.approx(expected["start_time"], abs=1e-6)
    if "skip_samples" in expected:
        assert skip_samples == expected["skip_samples"]
    tags = probe(SAMPLES / name, "-select_streams", f"a:{stream}", "-show_entries", "stream_tags")["streams"][0]
    for key in ("language", "title"):
        if key in expected:
            assert tags.get("tags", {}).get(key) == expected[key]


def test_the_damaged_audio_clip_fails_to_decode_one_packet_only():
    # 45 packets of 1024 samples; the ffmpeg CLI drops the damaged one and decodes the rest.
    path = SAMPLES / "aac_damaged.aac"
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True)
    assert len(decoded.stdout) == 44 * 1024 * 2
    # (FFmpeg 9's CLI words it "Error submitting packet to decoder")
    assert b"Error while decoding" in decoded.stderr or b"Error submitting packet to decoder" in decoded.stderr


def test_the_audio_clips_are_made_again_with_the_same_properties(tmp_path):
    make_samples = load_make_samples()
    assert set(make_samples.AUDIO_CLIPS) <= set(MANIFEST["clips"])
    for name, clip in make_samples.AUDIO_CLIPS.items():
        again = tmp_path / name
        make_samples.make_audio_clip(name, again)
        for stream in range(len(clip[3])):
            assert probe_audio_stream(again, stream) == probe_audio_stream(SAMPLES / name, stream), name
        assert [s["codec_type"] for s in probe(again, "-show_entries", "stream=codec_type")["streams"]] == \
            [s["codec_type"] for s in probe(SAMPLES / name, "-show_entries", "stream=codec_type")["streams"]]


def test_the_stream_clips_are_made_again_with_the_same_streams(tmp_path):
    make_samples = load_make_samples()
    assert set(make_samples.STREAM_CLIPS) <= set(MANIFEST["clips"])
    entries = "stream=index,codec_type,codec_name,codec_tag_string,sample_rate,channels:stream_tags"
    for name in make_samples.STREAM_CLIPS:
        again = tmp_path / name
        make_samples.make_stream_clip(name, again)
        assert probe(again, "-show_entries", entries) == probe(SAMPLES / name, "-show_entries", entries), name
