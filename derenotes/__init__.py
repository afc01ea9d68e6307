"""derenotes: decoded video planes from FFmpeg as zero-copy Python buffers.

    with derenotes.VideoReader("clip.mp4") as reader:
        for frame in reader:
            y, u, v = frame.planes          # buffers over the decoder's own memory
            luma = numpy.asarray(y)         # (height, width) uint8, no copy
"""
import sys

if sys.version_info < (3, 9):  # pip refuses sooner (requires-python); this is for a copied tree
    raise ImportError("derenotes needs Python 3.9 or newer, not " + sys.version.split()[0])

from derenotes.errors import (
    CancelledError,
    DecodeError,
    DerenotesError,
    FrameNotFoundError,
    LimitExceededError,
    NotSeekableError,
    OpenError,
    StreamNotFoundError,
    TimeoutError,
    UnsafeInputError,
    UnsupportedCodecError,
)
from derenotes.libs.image.video import (AudioFrame, AudioReader, VideoFrame, VideoReader, ffmpeg_versions,
                                         get_log_level, set_log_level)

# probe() and its classes are imported on first use (PEP 562): their dataclasses cost a quarter of
# the package's import, which every `derenotes check` and worker process start would pay.
TYPE_CHECKING = False  # mypy takes any TYPE_CHECKING as true; `typing` is not imported for it
if TYPE_CHECKING:
    from derenotes._probe import MediaInfo, StreamInfo, probe
_LAZY = ("probe", "MediaInfo", "StreamInfo")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from derenotes import _probe

        return getattr(_probe, name)
    raise AttributeError(f"module 'derenotes' has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *_LAZY])


__version__ = "0.1.0"

__all__ = [
    "VideoReader",
    "VideoFrame",
    "AudioReader",
    "AudioFrame",
    "DerenotesError",
    "DecodeError",
    "FrameNotFoundError",
    "LimitExceededError",
    "NotSeekableError",
    "UnsupportedCodecError",
    "UnsafeInputError",
    "StreamNotFoundError",
    "OpenError",
    "TimeoutError",
    "CancelledError",
    "set_log_level",
    "get_log_level",
    "ffmpeg_versions",
    "probe",
    "MediaInfo",
    "StreamInfo",
]
