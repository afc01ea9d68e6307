"""derenotes.ray: video files as a Ray Dataset of frames, decoded by derenotes (docs/ray.md).

    import derenotes.ray
    ds = derenotes.ray.read_videos("s3://bucket/videos/", width=224, height=224)
    for batch in ds.iter_batches(batch_size=32):
        batch["frame"]                    # (32, 224, 224, 3) uint8

Rows are those of ray.data.read_videos (frame, frame_index, and frame_timestamp and path when
asked for), but a long video is read by many tasks, each decoding one range of its frames, and a
file is read where it is (a path FFmpeg opens, or a pyarrow file), never whole into memory.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import math
import operator
import os
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable, Optional, Protocol, Union

import numpy as np

try:
    import pyarrow.fs
    from ray.data import Dataset, read_datasource
    from ray.data.block import Block, BlockAccessor, BlockMetadata
    from ray.data.context import DataContext
    from ray.data.datasource import Datasource, ReadTask
except ImportError as _error:  # the module is for Ray: say how to get it
    raise ImportError(f"derenotes.ray needs Ray Data, which did not import ({_error}): "
                      "pip install derenotes[ray]") from _error

from derenotes import _indexing
from derenotes._pyarrow_file import READ_AHEAD_BYTES, PyArrowFile
from derenotes.errors import FrameNotFoundError
from derenotes.libs.image.video import VideoReader

__all__ = ["read_videos", "VideoDatasource", "SampledClips", "DEFAULT_FRAMES_PER_TASK", "VIDEO_EXTENSIONS",
           "READ_AHEAD_BYTES"]

# Frames one read task decodes. A task starts decoding at the key frame before its first frame, so
# it decodes half a GOP more than it returns, on average: 512 frames keep that to about 6% for
# 2-second GOPs and 25% for x264's default of 250 frames, and still give a 1-minute 30 fps video
# 4 tasks to run side by side. Memory is not at stake: a task hands out blocks as it decodes.
DEFAULT_FRAMES_PER_TASK = 512

# What a directory is searched for: the names of containers FFmpeg reads video from.
VIDEO_EXTENSIONS = ("mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "asf", "flv", "f4v", "3gp", "3g2", "mpeg",
                    "mpg", "ts", "m2ts", "mts", "vob", "ogv", "mxf", "rm", "rmvb", "divx", "xvid", "nut", "y4m")

# Bytes per pixel of the common formats, for estimates made before a frame is decoded; others are
# taken as 16 (rgbaf32, the largest), so that an estimate errs towards smaller blocks.
_BYTES_PER_PIXEL = {"rgb24": 3, "bgr24": 3, "rgba": 4, "bgra": 4, "argb": 4, "abgr": 4, "rgb0": 4, "bgr0": 4,
                    "0rgb": 4, "0bgr": 4, "gray": 1, "gray8": 1, "ya8": 2, "gray16le": 2, "gray16be": 2,
                    "gray10le": 2, "gray12le": 2, "grayf32le": 4, "grayf32be": 4, "rgb48le": 6, "rgb48be": 6,
                    "bgr48le": 6, "bgr48be": 6, "rgba64le": 8, "rgba64be": 8, "bgra64le": 8, "bgra64be": 8,
                    "gbrp": 3, "gbrap": 4, "yuv444p": 3, "yuvj444p": 3, "yuva444p": 4, "gbrpf32le": 12,
                    "gbrpf32be": 12, "gbrapf32le": 16, "gbrapf32be": 16}
_UNKNOWN_BYTES_PER_PIXEL = 16


class SampledClips(Protocol):
    """What a sampler returns (derenotes.samplers' functions do): `data` of shape (clips,
    frames, H, W, C) or (clips, frames, ...) as get_frames shapes a format, `indices` (int64) and
    `times` (float64, seconds) of shape (clips, frames)."""

    data: Any
    indices: Any
    times: Any


Sampler = Callable[..., SampledClips]


def read_videos(paths: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]], *,
                sampler: Optional[Sampler] = None, frames: Union[None, slice, range, Sequence[int]] = None,
                format: str = "rgb24", width: Optional[int] = None, height: Optional[int] = None,
                include_timestamps: bool = False, include_paths: bool = False,
                filesystem: Optional[pyarrow.fs.FileSystem] = None,
                frames_per_task: Optional[int] = DEFAULT_FRAMES_PER_TASK,
                file_extensions: Optional[Sequence[str]] = VIDEO_EXTENSIONS,
                reader_options: Optional[dict[str, Any]] = None, **read_datasource_args: Any) -> Dataset:
    """A Ray Dataset of the frames of video files, one row per frame (see docs/ray.md).

    paths: a file or a directory (searched recursively for files ending in file_extensions), or
        a list of them; local paths, or URIs such as "s3://bucket/videos/" (pyarrow's filesystem
        for the scheme) unless `filesystem` (a pyarrow.fs.FileSystem) says where they are.
    frames: None (every frame), a slice or range (the same frames of every file, as
        reader[a:b:step] selects them), or a list of frame indices (negative from the end; one a
        file does not have raises FrameNotFoundError).
    sampler: instead of frames, a callable sampler(reader, format=, width=, height=) returning
        clips (a SampledClips: .data, .indices, .times): a row per frame of each clip, with its
        clip number in an int64 "clip" column; one read task per file.
    format, width, height: what get_frames converts each frame to (rgb24 at the stream's size by
        default): the "frame" column, an (H, W, C) tensor for packed formats.
    include_timestamps: a float64 "frame_timestamp" column, the frame's time in seconds
        (reader.frame_times; NaN for a frame without a timestamp).
    include_paths: a string "path" column: the file's path on its filesystem.
    frames_per_task: the most frames one read task decodes: a file's frames are cut into ranges of
        this many from the frame count its header gives (else its duration times its frame rate),
        the last range reading to the real end. None: one task per file, and nothing is opened
        before the read.
    reader_options: VideoReader options (stream, threads, max_pixels, index, rotate, ...); by
        default a task decodes with twice as many threads as the CPUs Ray reserves for it.
    read_datasource_args: ray.data.read_datasource's (concurrency, num_cpus, override_num_blocks,
        ray_remote_args, ...).
    """
    datasource = VideoDatasource(paths, sampler=sampler, frames=frames, format=format, width=width, height=height,
                                 include_timestamps=include_timestamps, include_paths=include_paths,
                                 filesystem=filesystem, frames_per_task=frames_per_task,
                                 file_extensions=file_extensions, reader_options=reader_options)
    return read_datasource(datasource, **read_datasource_args)


# ---------------------------------------------------------------------------------------------
# What read tasks are given: small, picklable descriptions.

@dataclasses.dataclass(frozen=True)
class _File:
    path: str  # on its filesystem: what the "path" column shows
    filesystem: Optional[pyarrow.fs.FileSystem]  # None: a local file, which FFmpeg opens itself


@dataclasses.dataclass(frozen=True)
class _Options:
    """What every read task of a dataset does."""

    selection: Union[slice, tuple[int, ...], None]  # None: the sampler chooses
    sampler: Optional[Sampler]
    format: str
    width: Optional[int]
    height: Optional[int]
    include_timestamps: bool
    include_paths: bool
    reader_options: dict[str, Any]
    target_block_bytes: Optional[int] = None  # Ray's target_max_block_size when the tasks were made


@dataclasses.dataclass(frozen=True)
class _Range:
    """One read task's share of a file: places start to stop (None: the end) in the list of the
    frames the file's selection gives, with the rows and bytes it is expected to give."""

    file: _File
    start: int
    stop: Optional[int]
    rows: Optional[int]
    frame_bytes: Optional[int]


