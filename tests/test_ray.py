"""derenotes.ray.read_videos: a Ray Dataset of the frames of video files. Its rows are checked
against VideoReader.get_frames and frame_times computed here, in the test process, on an MP4, a
Matroska file without Cues and an MPEG-TS file: every frame once, in every mode (every frame,
frames=, a sampler), with files cut into several read tasks, with wrong estimates, through a
non-local pyarrow filesystem; and its columns against ray.data.read_videos' own. One local Ray
cluster of 2 CPUs serves the module."""
import collections
import copy
import dataclasses
import functools
import inspect
import shutil
import sys

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install derenotes[ray]")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install derenotes[ray]")

import pyarrow.fs  # noqa: E402  (Ray Data needs pyarrow)
from ray.data.block import BlockAccessor  # noqa: E402
from ray.data.context import DataContext  # noqa: E402

import derenotes  # noqa: E402
import derenotes.ray  # noqa: E402
from conftest import SAMPLES, run_isolated  # noqa: E402

CLIPS = ["h264_bframes.mp4", "h264_nocues.mkv", "h264.ts"]  # MP4, Matroska without Cues, MPEG-TS
PATHS = [str(SAMPLES / name) for name in CLIPS]
SIZES = [None, (64, 48)]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # The workers cannot import this module (tests/ is not on their path): what they run from it,
    # the test sampler, goes to them by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    yield
    ray.shutdown()


@functools.lru_cache(maxsize=None)
def expected(path, width=None, height=None, indices=None):
    """(frames, times, count) of a file by VideoReader, here: `indices` (all when None)."""
    with derenotes.VideoReader(path) as reader:
        count = len(reader)
        numbers = list(range(count)) if indices is None else list(indices)
        frames = reader.get_frames(numbers, "rgb24", width=width, height=height)
        times = reader.frame_times
    return frames, [times[number] for number in numbers], count


def rows_by_path(dataset):
    """{path: rows ordered by frame_index}, every column of every row (Ray does not keep order)."""
    rows = collections.defaultdict(list)
    for row in dataset.take_all():
        rows[row["path"]].append(row)
    return {path: sorted(found, key=lambda row: row["frame_index"]) for path, found in rows.items()}


def check_every_frame_once(dataset, paths, width=None, height=None, timestamps=True):
    rows = rows_by_path(dataset)
    assert sorted(rows) == sorted(paths)
    for path in paths:
        frames, times, count = expected(path, width, height)
        found = rows[path]
        assert [row["frame_index"] for row in found] == list(range(count)), path
        assert np.array_equal(np.stack([row["frame"] for row in found]), frames), path
        if timestamps:
            assert [row["frame_timestamp"] for row in found] == times, path


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "resized" if size else "own-size")
def test_every_frame_of_each_container_once_with_all_columns(size):
    width, height = size or (None, None)
    dataset = derenotes.ray.read_videos(PATHS, width=width, height=height, include_timestamps=True,
                                        include_paths=True)
    check_every_frame_once(dataset, PATHS, width, height)
    row = dataset.take(1)[0]
    assert list(row) == ["frame", "frame_index", "frame_timestamp", "path"]
    assert row["frame"].dtype == np.uint8 and row["frame"].ndim == 3 and row["frame"].shape[2] == 3
    assert isinstance(row["frame_timestamp"], float)  # float64, a scalar: see docs/ray.md


def test_small_frames_per_task_cuts_a_file_into_several_tasks_and_reads_every_frame_once():
    datasource = derenotes.ray.VideoDatasource(PATHS, frames_per_task=16, width=64, height=48)
    tasks = datasource.get_read_tasks(1)
    per_file = collections.Counter(task.metadata.input_files[0] for task in tasks)
    # 100 frames in the MP4's header, 4.8 s at 25 fps in the TS's: 7 and 8 ranges of 16. The MKV
    # without Cues tells neither count nor duration: one task.
    assert [per_file[path] for path in PATHS] == [7, 1, 8]
    assert [task.metadata.num_rows for task in tasks if task.metadata.input_files[0] == PATHS[0]] == [16] * 6 + [4]
    assert all(task.metadata.size_bytes == task.metadata.num_rows * (64 * 48 * 3 + 8) for task in tasks
               if task.metadata.num_rows is not None)
    assert datasource.estimate_inmemory_data_size() is None  # the MKV's size is unknown
    dataset = derenotes.ray.read_videos(PATHS, frames_per_task=16, width=64, height=48, include_timestamps=True,
                                        include_paths=True)
    check_every_frame_once(dataset, PATHS, 64, 48)


