"""The derenotes command as a user runs it (a subprocess): help, version, probe and check, their
errors and exit statuses, and progress bars on a terminal. Images: test_cli_images.py."""
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

import derenotes
from conftest import CLIP_FFMPEG, MANIFEST, SAMPLES, cut_matroska, ffmpeg_error_lines

COMMANDS = ["probe", "check", "frames", "planes", "sheet"]

# The samples made damaged (samples/make_samples.py): broken or junk packets, a cut file. Every
# other sample's packets are whole (mpeg4_cut_mid_gop.mkv, a stream copy cut before a key frame,
# gets a note: its first frame is not a key frame).
DAMAGED = {"aac_damaged.aac", "h264_damaged.mp4", "h264_damaged_pyramid.mp4", "h264_truncated.mp4",
           "rv20_damaged.rm", "cinepak_badkey.mov"}
ALL_SAMPLES = sorted({**MANIFEST["clips"], **MANIFEST["regressions"]})


def cli_environment():
    """The environment with the derenotes imported here first on the path: the source tree's or
    the installed one, whichever the tests run against."""
    package_parent = os.path.dirname(os.path.dirname(derenotes.__file__))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}


def cli(*args, stdin=None, pipe=None, check=False, cwd=SAMPLES):
    """Runs `python -m derenotes ARGS` (from the samples' directory): its CompletedProcess, output
    as text. `stdin`: a file to read from (seekable); `pipe`: bytes to write into a pipe."""
    result = subprocess.run([sys.executable, "-m", "derenotes", *map(str, args)], capture_output=True, stdin=stdin,
                            input=pipe, cwd=cwd, env=cli_environment(), timeout=300)
    result.stdout, result.stderr = result.stdout.decode(), result.stderr.decode()
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_every_command_has_help_with_examples():
    top = cli("--help", check=True)
    for command in COMMANDS:
        assert command in top.stdout
        help = cli(command, "--help", check=True).stdout
        assert help.startswith("usage: derenotes " + command)
        assert "examples:" in help and f"derenotes {command} " in help.split("examples:")[1]


def test_the_demo_takes_help_as_help():
    result = subprocess.run([sys.executable, "-m", "derenotes.demo", "--help"], capture_output=True, text=True,
                            env=cli_environment())
    assert result.returncode == 0 and result.stdout.startswith("usage:"), result.stderr


def test_version_names_derenotes_and_the_ffmpeg_it_loaded():
    """Against ffprobe -version of the FFmpeg under test: its libraries' versions."""
    out = cli("--version", check=True).stdout
    assert out.startswith(f"derenotes {derenotes.__version__}\nFFmpeg ")
    oracle = subprocess.run(["ffprobe", "-version"], capture_output=True, text=True, check=True).stdout
    for library in ("libavutil", "libavcodec", "libavformat", "libswscale", "libswresample"):
        major, minor, micro = re.search(library + r"\s+(\d+)\.\s*(\d+)\.\s*(\d+)", oracle).groups()
        assert f"{library} {int(major)}.{int(minor)}.{int(micro)}" in out


@pytest.mark.parametrize("args", [[], ["probe"], ["frobnicate", "x"], ["check", "x.mp4", "--jobs", "0"],
                                  ["frames", "x.mp4", "--at", "1,,2", "-o", "out"],
                                  ["frames", "x.mp4", "--at", "150%", "-o", "out"],
                                  ["frames", "x.mp4", "--size", "axb", "-o", "out"],
                                  ["sheet", "x.mp4", "-o", "s.png", "--grid", "0x3"]])
def test_usage_errors_exit_2_with_a_usage_line(args):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == "" and "usage: derenotes" in result.stderr