class VideoDatasource(Datasource):
    """The Ray Datasource read_videos reads (same arguments, without Ray's): use it with
    ray.data.read_datasource, or call get_read_tasks to see how the files are cut."""

    def __init__(self, paths: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]], *,
                 sampler: Optional[Sampler] = None, frames: Union[None, slice, range, Sequence[int]] = None,
                 format: str = "rgb24", width: Optional[int] = None, height: Optional[int] = None,
                 include_timestamps: bool = False, include_paths: bool = False,
                 filesystem: Optional[pyarrow.fs.FileSystem] = None,
                 frames_per_task: Optional[int] = DEFAULT_FRAMES_PER_TASK,
                 file_extensions: Optional[Sequence[str]] = VIDEO_EXTENSIONS,
                 reader_options: Optional[dict[str, Any]] = None):
        super().__init__()
        if sampler is not None and frames is not None:
            raise ValueError("read_videos: give frames or sampler, not both")
        if sampler is not None and not callable(sampler):
            raise TypeError(f"read_videos: sampler must be callable, not {type(sampler).__name__}")
        if not isinstance(format, str):
            raise TypeError(f"read_videos: format must be a pixel format's name, not {type(format).__name__}")
        _indexing.check_size(width, height)
        if frames_per_task is not None and operator.index(frames_per_task) <= 0:
            raise ValueError(f"read_videos: frames_per_task must be positive or None, not {frames_per_task!r}")
        options = dict(reader_options or {})
        clashing = sorted({"format", "width", "height"} & options.keys())
        if clashing:
            raise ValueError(f"read_videos: give {', '.join(clashing)} to read_videos itself, not in reader_options")
        self._options = _Options(selection=None if sampler is not None else _selection(frames), sampler=sampler,
                                 format=format, width=width, height=height,
                                 include_timestamps=bool(include_timestamps), include_paths=bool(include_paths),
                                 reader_options=options)
        self._frames_per_task = frames_per_task
        self._files = _find_files(paths, filesystem, file_extensions)
        self._ranges: Optional[list[_Range]] = None  # planned on first use, once

    def get_name(self) -> str:
        """The name Ray gives the read operator: ReadDerenotesVideo."""
        return "DerenotesVideo"

    def estimate_inmemory_data_size(self) -> Optional[int]:
        """The bytes of all the rows, from the files' headers; None when a file's is unknown."""
        sizes = [_range_bytes(part) for part in self._planned()]
        return None if any(size is None for size in sizes) else sum(size for size in sizes if size is not None)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: Optional[int] = None,
                       data_context: Optional[DataContext] = None) -> list[ReadTask]:
        """A read task per range of frames_per_task frames of each file (per file with a sampler,
        or when the file's header tells nothing); `parallelism` is not used: the files decide."""
        context = data_context if data_context is not None else DataContext.get_current()
        options = dataclasses.replace(self._options, target_block_bytes=context.target_max_block_size)
        tasks = []
        for part in self._planned():
            metadata = _block_metadata(num_rows=part.rows, size_bytes=_range_bytes(part),
                                       input_files=[part.file.path])
            read = functools.partial(_read_range, options, part)
            if per_task_row_limit is None:  # older Rays have no such argument
                tasks.append(ReadTask(read, metadata))
            else:
                tasks.append(ReadTask(read, metadata, per_task_row_limit=per_task_row_limit))
        return tasks

    def _planned(self) -> list[_Range]:
        if self._ranges is None:
            self._ranges = _plan(self._files, self._options, self._frames_per_task)
        return self._ranges


