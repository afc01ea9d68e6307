"""Progress bars on stderr through tqdm: shown when stderr is a terminal, never with --quiet, and
never mixed into output meant for programs (stdout, --json)."""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # see derenotes/__init__.py: typing is for mypy, not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional


class _Silent:
    """What a bar offers, doing nothing: used when no bar is shown, so tqdm is not needed then."""

    total: Optional[float] = None

    def update(self, count: float = 1) -> None:
        pass

    def refresh(self) -> None:
        pass

    def write(self, text: str, file: Any = None) -> None:
        print(text, file=file or sys.stdout, flush=True)

    def close(self) -> None:
        pass

    def __enter__(self) -> "_Silent":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass


def bar(total: Optional[float], unit: str, description: str, quiet: bool) -> Any:
    """A tqdm bar counting `unit`s up to `total` (None: a count and a rate, no time left). Print
    through its write(text, file=sys.stdout), which keeps the bar off the lines."""
    if quiet or not sys.stderr.isatty():
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        raise SystemExit("derenotes: progress bars need tqdm: pip install 'derenotes[cli]' (or use --quiet)")
    return tqdm(total=total, unit=unit, desc=description, file=sys.stderr, dynamic_ncols=True, leave=False)
