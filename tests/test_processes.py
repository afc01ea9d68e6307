"""Readers across processes: pickled readers reopen their source where they are unpickled; a
reader made before a fork works in the child (whose FFmpeg threads are gone); threads=None picks
one thread in worker processes. Frames are checked against the ffmpeg CLI."""
import io
import multiprocessing
import os
import pickle
import textwrap

import numpy as np
import pytest

import derenotes
from conftest import SAMPLES, ffmpeg_raw_frames, frame_bytes, run_isolated

CLIP = SAMPLES / "h264_bframes.mp4"  # B-frames: frame threading holds several frames in flight


def cli_frames(path=CLIP):
    raw = ffmpeg_raw_frames(path, 0, "yuv420p")
    with derenotes.VideoReader(path) as reader:
        size = reader.width * reader.height * 3 // 2
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def as_bytearray(path):
    return bytearray(path.read_bytes())


def as_memoryview(path):
    return memoryview(path.read_bytes())


@pytest.mark.parametrize("make_source", [str, os.fspath, lambda path: path, lambda path: path.read_bytes(),
                                         as_bytearray, as_memoryview, lambda path: io.BytesIO(path.read_bytes())],
                         ids=["str", "fspath", "Path", "bytes", "bytearray", "memoryview", "BytesIO"])
def test_a_pickled_reader_is_a_new_reader_of_the_same_source_and_arguments(make_source):
    expected = cli_frames()
    with derenotes.VideoReader(make_source(CLIP), threads=2, format="gray", width=64, height=48,
                               max_packets=5000, rotate=True) as reader:
        for _ in zip(range(7), reader):
            pass  # a reader part way through: the copy still starts at the first frame
        copy = pickle.loads(pickle.dumps(reader))
    with copy:
        assert (copy.threads, copy.max_packets, copy.rotate) == (2, 5000, True)
        assert [frame_bytes(frame) for frame in copy] == expected
        assert frame_bytes(copy[42]) == expected[42]
        assert next(iter(copy)).to_ndarray().shape == (48, 64)  # the conversion defaults came along


def test_a_pickled_audio_reader_reads_the_same_samples():
    with derenotes.AudioReader(SAMPLES / "two_audio_streams.mp4", stream=1) as reader:
        expected = reader.read(format="s16")
        copy = pickle.loads(pickle.dumps(reader))
    with copy:
        assert copy.stream == 1
        assert np.array_equal(copy.read(format="s16"), expected)


def test_readers_that_cannot_be_pickled_say_why():
    with open(CLIP, "rb") as file, derenotes.VideoReader(file) as reader:
        with pytest.raises(TypeError, match="give the reader the path"):
            pickle.dumps(reader)
    with pytest.raises(ValueError, match="closed"):
        pickle.dumps(reader)


# Each fork runs in a fresh interpreter (run_isolated): a reader whose child hangs on the parent's
# decoding threads fails the test by its timeout instead of stopping the run.
FORK_CHILD = """
    import hashlib, multiprocessing, pickle, sys
    import derenotes
    from conftest import frame_bytes

    def digests(frames):
        return [hashlib.sha1(frame_bytes(frame)).hexdigest() for frame in frames]

    def child(reader, results):
        results.put((digests(reader), digests([reader[60], reader[3]]), reader.threads))

    reader = derenotes.VideoReader(sys.argv[1], threads=4)
    first = digests([next(reader) for _ in range(5)])  # frame threads busy, frames in flight
    reader[30]  # random access's decoder and its threads too
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=child, args=(reader, results))
    process.start()
    in_child = results.get(timeout=60)
    process.join(60)
    rest = digests(reader)  # the parent's reader goes on undisturbed: a new loop from the first frame
    print(pickle.dumps((first, in_child, rest, process.exitcode)).hex())
"""


def test_a_reader_made_before_a_fork_works_in_the_child():
    import hashlib
    expected = [hashlib.sha1(frame).hexdigest() for frame in cli_frames()]
    result = run_isolated(FORK_CHILD, CLIP, timeout=120)
    assert result.returncode == 0, result.stderr
    first, (in_child, random_in_child, child_threads), rest, exitcode = pickle.loads(bytes.fromhex(result.stdout))
    assert exitcode == 0
    assert first == expected[:5]
    assert in_child == expected
    assert random_in_child == [expected[60], expected[3]]
    assert child_threads == 4  # asked for: kept
    assert rest == expected