# -- probe ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_probe_json_is_the_librarys_probe_and_ffprobes(name):
    shown = json.loads(cli("probe", name, "--json", check=True).stdout)
    expected = derenotes.probe(SAMPLES / name).to_dict()
    assert name in shown["name"]
    expected["name"] = shown["name"]  # the path as given: here relative
    assert shown == json.loads(json.dumps(expected))
    oracle = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
                                        name], cwd=SAMPLES, capture_output=True, text=True, check=True).stdout)
    assert shown["format"] == oracle["format"]["format_name"]
    assert len(shown["streams"]) == len(oracle["streams"])
    for ours, theirs in zip(shown["streams"], oracle["streams"]):
        assert ours["kind"] == theirs["codec_type"]
        for field in ("width", "height", "pix_fmt", "sample_fmt", "channels"):
            assert ours[field] == theirs.get(field), field
        if "nb_frames" in theirs:
            assert ours["frame_count"] == int(theirs["nb_frames"])


def test_probe_shows_a_table_of_every_stream():
    table = cli("probe", "streams_tagged.mkv", check=True).stdout.splitlines()
    info = derenotes.probe(SAMPLES / "streams_tagged.mkv")
    assert table[0].startswith("streams_tagged.mkv: Matroska")
    assert len(table) == 1 + len(info.streams)
    for line, stream in zip(table[1:], info.streams):
        assert line.split()[:2] == [f"#{stream.index}", stream.kind]
        if stream.kind == "video":
            assert f"{stream.width}x{stream.height}" in line and stream.pix_fmt in line
        if stream.kind == "audio":
            assert f"{stream.sample_rate} Hz" in line and stream.channel_layout in line
        if stream.language:
            assert f"language {stream.language}" in line


def test_probe_reads_stdin():
    with open(SAMPLES / "h264_nocues.mkv", "rb") as file:
        shown = json.loads(cli("probe", "-", "--json", stdin=file, check=True).stdout)
    assert [stream["codec"] for stream in shown["streams"]] == ["h264"]
    assert shown["streams"][0]["width"] == MANIFEST["clips"]["h264_nocues.mkv"]["streams"][0]["width"]


@pytest.mark.parametrize("command", [["probe"], ["probe", "--json"], ["check"], ["check", "--json"],
                                     ["sheet", "-o", "s.png"], ["frames", "--at", "0", "-o", "out"]])
def test_an_unreadable_file_is_one_line_naming_it_and_exit_1(command, tmp_path):
    (tmp_path / "notes.mp4").write_text("not a video\n" * 100)
    for name, reason in [("missing.mp4", "No such file"), ("notes.mp4", "Invalid data")]:
        result = cli(command[0], str(tmp_path / name), *command[1:], cwd=tmp_path)
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("derenotes: ") and name in lines[0] and reason in lines[0]
        if "--json" in command and command[0] == "check":  # stays valid JSON: the report says why
            assert json.loads(result.stdout)[0]["status"] == "unreadable"
        elif "--json" in command:
            assert result.stdout == ""


def test_a_url_is_read_only_when_the_network_is_allowed(serve, tmp_path):
    url = f"{serve(SAMPLES)}/h264_nocues.mkv"  # read front to back: http.server cannot serve ranges
    refused = cli("probe", url, cwd=tmp_path)  # a name, not a URL: no such file here
    assert refused.returncode == 1 and "No such file" in refused.stderr
    shown = json.loads(cli("probe", url, "--json", "--allow-network", check=True).stdout)
    assert shown["streams"] == json.loads(json.dumps(derenotes.probe(SAMPLES / "h264_nocues.mkv").to_dict()))["streams"]
    [report] = json.loads(cli("check", url, "--allow-network", "--json", check=True).stdout)
    assert report["status"] == "ok" and report["streams"][0]["frames"] == 120


def test_a_playlist_is_refused_under_the_safe_defaults(tmp_path):
    (tmp_path / "list.ffconcat").write_text("ffconcat version 1.0\nfile /etc/passwd\n")
    result = cli("probe", tmp_path / "list.ffconcat")
    assert result.returncode == 1 and "UnsafeInputError" not in result.stderr
    assert "list.ffconcat" in result.stderr and "--allow-nested" in result.stderr


# -- check ------------------------------------------------------------------------------------------