def _selection(frames: Union[None, slice, range, Sequence[int]]) -> Union[slice, tuple[int, ...]]:
    if frames is None:
        return slice(None)
    if isinstance(frames, range):
        return slice(frames.start, frames.stop, frames.step)
    if isinstance(frames, slice):
        for value in (frames.start, frames.stop, frames.step):
            if value is not None:
                operator.index(value)
        if frames.step == 0:
            raise ValueError("read_videos: frames' slice step cannot be zero")
        return frames
    if isinstance(frames, (str, bytes)) or not isinstance(frames, Iterable):
        raise TypeError(f"read_videos: frames must be None, a slice, a range or a list of ints, not "
                        f"{type(frames).__name__}")
    return tuple(operator.index(number) for number in frames)


def _block_metadata(*, num_rows: Optional[int], size_bytes: Optional[int], input_files: list[str]) -> BlockMetadata:
    """BlockMetadata of any Ray since 2.40: before 2.48 it had a schema field, which it needs."""
    fields: dict[str, Any] = {"num_rows": num_rows, "size_bytes": size_bytes, "input_files": input_files,
                              "exec_stats": None}
    if "schema" in {field.name for field in dataclasses.fields(BlockMetadata)}:
        fields["schema"] = None
    return BlockMetadata(**fields)