def test_estimates_that_are_wrong_still_give_every_frame_once(monkeypatch):
    truncated = str(SAMPLES / "h264_truncated.mp4")  # its header says 60 frames; 59 decode
    with derenotes.VideoReader(truncated) as reader:
        assert (reader.frame_count, len(reader)) == (60, 59)
    datasource = derenotes.ray.VideoDatasource([truncated], frames_per_task=20)
    assert [task.metadata.num_rows for task in datasource.get_read_tasks(1)] == [20, 20, 20]

    # Estimates far off both ways, made on the driver and carried by the tasks to the workers:
    # 37 frames for the 100 of the MP4 (its last task reads 64 more), 500 for the TS's 120 (its
    # tasks past the end read nothing).
    read_header = derenotes.ray._read_header
    wrong = {PATHS[0]: 37, PATHS[2]: 500}

    def wrong_header(options, file):
        header = read_header(options, file)
        return dataclasses.replace(header, frames=wrong.get(file.path, header.frames))

    monkeypatch.setattr(derenotes.ray, "_read_header", wrong_header)
    datasource = derenotes.ray.VideoDatasource(PATHS + [truncated], frames_per_task=16, width=64, height=48,
                                               include_paths=True)
    per_file = collections.Counter(task.metadata.input_files[0] for task in datasource.get_read_tasks(1))
    assert [per_file[path] for path in PATHS + [truncated]] == [3, 1, 32, 4]
    check_every_frame_once(ray.data.read_datasource(datasource), PATHS + [truncated], 64, 48, timestamps=False)


def test_a_damaged_file_gives_the_frames_decoding_finds_not_those_its_packets_list():
    # Its packets list 60 frames, decoding finds 59: the task that reaches the end learns so and
    # counts its frames again. The reference decodes the whole file first (index="decode").
    damaged = str(SAMPLES / "h264_damaged.mp4")
    with derenotes.VideoReader(damaged, index="decode") as reader:
        count = len(reader)
        frames = reader.get_frames(range(count), "rgb24", width=32, height=24)
    with derenotes.VideoReader(damaged) as reader:
        assert (len(reader), count) == (60, 59)
    for frames_per_task in (7, None):
        datasource = derenotes.ray.VideoDatasource(damaged, frames_per_task=frames_per_task, width=32, height=24)
        batches = [BlockAccessor.for_block(block).to_batch_format("numpy")
                   for task in datasource.get_read_tasks(1) for block in task()]
        assert np.concatenate([batch["frame_index"] for batch in batches]).tolist() == list(range(count))
        assert np.array_equal(np.concatenate([batch["frame"] for batch in batches]), frames)


def test_blocks_hold_at_most_the_target_size():
    context = copy.copy(DataContext.get_current())  # DataContext.copy() is Ray 2.4x's
    frame_bytes = 64 * 48 * 3
    context.target_max_block_size = 5 * frame_bytes + 100
    datasource = derenotes.ray.VideoDatasource(PATHS, width=64, height=48, frames_per_task=32)
    rows = 0
    for task in datasource.get_read_tasks(1, data_context=context):
        blocks = list(task())
        sizes = [BlockAccessor.for_block(block).num_rows() for block in blocks]
        assert sizes and all(size == 5 for size in sizes[:-1]) and 1 <= sizes[-1] <= 5
        rows += sum(sizes)
    assert rows == 100 + 120 + 120


@pytest.mark.parametrize("frames", [[0, -1, 5, 5, 17, 99], slice(3, None, 7), range(90, 10, -13)],
                         ids=["list", "slice", "range"])
def test_frames_selects_the_same_frames_of_every_file(frames):
    paths = [PATHS[0], PATHS[2]]  # 100 and 120 frames
    dataset = derenotes.ray.read_videos(paths, frames=frames, frames_per_task=2, width=64, height=48,
                                        include_timestamps=True, include_paths=True)
    rows = rows_by_path(dataset)
    for path in paths:
        count = expected(path)[2]
        if isinstance(frames, list):
            numbers = list(frames)
        else:  # as reader[a:b:step] selects: a range as the slice of its start, stop and step
            as_slice = frames if isinstance(frames, slice) else slice(frames.start, frames.stop, frames.step)
            numbers = list(range(count))[as_slice]
        numbers = sorted(number % count for number in numbers)
        found = rows[path]
        assert [row["frame_index"] for row in found] == numbers, path
        pictures, times, _ = expected(path, 64, 48, tuple(numbers))
        assert np.array_equal(np.stack([row["frame"] for row in found]), pictures), path
        assert [row["frame_timestamp"] for row in found] == times, path


