"""derenotes: decoded video planes from FFmpeg as zero-copy Python buffers.

    with derenotes.VideoReader("clip.mp4") as reader:
        for frame in reader:
            y, u, v = frame.planes          # buffers over the decoder's own memory
            luma = numpy.asarray(y)         # (height, width) uint8, no copy
"""
import logging
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
from derenotes._probe import MediaInfo, StreamInfo, probe

# FFmpeg's messages go to this logger; a library stays quiet unless the application says otherwise.
logging.getLogger("derenotes").addHandler(logging.NullHandler())

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