def _range_bytes(part: _Range) -> Optional[int]:
    if part.rows is None or part.frame_bytes is None:
        return None
    return part.rows * (part.frame_bytes + 8)  # the frame and its index


# ---------------------------------------------------------------------------------------------
# Finding the files, and planning: on the driver, nothing decoded.

def _find_files(paths: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]],
                filesystem: Optional[pyarrow.fs.FileSystem], extensions: Optional[Sequence[str]]) -> list[_File]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    suffixes = None if extensions is None else tuple("." + extension.lower().lstrip(".") for extension in extensions)
    files = []
    for given in paths:
        path = os.fspath(given)
        if not isinstance(path, str):
            raise TypeError(f"read_videos: paths must be str or os.PathLike of str, not {path!r}")
        fs, path = _filesystem_of(path, filesystem)
        info = fs.get_file_info(path)
        if info.type == pyarrow.fs.FileType.NotFound:
            raise FileNotFoundError(f"read_videos: {path!r} does not exist")
        if info.type == pyarrow.fs.FileType.Directory:
            found = fs.get_file_info(pyarrow.fs.FileSelector(path, recursive=True))
            names = sorted(entry.path for entry in found if entry.type == pyarrow.fs.FileType.File
                           and not _hidden(entry.path, path)
                           and (suffixes is None or entry.path.lower().endswith(suffixes)))
        else:
            names = [path]  # a file named explicitly is read whatever its name
        local = isinstance(fs, pyarrow.fs.LocalFileSystem)
        files += [_File(name, None if local else fs) for name in names]
    if not files:
        raise FileNotFoundError(f"read_videos: no video files in {[os.fspath(path) for path in paths]!r}"
                                + ("" if extensions is None else f" (files ending in {', '.join(extensions)})"))
    return files


def _filesystem_of(path: str, filesystem: Optional[pyarrow.fs.FileSystem]) -> tuple[pyarrow.fs.FileSystem, str]:
    has_scheme = "://" in path and not os.path.exists(path)
    if filesystem is not None:
        if has_scheme:  # the filesystem knows where: s3://bucket/key is bucket/key on an S3FileSystem
            parsed = urllib.parse.urlparse(path)
            path = parsed.netloc + parsed.path
        if isinstance(filesystem, pyarrow.fs.LocalFileSystem):
            path = os.path.abspath(os.path.expanduser(path))  # FFmpeg opens it in a worker, whose directory differs
        return filesystem, path
    if has_scheme:
        return pyarrow.fs.FileSystem.from_uri(path)
    return pyarrow.fs.LocalFileSystem(), os.path.abspath(os.path.expanduser(path))


def _hidden(path: str, directory: str) -> bool:
    """Whether a file found under `directory` is in a hidden place (a name starting with a dot)."""
    inside = path[len(directory):].lstrip("/") if path.startswith(directory) else os.path.basename(path)
    return any(part.startswith(".") for part in inside.split("/"))


@dataclasses.dataclass(frozen=True)
class _Header:
    frames: Optional[int]  # estimated: the header's count, else duration times frame rate
    frame_bytes: Optional[int]