def oracle_frame_counts(name):
    """ffprobe's (kind, count of decoded frames) of each video and audio stream, in the file's order."""
    probed = subprocess.run(["ffprobe", "-v", "quiet", "-count_frames", "-show_entries",
                             "stream=codec_type,nb_read_frames", "-of", "json", name], cwd=SAMPLES,
                            capture_output=True, text=True).stdout
    return [(stream["codec_type"], int(stream.get("nb_read_frames", 0))) for stream in json.loads(probed)["streams"]
            if stream["codec_type"] in ("video", "audio")]


def test_the_damaged_samples_are_damaged_for_the_oracle_too():
    """So that DAMAGED is not our say-so: the ffmpeg CLI reports errors decoding each."""
    for name in DAMAGED:
        errors = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", name, "-map", "0:v?", "-map", "0:a?",
                                 "-f", "null", "-"], cwd=SAMPLES, capture_output=True, text=True).stderr
        assert errors.strip(), name


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_check_finds_damage_in_the_damaged_samples_only(name):
    result = cli("check", name, "--json")
    [report] = json.loads(result.stdout)
    assert report["status"] == ("damaged" if name in DAMAGED else "ok"), report
    assert result.returncode == (1 if name in DAMAGED else 0)
    streams = report["streams"]
    oracle = oracle_frame_counts(name)
    assert [stream["kind"] for stream in streams] == [kind for kind, _ in oracle]
    if name != "rv20_damaged.rm":  # the CLI decodes past the junk that stops our reader
        assert [(stream["kind"], stream["frames"]) for stream in streams] == oracle
    for stream in streams:
        if name not in DAMAGED:
            assert not stream["corrupt_frames"] and not stream["decode_errors"] and stream["error"] is None
        if name == "mpeg4_cut_mid_gop.mkv" or name in MANIFEST["clips"] and name != "h264_editlist.mp4":
            assert stream["starts_without_key_frame"] == (name == "mpeg4_cut_mid_gop.mkv")


def test_check_text_report_lists_the_corrupt_frames_and_notes():
    result = cli("check", "h264_damaged_pyramid.mp4", "h264_editlist.mp4", "-j", "2")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "h264_damaged_pyramid.mp4: damaged"
    # The sample breaks one packet (samples/make_samples.py, break_a_reference_b_frame): one of each, singular.
    assert re.match(r"  video #0 \(h264\): 59 frames, .*; 1 corrupt \(frame \d+\); 1 packet rejected", lines[1])
    assert lines[2] == "h264_editlist.mp4: ok"
    assert "note: the header lists 99 frames" in lines[3]  # an edit list: fewer frames than samples
    assert lines[-1] == "1 of 2 files damaged or unreadable"


def test_check_of_many_files_in_parallel_keeps_their_order(tmp_path):
    names = ["h264_bframes.mp4", "missing.mp4", "aac_damaged.aac", "vp9.webm", "h264_aac.mp4"]
    result = cli("check", *names, "--jobs", "3", "--json")
    reports = json.loads(result.stdout)
    assert [report["source"] for report in reports] == names
    assert [report["status"] for report in reports] == ["ok", "unreadable", "damaged", "ok", "ok"]
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "'missing.mp4'" in result.stderr


def test_check_reads_stdin():
    with open(SAMPLES / "h264_damaged.mp4", "rb") as file:
        result = cli("check", "-", stdin=file)
    assert result.returncode == 1 and result.stdout.startswith("-: damaged")
    result = cli("check", "-", pipe=(SAMPLES / "h264_nocues.mkv").read_bytes())
    assert result.returncode == 0 and result.stdout.startswith("-: ok\n  video #0 (h264): 120 frames")


def test_check_notes_a_gap_in_time(tmp_path):
    """Frames 20 to 29 of 60 cut out by the ffmpeg CLI (select, timestamps kept): a gap of 11
    frame times after frame 19, and nothing else."""
    clip = tmp_path / "gap.mkv"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2.4", "-vf",
                    "select='not(between(n,20,29))'", "-fps_mode", "passthrough", "-c:v", "ffv1", str(clip)],
                   check=True)
    [report] = json.loads(cli("check", clip, "--json").stdout)
    assert report["status"] == "ok"
    [stream] = report["streams"]
    assert stream["frames"] == 50
    assert [round(gap["after"], 3) for gap in stream["gaps"]] == [0.76]
    assert stream["gaps"][0]["seconds"] == pytest.approx(0.44, abs=0.002)


