"""A pyarrow file (what pyarrow.fs filesystems open: S3, GCS, HDFS, ...) as a file object for
VideoReader, read ahead in large blocks. derenotes.ray reads the files of filesystems other than
the local one through it."""
from __future__ import annotations

import os
from typing import Any

# A file of a filesystem other than the local one is read in blocks this large: a read from S3
# is a request, and FFmpeg asks for 256 KiB at a time (docs/ray.md, "Filesystems").
READ_AHEAD_BYTES = 4 * 1024 * 1024


class PyArrowFile:
    """A pyarrow file as VideoReader reads it: named by its path (which errors then name), and
    read ahead in blocks of READ_AHEAD_BYTES (FFmpeg reads 256 KiB at a time; a read of an S3
    file is a request)."""

    def __init__(self, file: Any, name: str, read_ahead: int = READ_AHEAD_BYTES):
        self._file = file
        self.name = name
        self._read_ahead = read_ahead
        self._position = 0
        self._buffer = b""
        self._buffer_start = 0
        self._buffer_ends_file = False
        self._size = file.size()
        self.raw_reads = 0  # reads of the pyarrow file, for the tests

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes from the position (all the rest when size is negative)."""
        offset = self._position - self._buffer_start
        if size is None or size < 0:
            self._file.seek(self._position)
            data = self._file.read()
            self.raw_reads += 1
        elif 0 <= offset < len(self._buffer) or (offset == len(self._buffer) and self._buffer_ends_file):
            data = self._buffer[offset:offset + size]  # perhaps fewer bytes than asked: the reader asks again
        else:
            self._file.seek(self._position)
            self._buffer = self._file.read(max(size, self._read_ahead))
            self._buffer_ends_file = self._position + len(self._buffer) >= self._size  # not a short read
            self.raw_reads += 1
            self._buffer_start = self._position
            data = self._buffer[:size]
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Moves the position, as io's seek does (nothing is read until the next read)."""
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"{self.name!r}: seek to a negative position")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        """The position."""
        return self._position

    def seekable(self) -> bool:
        """Whether the pyarrow file can seek (its filesystem's files can)."""
        return bool(self._file.seekable())

    def readable(self) -> bool:
        """True: it is read."""
        return True