def _plan(files: list[_File], options: _Options, frames_per_task: Optional[int]) -> list[_Range]:
    if options.sampler is not None or frames_per_task is None:
        # A task per file: nothing needs opening now.
        rows = len(options.selection) if isinstance(options.selection, tuple) else None
        return [_Range(file, 0, None, rows, None) for file in files]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(files))) as pool:
        headers = list(pool.map(functools.partial(_read_header, options), files))
    ranges = []
    for file, header in zip(files, headers):
        if isinstance(options.selection, tuple):
            total: Optional[int] = len(options.selection)  # exact: out of range raises in the task
        elif header.frames is None:
            total = None
        else:
            assert isinstance(options.selection, slice)
            total = len(range(*options.selection.indices(header.frames)))
        if total is None:  # nothing known: the file in one task
            ranges.append(_Range(file, 0, None, None, header.frame_bytes))
            continue
        exact = isinstance(options.selection, tuple)
        count = max(1, math.ceil(total / frames_per_task))
        if exact and total == 0:
            continue
        for number in range(count):
            start = number * frames_per_task
            last = number == count - 1
            stop = (total if exact else None) if last else start + frames_per_task
            rows = (total - start) if last else frames_per_task
            ranges.append(_Range(file, start, stop, rows, header.frame_bytes))
    return ranges


def _read_header(options: _Options, file: _File) -> _Header:
    with _open_reader(file, {**options.reader_options, "threads": 1}) as reader:  # no thread pool to open
        frames = reader.frame_count
        if frames is None and reader.duration and reader.fps:
            frames = round(reader.duration * reader.fps)
        return _Header(frames, _frame_bytes(reader, options))


def _frame_bytes(reader: VideoReader, options: _Options) -> Optional[int]:
    """The bytes a converted frame is expected to take (None when the stream's size is unknown)."""
    turned = reader.rotate and reader.rotation % 180 == 90
    width = options.width or (reader.height if turned else reader.width)
    height = options.height or (reader.width if turned else reader.height)
    return width * height * _BYTES_PER_PIXEL.get(options.format, _UNKNOWN_BYTES_PER_PIXEL) if width and height else None


# ---------------------------------------------------------------------------------------------
# Reading: in the read tasks.

def _task_threads() -> int:
    """A read task's decoding threads: twice the CPUs Ray reserves for the task (it sets
    $OMP_NUM_THREADS to them), so that the decoder keeps them busy while Ray's own work on the
    same cores (the object store, splitting blocks, the consumer) leaves gaps; docs/ray.md."""
    return 2 * max(1, _indexing.decoding_threads(None))


@contextlib.contextmanager
def _open_reader(file: _File, options: dict[str, Any]) -> Iterator[VideoReader]:
    if file.filesystem is None:
        with VideoReader(file.path, **options) as reader:
            yield reader
        return
    with file.filesystem.open_input_file(file.path) as opened:
        with VideoReader(PyArrowFile(opened, file.path), **options) as reader:
            yield reader