def test_check_takes_the_demuxers_errors_for_damage(tmp_path):
    """A Matroska file cut mid-cluster: the frames before the cut decode cleanly, and only the
    demuxer's log says the file is cut, as `ffmpeg -v error` prints it."""
    cut = cut_matroska(tmp_path)
    said = [line for line in ffmpeg_error_lines(cut, "v:0") if line.startswith("[matroska")]
    assert said and said[0].startswith("[matroska,webm] File ended prematurely")
    result = cli("check", cut, "--json")
    [report] = json.loads(result.stdout)
    [stream] = report["streams"]
    assert (report["status"], result.returncode) == ("damaged", 1)
    assert stream["demuxer_errors"] == said and stream["decoder_errors"] == []
    assert (stream["kind"], stream["frames"]) == oracle_frame_counts(str(cut))[0]
    assert not stream["corrupt_frames"] and not stream["decode_errors"] and stream["error"] is None
    text = cli("check", cut).stdout
    assert f'the demuxer says: "{said[0]}"' in text


def test_check_of_a_file_with_nothing_to_decode_says_so(tmp_path):
    subtitles = tmp_path / "talk.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,500\nhello\n")
    assert oracle_frame_counts(str(subtitles)) == []  # ffprobe: a file, but no video or audio in it
    result = cli("check", subtitles)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{subtitles}: ok", "  no video or audio stream to decode"]


def test_check_json_is_one_valid_document():
    result = cli("check", "h264_bframes.mp4", "mp3_mono.mp3", "--json")
    reports = json.loads(result.stdout)
    assert [report["streams"][0]["kind"] for report in reports] == ["video", "audio"]
    assert result.returncode == 0


# -- progress -------------------------------------------------------------------------------------

def run_on_a_terminal(*args):
    """Runs the command with stderr on a pseudo-terminal: (exit status, stdout, what the terminal got)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns, as a terminal has
    process = subprocess.Popen([sys.executable, "-m", "derenotes", *args], cwd=SAMPLES, stdout=subprocess.PIPE,
                               stderr=terminal, text=True, env=cli_environment())
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(controller)
    return process.returncode, stdout, shown.decode(errors="replace")


def test_a_progress_bar_shows_on_a_terminal_only():
    status, stdout, shown = run_on_a_terminal("check", "h264_opengop.mp4", "hevc_opengop.mp4")
    assert status == 0 and stdout.count(": ok") == 2
    assert re.search(r"check: +\d+%\|.*\| *\d+/\d+ \[", shown), shown  # done/total, then time and rate
    assert "frame/s" in shown
    assert run_on_a_terminal("check", "h264_opengop.mp4", "--quiet")[2] == ""
    piped = cli("check", "h264_opengop.mp4", "hevc_opengop.mp4")
    assert piped.stderr == "" and piped.stdout == stdout


def test_the_console_script_is_installed_with_the_package():
    """Where derenotes is installed (a wheel), its `derenotes` script runs the same command."""
    from importlib import metadata

    try:  # (entry_points(group=) is Python 3.10's)
        scripts = {entry.name: entry.value for entry in metadata.distribution("derenotes").entry_points
                   if entry.group == "console_scripts"}
    except metadata.PackageNotFoundError:
        scripts = {}
    if not scripts:
        pytest.skip("derenotes runs from the source tree here, not installed")
    assert scripts == {"derenotes": "derenotes.cli:console_script"}
    script = os.path.join(os.path.dirname(sys.executable), "derenotes")
    result = subprocess.run([script, "probe", "h264_bframes.mp4"], cwd=SAMPLES, capture_output=True, text=True)
    assert result.returncode == 0 and "h264" in result.stdout