def test_an_index_a_file_does_not_have_raises_naming_the_file():
    dataset = derenotes.ray.read_videos([PATHS[0]], frames=[100])  # frames 0 to 99
    with pytest.raises(derenotes.FrameNotFoundError, match="h264_bframes.mp4"):
        dataset.take_all()


@dataclasses.dataclass
class Clips:
    data: np.ndarray
    indices: np.ndarray
    times: np.ndarray


def evenly_spread_clips(reader, *, format, width, height, num_clips, frames_per_clip):
    """A sampler as derenotes.samplers' are: num_clips clips of consecutive frames, spread evenly."""
    starts = np.linspace(0, len(reader) - frames_per_clip, num_clips).astype(np.int64)
    indices = starts[:, None] + np.arange(frames_per_clip)
    data = reader.get_frames(indices.ravel().tolist(), format, width=width, height=height)
    times = np.array(reader.frame_times)[indices]
    return Clips(data.reshape(indices.shape + data.shape[1:]), indices, times)


def test_a_sampler_gives_a_row_per_frame_of_each_clip():
    sampler = functools.partial(evenly_spread_clips, num_clips=3, frames_per_clip=4)
    datasource = derenotes.ray.VideoDatasource(PATHS, sampler=sampler, frames_per_task=16)
    assert len(datasource.get_read_tasks(1)) == len(PATHS)  # one task per file
    dataset = derenotes.ray.read_videos(PATHS, sampler=sampler, width=64, height=48, include_timestamps=True,
                                        include_paths=True)
    rows = collections.defaultdict(list)
    for row in dataset.take_all():
        rows[row["path"]].append(row)
    assert list(dataset.take(1)[0]) == ["frame", "frame_index", "clip", "frame_timestamp", "path"]
    for path in PATHS:
        found = sorted(rows[path], key=lambda row: (row["clip"], row["frame_index"]))
        count = expected(path)[2]
        starts = np.linspace(0, count - 4, 3).astype(np.int64)
        numbers = [int(start) + offset for start in starts for offset in range(4)]
        assert [(row["clip"], row["frame_index"]) for row in found] == [(clip, numbers[clip * 4 + offset])
                                                                       for clip in range(3) for offset in range(4)]
        pictures, times, _ = expected(path, 64, 48, tuple(numbers))
        assert np.array_equal(np.stack([row["frame"] for row in found]), pictures), path
        assert [row["frame_timestamp"] for row in found] == times, path


def copy_samples(directory):
    """The three clips under directory/videos/, two of them a level deeper, plus files that are
    not videos or hidden: what a directory search must skip."""
    (directory / "videos" / "more").mkdir(parents=True)
    (directory / "videos" / ".hidden").mkdir()
    shutil.copy(PATHS[0], directory / "videos" / CLIPS[0])
    shutil.copy(PATHS[1], directory / "videos" / "more" / CLIPS[1])
    shutil.copy(PATHS[2], directory / "videos" / "more" / CLIPS[2].replace(".ts", ".TS"))
    shutil.copy(PATHS[0], directory / "videos" / ".hidden" / CLIPS[0])
    shutil.copy(PATHS[0], directory / "videos" / ".hidden.mp4")
    (directory / "videos" / "notes.txt").write_text("not a video")
    return ["videos/" + CLIPS[0], "videos/more/" + CLIPS[1], "videos/more/" + CLIPS[2].replace(".ts", ".TS")]


def test_directories_are_searched_recursively_for_video_files(tmp_path):
    found = copy_samples(tmp_path)
    datasource = derenotes.ray.VideoDatasource(tmp_path / "videos")
    assert [task.metadata.input_files[0] for task in datasource.get_read_tasks(1)] == sorted(
        str(tmp_path / name) for name in found)
    with pytest.raises(FileNotFoundError, match="no video files"):
        derenotes.ray.VideoDatasource(tmp_path / "videos", file_extensions=["avi"])
    with pytest.raises(FileNotFoundError, match="missing"):
        derenotes.ray.VideoDatasource(tmp_path / "missing")