def _read_range(options: _Options, part: _Range) -> Iterator[Block]:
    """One read task: its range of one file's frames as blocks of at most the target size."""
    with _open_reader(part.file, {"threads": _task_threads(), **options.reader_options}) as reader:
        if options.sampler is not None:
            yield from _sampled_blocks(reader, options, part.file)
            return
        selection = options.selection
        assert selection is not None
        count = len(reader)
        numbers = _numbers(selection, count, part)
        rows = _rows_per_block(options.target_block_bytes, _frame_bytes(reader, options), len(numbers))
        done = 0
        while done < len(numbers):
            chunk = numbers[done:done + rows]
            try:
                frames = _one_array(reader.get_frames(chunk, options.format, width=options.width,
                                                      height=options.height), options.format)
            except FrameNotFoundError:
                # A damaged file whose packets listed more frames than decoding found: the reader
                # now knows how many there are, and a slice's frames are counted again from it.
                if not isinstance(selection, slice) or len(reader) >= count:
                    raise
                count = len(reader)
                numbers = _numbers(selection, count, part)
                continue
            indices = np.array([number + count if number < 0 else number for number in chunk], dtype=np.int64)
            times = _times(reader)[indices] if options.include_timestamps else None  # after decoding: exact
            yield _block(options, part.file, frames, indices, None, times)
            done += len(chunk)
            rows = _rows_per_block(options.target_block_bytes, frames.nbytes // len(chunk), len(numbers) - done)


def _numbers(selection: Union[slice, tuple[int, ...]], count: int, part: _Range) -> Sequence[int]:
    """The frames a read task reads: its places in the list of those the selection gives."""
    if isinstance(selection, slice):
        return range(*selection.indices(count))[part.start:part.stop]
    return selection[part.start:part.stop]


def _sampled_blocks(reader: VideoReader, options: _Options, file: _File) -> Iterator[Block]:
    assert options.sampler is not None
    clips = options.sampler(reader, format=options.format, width=options.width, height=options.height)
    data = _one_array(clips.data, options.format)
    indices = np.asarray(clips.indices, dtype=np.int64)
    times = np.asarray(clips.times, dtype=np.float64)
    if indices.ndim != 2 or times.shape != indices.shape or data.shape[:2] != indices.shape:
        raise ValueError(f"{file.path!r}: the sampler gave data of shape {data.shape}, indices {indices.shape} and "
                         f"times {times.shape}: expected (clips, frames, ...), (clips, frames), (clips, frames)")
    count, per_clip = indices.shape
    data = data.reshape((count * per_clip,) + data.shape[2:])
    clip_numbers = np.repeat(np.arange(count, dtype=np.int64), per_clip)
    indices, times = indices.reshape(-1), times.reshape(-1)
    if not len(data):
        return
    rows = _rows_per_block(options.target_block_bytes, data[0].nbytes, len(data))
    for start in range(0, len(data), rows):
        rows_here = slice(start, start + rows)
        yield _block(options, file, data[rows_here], indices[rows_here], clip_numbers[rows_here],
                     times[rows_here] if options.include_timestamps else None)


def _one_array(result: Any, format: str) -> np.ndarray[Any, Any]:
    if isinstance(result, tuple):
        raise ValueError(f"read_videos: format {format!r} converts a frame into one array per plane, "
                         f"of different sizes; use a packed format (rgb24, gray, ...) or a planar one whose "
                         f"planes have one size (yuv444p, gbrp)")
    return np.asarray(result)


def _times(reader: VideoReader) -> np.ndarray[Any, Any]:
    return np.array([np.nan if time is None else time for time in reader.frame_times], dtype=np.float64)


def _rows_per_block(target: Optional[int], frame_bytes: Optional[int], remaining: int) -> int:
    if target is None:  # Ray's "no limit"
        return max(1, remaining)
    if not frame_bytes:
        frame_bytes = 8192 * 8192 * _UNKNOWN_BYTES_PER_PIXEL  # unknown: one frame a block until one is seen
    return max(1, target // frame_bytes)


def _block(options: _Options, file: _File, frames: np.ndarray[Any, Any], indices: np.ndarray[Any, Any],
           clips: Optional[np.ndarray[Any, Any]], times: Optional[np.ndarray[Any, Any]]) -> Block:
    """A block of Ray's own making (BlockAccessor.batch_to_block): the frames as Ray's tensor
    column, in the order of ray.data.read_videos' columns."""
    batch: dict[str, np.ndarray[Any, Any]] = {"frame": frames, "frame_index": indices}
    if clips is not None:
        batch["clip"] = clips
    if times is not None:
        batch["frame_timestamp"] = times
    if options.include_paths:
        batch["path"] = np.array([file.path] * len(indices), dtype=object)
    return BlockAccessor.batch_to_block(batch)
