"""Bad input gets a clear exception naming the file and FFmpeg's reason; never a crash."""
import errno
import io
import json
import logging
import random
import subprocess
import threading

import pytest

import derenotes
from conftest import CLIP_FFMPEG, DEMO_CLIP, MANIFEST, SAMPLES, cut_matroska, ffmpeg_error_lines, run_isolated


def open_error(path, **options):
    with pytest.raises(derenotes.DerenotesError) as info:
        derenotes.VideoReader(path, **options)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    return info.value


def test_missing_file_is_file_not_found(tmp_path):
    error = open_error(tmp_path / "missing.mp4")
    assert isinstance(error, FileNotFoundError) and error.errno == errno.ENOENT
    assert error.filename == str(tmp_path / "missing.mp4")
    assert "No such file or directory" in str(error)


def test_directory_is_is_a_directory_error(tmp_path):
    error = open_error(tmp_path)
    assert isinstance(error, IsADirectoryError) and error.errno == errno.EISDIR


def test_unreadable_file_is_permission_error(tmp_path):
    path = tmp_path / "unreadable.mp4"
    path.write_bytes(DEMO_CLIP.read_bytes())
    path.chmod(0)
    tmp_path.chmod(0o755)
    # Root reads any file: drop to an unprivileged user once the module is loaded.
    result = run_isolated("""
        import os, sys
        import derenotes
        if os.geteuid() == 0:
            os.setgid(65534); os.setuid(65534)
        try:
            derenotes.VideoReader(sys.argv[1])
        except PermissionError as error:
            assert isinstance(error, derenotes.DerenotesError), type(error)
            assert sys.argv[1] in str(error), str(error)
            print("PermissionError", error.errno)
        """, path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PermissionError", str(errno.EACCES)]


@pytest.mark.parametrize("content", [b"", b"this is a text file, not a video\n" * 20, bytes(range(256)) * 64],
                         ids=["empty", "text", "binary-noise"])
def test_files_ffmpeg_cannot_read_are_decode_errors(tmp_path, content):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    error = open_error(path)
    assert isinstance(error, derenotes.DecodeError) and isinstance(error, ValueError)
    assert error.reason and error.reason in str(error)
    assert error.code < 0


def test_truncated_header_names_ffmpegs_reason(tmp_path):
    path = tmp_path / "truncated.mp4"
    data = DEMO_CLIP.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # the moov box is at the end of this MP4
    error = open_error(path)
    assert isinstance(error, derenotes.DecodeError)
    assert "moov atom not found" in error.log and "moov atom not found" in str(error)


def test_file_without_video_says_so(tmp_path):
    path = tmp_path / "audio.wav"
    subprocess.run([CLIP_FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2", str(path)], check=True)
    error = open_error(path)
    assert isinstance(error, derenotes.StreamNotFoundError) and isinstance(error, IndexError)
    assert "no video stream" in str(error)


def test_stream_out_of_range_says_how_many_there_are():
    path = SAMPLES / "audio_first.mkv"
    error = open_error(path, stream=2)
    assert isinstance(error, IndexError)
    assert "no video stream 2, only 0 to 1: the file has 2 video streams (h264, mjpeg) and 1 audio stream" in str(error)
    assert isinstance(open_error(path, stream=-1), IndexError)


def stream_kinds(path):
    """ffprobe's streams of `path` by kind, in the order the kinds first appear: {kind: [name, ...]},
    each stream named by its file name (an attachment's), else its codec, else its tag (tmcd)."""
    args = ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)]
    kinds = {}
    for stream in json.loads(subprocess.run(args, check=True, capture_output=True).stdout)["streams"]:
        tagged = stream["codec_tag_string"] if int(stream["codec_tag"], 16) else None
        filename = stream.get("tags", {}).get("filename") if stream["codec_type"] == "attachment" else None
        name = filename or stream.get("codec_name") or tagged or "unknown"
        kinds.setdefault(stream["codec_type"], []).append(name)
    return kinds


def counted(kind, names):
    noun = "attachment" if kind == "attachment" else f"{kind} stream"
    return f"{len(names)} {noun}{'' if len(names) == 1 else 's'} ({', '.join(names)})"


@pytest.mark.parametrize("name", [*MANIFEST["clips"], *MANIFEST["regressions"]])
@pytest.mark.parametrize("kind", ["video", "audio"])
def test_a_missing_stream_says_what_streams_the_file_has(name, kind):
    # One past the file's streams of the kind (none: stream 0): the message lists every kind the
    # file has, with each stream's codec, the kind asked for first, as ffprobe lists them.
    path = SAMPLES / name
    kinds = stream_kinds(path)
    number = len(kinds.get(kind, []))
    reader = derenotes.VideoReader if kind == "video" else derenotes.AudioReader
    with pytest.raises(derenotes.StreamNotFoundError) as info:
        reader(path, stream=number)
    message = str(info.value)
    others = [counted(other, names) for other, names in kinds.items() if other != kind]
    if number:
        asked = counted(kind, kinds[kind])
        listed = ", ".join([asked, *others][:-1]) + " and " + others[-1] if others else asked
        assert f"no {kind} stream {number}, only {'0 to ' if number > 1 else ''}{number - 1}: the file has {listed}" in message
    else:
        listed = ", ".join(others[:-1]) + " and " + others[-1] if len(others) > 1 else others[0]
        assert f"the file has no {kind} stream, only {listed}" in message


def test_a_file_of_streams_of_every_kind_names_them_all():
    with pytest.raises(derenotes.StreamNotFoundError) as info:
        derenotes.AudioReader(SAMPLES / "streams_tagged.mkv", stream=2)
    assert ("no audio stream 2, only 0 to 1: the file has 2 audio streams (aac, flac), 1 video stream (h264), "
            "2 subtitle streams (subrip, ass) and 1 attachment (notes.txt)") in str(info.value)
    with pytest.raises(derenotes.StreamNotFoundError, match=r"1 subtitle stream \(mov_text\) and 1 data stream \(tmcd\)"):
        derenotes.VideoReader(io.BytesIO((SAMPLES / "streams_timecode.mp4").read_bytes()), stream=1)


def test_invalid_thread_count_is_a_value_error():
    with pytest.raises(ValueError, match="threads"):
        derenotes.VideoReader(DEMO_CLIP, threads=-1)


def corrupt_copy(source, target, start, stop, seed=1):
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    for i in range(int(len(data) * start), int(len(data) * stop)):
        data[i] = rng.randrange(256)
    target.write_bytes(bytes(data))


DECODE_ALL = """
    import sys, derenotes
    frames = corrupt = decode_errors = 0
    try:
        with derenotes.VideoReader(sys.argv[1]) as reader:
            for frame in reader:
                frames += 1
                corrupt += frame.corrupt
                for plane in frame.planes:
                    bytes(plane)
            decode_errors = reader.decode_errors
        ending = "end"
    except derenotes.DerenotesError as error:
        ending = type(error).__name__
    print(frames, corrupt, decode_errors, ending)
    """


def test_corrupt_data_mid_stream_decodes_what_it_can_and_marks_damage(tmp_path):
    path = tmp_path / "corrupt.mp4"
    corrupt_copy(DEMO_CLIP, path, 0.3, 0.6)
    result = run_isolated(DECODE_ALL, path)
    assert result.returncode == 0, result.stderr
    frames, corrupt, decode_errors, ending = result.stdout.split()
    assert 0 < int(frames) < 100 and ending == "end"
    assert int(corrupt) > 0 and int(decode_errors) > 0


def test_ffmpeg_log_goes_to_python_logging_not_stderr(tmp_path):
    path = tmp_path / "truncated.mp4"
    data = DEMO_CLIP.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    result = run_isolated("""
        import logging, sys, derenotes
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logging.getLogger("derenotes").addHandler(handler)
        try:
            derenotes.VideoReader(sys.argv[1])
        except derenotes.DecodeError:
            pass
        for record in records:
            print(record.levelname, record.getMessage())
        """, path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert "ERROR [mov,mp4,m4a,3gp,3g2,mj2] moov atom not found" in result.stdout.splitlines()


def test_ffmpeg_says_nothing_on_stderr_when_the_application_configures_no_logging(tmp_path):
    # No handler anywhere, logging not even imported: the NullHandler derenotes puts on its logger
    # when FFmpeg first speaks keeps logging's last resort from printing the complaint.
    path = tmp_path / "truncated.mp4"
    data = DEMO_CLIP.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    result = run_isolated("""
        import sys, derenotes
        assert "logging" not in sys.modules
        try:
            derenotes.VideoReader(sys.argv[1])
        except derenotes.DecodeError as error:
            print(error.log)
        """, path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "moov atom not found" in result.stdout


def test_importing_derenotes_leaves_what_it_does_not_need_yet():
    # Start-up is part of every `derenotes check` and worker process: logging comes with FFmpeg's
    # first message, probe()'s dataclasses with the first probe().
    result = run_isolated("""
        import sys, derenotes
        print(*sorted({"logging", "dataclasses", "typing", "derenotes._probe"} & set(sys.modules)))
        print(derenotes.probe.__module__, derenotes.StreamInfo.__name__, "probe" in dir(derenotes))
        from derenotes import MediaInfo
        print(MediaInfo.__name__)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["", "derenotes._probe StreamInfo True", "MediaInfo"]
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        derenotes.nonesuch


@pytest.mark.parametrize("name", ["h264_damaged.mp4", "h264_truncated.mp4", "cinepak_badkey.mov", "aac_damaged.aac",
                                  "rv20_damaged.rm", "h264_editlist.mp4", "cut.mkv"])
def test_a_reader_keeps_the_error_lines_ffmpeg_prints_about_its_file_and_stream(name, tmp_path):
    path = cut_matroska(tmp_path) if name == "cut.mkv" else SAMPLES / name
    audio = name.endswith(".aac")
    with (derenotes.AudioReader if audio else derenotes.VideoReader)(path) as reader:
        try:
            for _ in reader:
                pass
        except derenotes.DecodeError:
            pass  # rv20_damaged.rm stops at its junk, where the CLI goes on (and says the same again)
        ours = reader.ffmpeg_errors
        own_contexts = (f"[{reader.codec}]", f"[{derenotes.probe(path).format}]")
    # Ours are among the CLI's lines. Not all of those are a reader's: libavformat's parsers log
    # under the codec's name from FFmpeg 7 on ("[NULL]" before), and FFmpeg 7's CLI says things of
    # its own under the demuxer's ("Error during demuxing").
    assert ours and all(line.startswith(own_contexts) for line in ours)
    assert set(ours) <= set(ffmpeg_error_lines(path, "a:0" if audio else "v:0"))


def test_ffmpeg_errors_are_kept_whatever_the_log_level_for_each_reader_and_iteration(tmp_path):
    cut = cut_matroska(tmp_path)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("derenotes").addHandler(handler)
    before = derenotes.get_log_level()
    derenotes.set_log_level(None)
    try:
        with derenotes.VideoReader(cut) as damaged, derenotes.VideoReader(SAMPLES / "h264_nocues.mkv") as whole:
            for _ in range(2):  # each iteration reopens the file and starts a new list
                threads = [threading.Thread(target=lambda reader=reader: [None for _ in reader]) for reader in
                           (damaged, whole)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                assert len(damaged.ffmpeg_errors) == 1
                assert damaged.ffmpeg_errors[0].startswith("[matroska,webm] File ended prematurely")
                assert whole.ffmpeg_errors == ()
    finally:
        derenotes.set_log_level(before)
        logging.getLogger("derenotes").removeHandler(handler)
    assert records == []  # silenced: nothing reached the logger


def test_log_level_is_settable():
    before = derenotes.get_log_level()
    try:
        derenotes.set_log_level(logging.DEBUG)
        assert derenotes.get_log_level() == logging.DEBUG
        derenotes.set_log_level(None)
        assert derenotes.get_log_level() is None
    finally:
        derenotes.set_log_level(before)
    assert derenotes.get_log_level() == logging.WARNING == before


def test_what_ffmpeg_logs_while_converting_reaches_python_when_the_call_returns():
    # Every call into C++ forwards the log as it returns, to_ndarray too: swscale says why it
    # converts an odd output size the way it does.
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("derenotes")
    before = derenotes.get_log_level(), logger.level
    logger.addHandler(handler)
    try:
        with derenotes.VideoReader(DEMO_CLIP) as reader:
            frame = next(iter(reader))
            logger.setLevel(logging.DEBUG)
            derenotes.set_log_level(logging.DEBUG)
            records.clear()
            frame.to_ndarray("rgb24", width=35, height=19)  # a size no other test asks for: a new swscale context
            swscale = [record.getMessage() for record in records if "[swscaler]" in record.getMessage()]
    finally:
        logger.removeHandler(handler)
        derenotes.set_log_level(before[0])
        logger.setLevel(before[1])
    assert swscale, [record.getMessage() for record in records]