def test_a_reader_made_before_a_fork_is_freed_in_the_child_without_waiting_on_its_threads():
    code = """
        import gc, multiprocessing, sys
        import derenotes
        reader = derenotes.VideoReader(sys.argv[1], threads=4)
        next(reader); reader[50]
        def close_it():
            reader.close()
        def drop_it():
            global reader
            del reader
            gc.collect()
        context = multiprocessing.get_context("fork")
        for target in (close_it, drop_it):
            process = context.Process(target=target)
            process.start()
            process.join(30)
            print(process.exitcode)
    """
    result = run_isolated(code, CLIP, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]


def test_after_a_fork_a_file_object_over_an_open_file_is_refused_clearly():
    code = """
        import multiprocessing, sys
        import derenotes
        file = open(sys.argv[1], "rb")
        reader = derenotes.VideoReader(file)
        next(reader)
        def child():
            try:
                next(reader)
            except RuntimeError as error:
                print("refused:", error, flush=True)
        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join(30)
        print(len(list(reader)))  # the parent's own reader goes on
    """
    result = run_isolated(code, CLIP, timeout=60)
    assert result.returncode == 0, result.stderr
    refusal, count = result.stdout.splitlines()
    assert "file object over an open file" in refusal and "give the reader the path" in refusal
    assert count == str(len(cli_frames()))


def worker_threads(reader):
    """Run in a spawned worker: the pickled reader's thread count and a fresh reader's there."""
    with derenotes.VideoReader(CLIP) as fresh:
        return reader.threads, fresh.threads, frame_bytes(reader[10])


def test_threads_none_picks_one_thread_in_worker_processes_and_omp_num_threads_when_set(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with derenotes.VideoReader(CLIP) as reader:
        assert reader.threads == 0  # the main process: FFmpeg's own count
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            assert pool.apply(worker_threads, (reader,)) == (1, 1, cli_frames()[10])
    assert derenotes.VideoReader(CLIP, threads=3).threads == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert derenotes.VideoReader(CLIP).threads == 2
    with pytest.raises(ValueError, match="threads"):
        derenotes.VideoReader(CLIP, threads=-1)


DATALOADER = """
    import sys
    import numpy as np
    import torch.utils.data
    import derenotes

    class Frames(torch.utils.data.Dataset):
        def __init__(self, path):
            self.reader = derenotes.VideoReader(path)  # made in the parent: pickled (spawn) or forked
            self.reader[0]  # used there too, so that a forked worker inherits live decoders

        def __len__(self):
            return len(self.reader)

        def __getitem__(self, index):
            frame = self.reader.get_frames([index], "rgb24", width=64, height=48)[0]
            return index, frame, self.reader.threads

    if __name__ == "__main__":
        loader = torch.utils.data.DataLoader(Frames(sys.argv[1]), batch_size=8, num_workers=2,
                                             multiprocessing_context=sys.argv[2], shuffle=True)
        indices, frames, threads = zip(*loader)
        order = torch.cat(indices).numpy()
        frames = torch.cat(frames).numpy()
        result = np.empty_like(frames)
        result[order] = frames
        threads = torch.cat(threads).numpy().astype(np.uint8)
        np.save(sys.stdout.buffer, np.concatenate([result.reshape(-1), threads]))
"""


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_torch_dataloader_workers_decode_exactly(context, tmp_path):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    import subprocess
    import sys
    scaled = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(CLIP), "-vf", "scale=64:48",
                             "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    script = tmp_path / "loader.py"  # a file: spawned workers import the Dataset class from it
    script.write_text(f"import sys; sys.path.insert(0, {str(SAMPLES.parent)!r})\n" + textwrap.dedent(DATALOADER))
    result = subprocess.run([sys.executable, str(script), str(CLIP), context],
                            capture_output=True, timeout=240, cwd=SAMPLES.parent)
    assert result.returncode == 0, result.stderr.decode()
    output = np.load(io.BytesIO(result.stdout))
    frames, threads = output[:len(scaled)], output[len(scaled):]
    assert frames.tobytes() == scaled
    assert set(threads) == {1}  # each worker decodes with one thread


def test_the_dataloader_example_runs_and_repeats_its_draws():
    pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    import subprocess
    import sys
    example = SAMPLES.parent / "examples" / "train_dataloader.py"
    runs = [subprocess.run([sys.executable, str(example), "--start-method", "fork"], capture_output=True, text=True,
                           timeout=240, cwd=SAMPLES.parent, env={**os.environ, "PYTHONPATH": str(SAMPLES.parent)})
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    lines = runs[0].stdout.splitlines()
    assert len(lines) == 4 and all("frames (3, 2, 8, 3, 112, 112) torch.float32" in line for line in lines)
    assert runs[1].stdout == runs[0].stdout  # torch.manual_seed(0): the same clips again
    assert len({line.split("first clip's frames")[1] for line in lines}) > 1  # but new draws each batch