def test_a_non_local_filesystem_is_read_through_its_file_objects(tmp_path):
    # A SubTreeFileSystem is not a LocalFileSystem, so its files go to the reader as file objects:
    # and its paths ("videos/...") are no file a worker could open by name.
    found = copy_samples(tmp_path)
    filesystem = pyarrow.fs.SubTreeFileSystem(str(tmp_path), pyarrow.fs.LocalFileSystem())
    dataset = derenotes.ray.read_videos("videos", filesystem=filesystem, frames_per_task=50, width=64, height=48,
                                        include_timestamps=True, include_paths=True)
    rows = rows_by_path(dataset)
    assert sorted(rows) == sorted(found)
    for name, path in zip(found, PATHS):
        frames, times, count = expected(path, 64, 48)
        assert [row["frame_index"] for row in rows[name]] == list(range(count))
        assert np.array_equal(np.stack([row["frame"] for row in rows[name]]), frames), name
        assert [row["frame_timestamp"] for row in rows[name]] == times, name


def test_file_objects_are_what_the_reader_gets_from_a_pyarrow_filesystem(monkeypatch):
    # In this process: an fsspec memory filesystem, whose files exist nowhere else, and a spy on
    # what VideoReader is given.
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for name, path in zip(CLIPS, PATHS):
        memory.pipe(f"/clips/{name}", open(path, "rb").read())
    filesystem = pyarrow.fs.PyFileSystem(pyarrow.fs.FSSpecHandler(memory))
    sources = []

    def spy(source, **options):
        sources.append(source)
        return derenotes.VideoReader(source, **options)

    monkeypatch.setattr(derenotes.ray, "VideoReader", spy)
    datasource = derenotes.ray.VideoDatasource("/clips", filesystem=filesystem, frames_per_task=50, width=64,
                                               height=48)
    tasks = datasource.get_read_tasks(1)
    rows = collections.defaultdict(list)
    for task in tasks:
        for block in task():
            for row in BlockAccessor.for_block(block).iter_rows(public_row_format=False):
                rows[task.metadata.input_files[0]].append(row)
    assert sources and all(isinstance(source, derenotes.ray.PyArrowFile) for source in sources)
    assert len(sources) == len(CLIPS) + len(tasks)  # a header read per file, then one per task
    for name, path in zip(CLIPS, PATHS):
        frames, _, count = expected(path, 64, 48)
        found = sorted(rows[f"/clips/{name}"], key=lambda row: row["frame_index"])
        assert [row["frame_index"] for row in found] == list(range(count))
        assert np.array_equal(np.stack([row["frame"] for row in found]), frames), name
    # Read ahead: far fewer reads of the pyarrow file than the reader's 256 KiB reads would be.
    mp4 = [source for source in sources if source.name.endswith(".mp4")]
    assert mp4 and all(source.raw_reads == 1 for source in mp4)  # 282 KB: one read of 4 MiB


def test_the_read_ahead_file_reads_what_the_file_holds():
    data = open(PATHS[0], "rb").read()
    random = np.random.default_rng(7)
    with pyarrow.fs.LocalFileSystem().open_input_file(PATHS[0]) as opened:
        file = derenotes.ray.PyArrowFile(opened, PATHS[0], read_ahead=10_000)
        for _ in range(2000):
            whence = int(random.integers(3))  # SEEK_SET, SEEK_CUR, SEEK_END
            low, high = [(0, len(data) + 100), (-50_000, 50_000), (-len(data) - 100, 100)][whence]
            offset = int(random.integers(low, high))
            base = [0, file.tell(), len(data)][whence]
            if base + offset < 0:
                with pytest.raises(ValueError):
                    file.seek(offset, whence)
                continue
            assert file.seek(offset, whence) == base + offset == file.tell()
            for _ in range(3):  # reads one after another, as FFmpeg's
                position = file.tell()
                size = int(random.integers(30_000))
                chunk = file.read(size)
                assert chunk == data[position:position + len(chunk)]
                assert 0 < len(chunk) <= size or position >= len(data) or size == 0  # short, never empty mid-file
                assert file.tell() == position + len(chunk)
        file.seek(100)
        assert file.read() == data[100:]


