"""The reader's rules that need no speed, in plain Python: checks of the reader's arguments,
frame numbers from indices and slices, the order in which get_frames decodes, and which frame is
on screen at a given time. The Cython reader (derenotes/libs/image/_reader.pxi) calls these, and
so can anything else that numbers frames the way the reader does."""
import bisect
import operator

from derenotes.errors import FrameNotFoundError

DEFAULT_MAX_PIXELS = 8192 * 8192
DEFAULT_MAX_STREAMS = 128
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_NESTED_OPENS = 1000
INDEX_CHOICES = ("packets", "decode")


def check_reader_arguments(*, index, width, height, max_pixels, max_streams, timeout, max_nested_opens):
    """Raises ValueError for VideoReader arguments that can never work, before anything is opened."""
    if index not in INDEX_CHOICES:
        raise ValueError(f"index must be 'packets' or 'decode', not {index!r}")
    if (width is not None and width <= 0) or (height is not None and height <= 0):
        raise ValueError(f"width and height must be positive, not {width}x{height}")
    if max_pixels is not None and max_pixels <= 0:
        raise ValueError(f"max_pixels must be positive or None, not {max_pixels!r}")
    if max_streams is not None and not 0 < max_streams < 2**31:
        raise ValueError(f"max_streams must be positive or None, not {max_streams!r}")
    if timeout is not None and not 0 < timeout < float("inf"):
        raise ValueError(f"timeout must be positive seconds or None, not {timeout!r}")
    if max_nested_opens is not None and not 0 < max_nested_opens < 2**31:
        raise ValueError(f"max_nested_opens must be positive or None, not {max_nested_opens!r}")


def frame_number(index, count, name):
    """The frame number of an int index into `count` frames, negative ones counting from the end
    (FrameNotFoundError, an IndexError, when out of range). `name` names the file in the message."""
    number = operator.index(index)
    if number < 0:
        number += count
    if not 0 <= number < count:
        raise FrameNotFoundError(f"frame index {index} out of range: {name!r} has {count} frames")
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
            raise ValueError(f"no frame at NaN seconds in {self._name!r}")
        times = self._sorted
        if self.times and not times:
            raise ValueError(f"{self._name!r}: its frames have no timestamps, so none can be found by time; "
                             "use reader[i]")
        place = bisect.bisect_right(times, seconds) - 1
        if place < 0:
            first = f"{times[0]:.6g} s" if times else "none: the stream has no frames"
            raise FrameNotFoundError(f"no frame at {seconds} s in {self._name!r}: the first frame is at {first}")
        number = place if self._numbers is None else self._numbers[place]
        if place == len(times) - 1 and seconds > times[place]:
            end = times[place] + duration_of(number)
            if seconds >= end:
                raise FrameNotFoundError(f"no frame at {seconds} s in {self._name!r}: the last frame ends at {end:.6g} s")
        return number
