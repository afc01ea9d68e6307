"""The reader's rules that need no speed, in plain Python: checks of the reader's arguments,
frame numbers from indices and slices, the order in which get_frames decodes, and which frame is
on screen at a given time. The Cython reader (derenotes/libs/image/_reader.pxi) calls these, and
so can anything else that numbers frames the way the reader does."""
import bisect
import operator
import os
import sys

from derenotes.errors import FrameNotFoundError

DEFAULT_MAX_PIXELS = 8192 * 8192
DEFAULT_MAX_STREAMS = 128
# Packets of the file's index: 24 hours at 60 frames per second (5.2 million) with audio fit; a
# 2-hour 4K film at 60 fps has 432,000. A packet costs about 125 bytes across FFmpeg's index and
# ours (1,000,000 took 125 MB), so the limit bounds an index at about 1.3 GB.
DEFAULT_MAX_PACKETS = 10_000_000
# FFmpeg's own probesize.
DEFAULT_MAX_PROBE_BYTES = 5_000_000
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_NESTED_OPENS = 1000
INDEX_CHOICES = ("packets", "decode")


def check_reader_arguments(*, index, width, height, max_pixels, max_streams, max_packets, max_probe_bytes, timeout,
                           max_nested_opens):
    """Raises ValueError for VideoReader arguments that can never work, before anything is opened."""
    if index not in INDEX_CHOICES:
        raise ValueError(f"index must be 'packets' or 'decode', not {index!r}")
    check_size(width, height)
    if max_pixels is not None and max_pixels <= 0:
        raise ValueError(f"max_pixels must be positive or None, not {max_pixels!r}")
    if max_streams is not None and not 0 < max_streams < 2**31:
        raise ValueError(f"max_streams must be positive or None, not {max_streams!r}")
    if max_packets is not None and not 0 < max_packets < 2**63:
        raise ValueError(f"max_packets must be positive or None, not {max_packets!r}")
    if max_probe_bytes is not None and not 32 <= max_probe_bytes < 2**63:
        raise ValueError(f"max_probe_bytes must be at least 32 (FFmpeg's least) or None, not {max_probe_bytes!r}")
    if timeout is not None and not 0 < timeout < float("inf"):
        raise ValueError(f"timeout must be positive seconds or None, not {timeout!r}")
    if max_nested_opens is not None and not 0 < max_nested_opens < 2**31:
        raise ValueError(f"max_nested_opens must be positive or None, not {max_nested_opens!r}")


def decoding_threads(threads):
    """The thread count a VideoReader asks FFmpeg for (0: FFmpeg's own count) when given
    `threads` (None: chosen for the process, see VideoReader)."""
    if threads is not None:
        count = operator.index(threads)
        if count < 0:
            raise ValueError(f"threads must be 0 (FFmpeg's choice), a positive count or None, not {threads!r}")
        return count
    asked = os.environ.get("OMP_NUM_THREADS", "")
    if asked.isdigit() and int(asked) > 0:
        return int(asked)
    # A child of multiprocessing has imported it (spawn) or inherited it (fork). While a spawned
    # child unpickles what it was sent (a Dataset holding a reader), parent_process() is not set
    # yet; multiprocessing's own flag for that stage is.
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and (multiprocessing.parent_process() is not None
                                        or getattr(multiprocessing.current_process(), "_inheriting", False)):
        return 1
    return 0


def check_size(width, height):
    """Raises ValueError unless width and height are each positive or None (the frame's own)."""
    if (width is not None and width <= 0) or (height is not None and height <= 0):
        raise ValueError(f"width and height must be positive, not {width}x{height}")


def is_description(name):
    """Whether a source's name describes it ("<bytes, 1.2 MB>", "<BytesIO>") rather than being
    the path it was opened by."""
    return name.startswith("<") and name.endswith(">")


def shown_name(name):
    """A source's name as messages show it: a path as Python shows file names (repr keeps a
    non-UTF-8 name's bytes as \\udcXX), a description as it is."""
    return name if is_description(name) else repr(name)


def frame_number(index, count, name):
    """The frame number of an int index into `count` frames, negative ones counting from the end
    (FrameNotFoundError, an IndexError, when out of range). `name` names the source in the message."""
    number = operator.index(index)
    if number < 0:
        number += count
    if not 0 <= number < count:
        raise FrameNotFoundError(f"frame index {index} out of range: {shown_name(name)} has {count} frames")
    return number


def slice_numbers(key, count):
    """The frame numbers a slice of `count` frames selects."""
    return range(*key.indices(count))


def places_by_frame(numbers):
    """{frame number: the places it takes in `numbers`}, in increasing frame number: get_frames
    decodes each frame once, in file order, and puts it everywhere it was asked for."""
    places = {}
    for place, number in enumerate(numbers):
        places.setdefault(number, []).append(place)
    return dict(sorted(places.items()))


class FrameTimes:
    """Every frame's time in seconds (None for a frame without one), and the frame on screen at a
    given time.

    ordered: whether the times rise with the frame number, as a predicted index's do (its frames
    are in time order by construction). A learned index holds iteration's best-effort timestamps,
    which need not: those are looked up through a sorted copy.
    """

    def __init__(self, times, ordered, name):
        self.times = times
        self._name = name
        if ordered:
            self._sorted, self._numbers = times, None
        else:
            timed = sorted((time, number) for number, time in enumerate(times) if time is not None)
            self._sorted = [time for time, _ in timed]
            self._numbers = [number for _, number in timed]

    def number_at(self, seconds, duration_of):
        """The number of the last frame whose time is at or before `seconds`. duration_of(number)
        says how long a frame is shown (0: only at its time), for the last frame's end.
        ValueError for NaN and when no frame has a time; FrameNotFoundError before the first
        frame and from the end of the last one on."""
        seconds = float(seconds)
        if seconds != seconds:
            raise ValueError(f"no frame at NaN seconds in {shown_name(self._name)}")
        times = self._sorted
        if self.times and not times:
            raise ValueError(f"{shown_name(self._name)}: its frames have no timestamps, so none can be found by time; "
                             "use reader[i]")
        place = bisect.bisect_right(times, seconds) - 1
        if place < 0:
            first = f"{times[0]:.6g} s" if times else "none: the stream has no frames"
            raise FrameNotFoundError(f"no frame at {seconds} s in {shown_name(self._name)}: the first frame is at {first}")
        number = place if self._numbers is None else self._numbers[place]
        if place == len(times) - 1 and seconds > times[place]:
            end = times[place] + duration_of(number)
            if seconds >= end:
                raise FrameNotFoundError(f"no frame at {seconds} s in {shown_name(self._name)}: the last frame ends at {end:.6g} s")
        return number