def test_a_file_that_is_not_a_video_raises_naming_it(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video at all\n" * 100)
    # Planning opens the file: the error comes from read_videos itself.
    with pytest.raises(derenotes.DecodeError, match="notes.mp4"):
        derenotes.ray.read_videos([PATHS[0], str(bad)])
    # With nothing opened before the read, the read task raises it, through Ray.
    dataset = derenotes.ray.read_videos([PATHS[0], str(bad)], frames_per_task=None)
    with pytest.raises(derenotes.DecodeError, match="notes.mp4"):
        dataset.take_all()


def test_without_ray_the_import_error_says_what_to_install():
    result = run_isolated("""
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        try:
            import derenotes.ray
        except ImportError as error:
            print(error)
    """)
    assert "pip install derenotes[ray]" in result.stdout, result.stdout + result.stderr


def test_arguments_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="not both"):
        derenotes.ray.VideoDatasource(PATHS, frames=[0], sampler=lambda reader, **options: None)
    with pytest.raises(ValueError, match="width"):
        derenotes.ray.VideoDatasource(PATHS, reader_options={"width": 64})
    with pytest.raises(ValueError, match="frames_per_task"):
        derenotes.ray.VideoDatasource(PATHS, frames_per_task=0)
    with pytest.raises(ValueError, match="step"):
        derenotes.ray.VideoDatasource(PATHS, frames=slice(None, None, 0))
    with pytest.raises(ValueError, match="width and height"):
        derenotes.ray.VideoDatasource(PATHS, width=-1)


def test_readers_in_ray_tasks_decode_with_the_cpus_each_task_reserves():
    def threads_in_a_task():
        with derenotes.VideoReader(PATHS[0]) as reader:  # threads=None, as read_videos' readers
            return reader.threads

    assert ray.get(ray.remote(num_cpus=1)(threads_in_a_task).remote()) == 1
    assert ray.get(ray.remote(num_cpus=2)(threads_in_a_task).remote()) == 2
    # read_videos' tasks take twice that (docs/ray.md, Threads).
    assert ray.get(ray.remote(num_cpus=1)(derenotes.ray._task_threads).remote()) == 2
    assert ray.get(ray.remote(num_cpus=2)(derenotes.ray._task_threads).remote()) == 4


def test_reader_options_reach_the_reader(monkeypatch):
    given = []

    def spy(source, **options):
        given.append(options)
        return derenotes.VideoReader(source, **options)

    monkeypatch.setattr(derenotes.ray, "VideoReader", spy)
    for reader_options, threads in [(None, derenotes.ray._task_threads()), ({"threads": 3, "index": "decode"}, 3),
                                    ({"threads": None}, None)]:
        given.clear()
        datasource = derenotes.ray.VideoDatasource([PATHS[0]], frames=[0], reader_options=reader_options)
        for task in datasource.get_read_tasks(1):
            list(task())
        assert given[-1].get("threads") == threads and given[-1].get("index") == (reader_options or {}).get("index")


def test_the_columns_and_types_are_those_of_ray_data_read_videos():
    pytest.importorskip("decord", reason="ray.data.read_videos decodes with decord")
    if "resize" not in inspect.signature(ray.data.read_videos).parameters:  # Python 3.9's newest Ray, 2.51
        pytest.skip(f"Ray {ray.__version__}'s read_videos has no resize")
    theirs = ray.data.read_videos(PATHS[0], resize=(48, 64), include_paths=True)
    ours = derenotes.ray.read_videos(PATHS[0], width=64, height=48, include_paths=True)
    their_schema, our_schema = theirs.schema(), ours.schema()
    assert our_schema.names == their_schema.names == ["frame", "frame_index", "path"]
    assert [str(kind) for kind in our_schema.types] == [str(kind) for kind in their_schema.types]
    their_row, our_row = theirs.take(1)[0], ours.take(1)[0]
    assert {name: (type(value), getattr(value, "dtype", None), getattr(value, "shape", None))
            for name, value in our_row.items()} == {
        name: (type(value), getattr(value, "dtype", None), getattr(value, "shape", None))
        for name, value in their_row.items()}
    assert our_row["path"] == their_row["path"] == PATHS[0]


def test_ray_data_read_videos_fails_on_matroska_without_cues_which_ours_reads():
    # docs/ray.md says so: decord cannot measure such a file (decord 0.6.0, Ray 2.60).
    pytest.importorskip("decord", reason="ray.data.read_videos decodes with decord")
    with pytest.raises(Exception, match="broken metadata"):
        ray.data.read_videos(PATHS[1]).take_all()
    assert derenotes.ray.read_videos(PATHS[1]).count() == expected(PATHS[1])[2]
