"""The exceptions derenotes raises about files and streams.

Every one derives from :class:`DerenotesError` and also from the built-in exception a Python
user would catch for the same problem: ``FileNotFoundError`` for a missing file, ``ValueError``
for data FFmpeg cannot decode, ``IndexError`` for a stream that is not there, and so on.

Attributes on every instance: ``path`` (the file; None when the source is bytes or a file object:
the message then names it as ``<bytes, 1.2 MB>`` or by the file object's ``name``), ``code`` (FFmpeg's negative AVERROR code,
0 when the error is not FFmpeg's), ``reason`` (FFmpeg's text for the code) and ``log`` (the
last warning or error FFmpeg logged before the failure, often the real reason; may be empty).
"""
import builtins
import io


class DerenotesError(Exception):
    """Base class of the errors derenotes raises about a file."""

    path = None
    code = 0
    reason = ""
    log = ""


class DecodeError(DerenotesError, ValueError):
    """FFmpeg cannot read or decode the data: not a media file, damaged, truncated."""


class UnsupportedCodecError(DecodeError):
    """FFmpeg has no decoder for the stream's codec, or the format cannot be exported."""


class LimitExceededError(DecodeError):
    """The file asks for more than a limit allows, e.g. frames of more pixels than
    ``VideoReader(max_pixels=...)``: raise the limit to decode it."""


class StreamNotFoundError(DerenotesError, IndexError):
    """The file has no stream of the kind asked for (video for ``VideoReader``, audio for
    ``AudioReader``), or not as many as the ``stream`` asked for. The message says what streams
    the file has: how many of each kind, with their codecs."""


class FrameNotFoundError(DerenotesError, IndexError):
    """No frame at this index or time: before the first or past the last, or a frame the
    file's packets listed that decoding showed it does not have (a damaged file: ``len(reader)``
    then gives the count decoding found)."""


class UnsafeInputError(DecodeError):
    """The file asks the reader to do what it does not do unless allowed: open another file or
    URL (a playlist, a manifest, a concat list). The message names what it asked for;
    ``VideoReader(allow_nested=True)`` follows such files, for files you trust."""


class NotSeekableError(DerenotesError, io.UnsupportedOperation):
    """The operation needs to seek and the source cannot: a pipe, a socket, a file object whose
    ``seekable()`` is false. Such a source is read once, from start to end: iterate it, or give
    the reader bytes, a path or a seekable file for random access."""


class TimeoutError(DerenotesError, builtins.TimeoutError):
    """Nothing arrived for longer than ``VideoReader(timeout=...)`` seconds: a URL that does not
    connect or answer, a stream whose writer stalls, a live playlist that is not reloaded. The
    message names the timeout; raise it, or pass None to wait forever."""


class CancelledError(DerenotesError):
    """The call was stopped because another thread closed the reader (``reader.close()``)
    while it was in progress. The reader is closed: open a new one to read again."""


class OpenError(DerenotesError, OSError):
    """An operating-system error while opening or reading the file; ``errno`` is set."""


class FileNotFoundError(OpenError, builtins.FileNotFoundError):
    pass


class PermissionError(OpenError, builtins.PermissionError):
    pass


class IsADirectoryError(OpenError, builtins.IsADirectoryError):
    pass


class OutOfMemoryError(DerenotesError, MemoryError):
    pass
