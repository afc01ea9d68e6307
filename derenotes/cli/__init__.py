"""The derenotes command: look at media files through the library's own decoder.

    derenotes probe FILE [--json]
    derenotes check FILE... [--jobs N] [--json]
    derenotes frames FILE --at 10,50% --time 2.5 [--format rgb24] [--size 320x] -o DIR
    derenotes planes FILE --at 10 -o DIR
    derenotes sheet FILE -o sheet.png [--grid 4x4] [--width 1280]

Installed as the `derenotes` console script and as `python -m derenotes`; docs/cli.md has the
reference. Exit status: 0 done, 1 damaged or unreadable input, 2 wrong usage.
"""
from __future__ import annotations

import argparse
import importlib
import sys

import derenotes
from derenotes._indexing import DEFAULT_TIMEOUT
from derenotes.cli import _inputs

TYPE_CHECKING = False  # see derenotes/__init__.py: typing is for mypy, not imported at run time
if TYPE_CHECKING:
    from typing import Callable, Optional, Sequence

EXIT_DAMAGED = 1
EXIT_USAGE = 2


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks."""


def _version() -> str:
    versions = derenotes.ffmpeg_versions()
    libraries = ", ".join(f"{name} {version}" for name, version in versions.items() if name != "ffmpeg")
    return f"derenotes {derenotes.__version__}\nFFmpeg {versions['ffmpeg']} ({libraries})"


def _reading_options() -> argparse.ArgumentParser:
    """The options every command that reads has: the library's safe defaults, opened on request."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("reading")
    group.add_argument("--allow-network", action="store_true",
                       help="let FILE be a URL (https://, rtsp://, ...); off: every name is a file")
    group.add_argument("--allow-nested", action="store_true",
                       help="let a file open other resources (playlists, concat lists); off by default")
    group.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                       help="seconds to wait for data before giving up (default: %(default)s)")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parent


def _subcommand(commands, name: str, parents, summary: str, examples: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, parents=parents, help=summary, description=summary,
                               epilog="examples:\n" + examples, formatter_class=_Formatter)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derenotes", formatter_class=_Formatter,
        description="Look at video and audio files through derenotes' decoder (FFmpeg's).",
        epilog="examples:\n  derenotes probe clip.mp4\n  derenotes check *.mp4 --jobs 2\n"
               "  derenotes sheet clip.mp4 -o sheet.png\n\n"
               "Exit status: 0 done, 1 damaged or unreadable input, 2 wrong usage. FILE may be - (stdin).")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    reading = [_reading_options()]

    command = _subcommand(commands, "probe", reading, "what a file holds: its format and every stream",
                          "  derenotes probe clip.mp4\n  derenotes probe clip.mkv --json | jq .streams[0]\n"
                          "  cat clip.ts | derenotes probe -")
    command.add_argument("file", metavar="FILE")
    command.add_argument("--json", action="store_true", help="print probe()'s fields as JSON")
    command.set_defaults(run=("probe", "run"))

    command = _subcommand(commands, "check", reading,
                          "decode every video and audio stream; report damage (exit status 1 when damaged)",
                          "  derenotes check clip.mp4\n  derenotes check videos/*.mkv --jobs 2 --json > report.json")
    command.add_argument("files", nargs="+", metavar="FILE")
    command.add_argument("-j", "--jobs", type=_inputs.positive_int, default=1, metavar="N",
                         help="files decoded at once (default: 1; each decoder uses threads of its own)")
    command.add_argument("--json", action="store_true", help="one JSON list of the files' reports")
    command.set_defaults(run=("check", "run"))

    command = _subcommand(commands, "frames", reading, "write frames as PNG (or .npy) images",
                          "  derenotes frames clip.mp4 --at 0,50%,-1 -o out/\n"
                          "  derenotes frames clip.mp4 --time 2.5 --size 320x -o out/\n"
                          "  derenotes frames hdr.mp4 --at 10 --format rgb48le -o out/     # 16-bit PNG\n"
                          "  derenotes frames clip.mp4 --at 10 --format yuv420p --npy -o out/")
    _add_selection(command)
    command.add_argument("--format", metavar="PIX_FMT",
                         help="the pixel format to convert to (default: the PNG format FFmpeg's CLI would "
                              "pick for the frame: rgb24, rgba, gray, ya8 or their 16-bit kinds)")
    command.add_argument("--size", type=_inputs.parse_size, metavar="WxH",
                         help="scale to W x H; 320x or x240 keeps the picture's display aspect")
    command.add_argument("--npy", action="store_true", help="write NumPy .npy files (.npz for several planes)")
    command.add_argument("--no-rotate", dest="rotate", action="store_false",
                         help="the picture as stored, not turned as players show it")
    command.set_defaults(run=("frames", "run_frames"))

    command = _subcommand(commands, "planes", reading,
                          "write each plane of a frame as its own image, and a strip of them side by side",
                          "  derenotes planes clip.mp4 --at 10 -o out/\n  derenotes planes hdr.mp4 --time 1 -o out/")
    _add_selection(command)
    command.set_defaults(run=("frames", "run_planes"))

    command = _subcommand(commands, "sheet", reading, "a contact sheet: evenly spaced frames with times and indices",
                          "  derenotes sheet clip.mp4 -o sheet.png\n"
                          "  derenotes sheet movie.mkv -o sheet.png --grid 6x5 --width 1920")
    command.add_argument("file", metavar="FILE")
    command.add_argument("-o", "--output", required=True, metavar="PNG", help="the sheet's file name")
    command.add_argument("--grid", type=_inputs.parse_grid, default=(4, 4), metavar="COLSxROWS",
                         help="tiles across and down (default: 4x4)")
    command.add_argument("--width", type=_inputs.positive_int, default=1280, metavar="PIXELS",
                         help="the sheet's width (default: 1280)")
    command.add_argument("--no-rotate", dest="rotate", action="store_false",
                         help="the pictures as stored, not turned as players show them")
    command.set_defaults(run=("sheet", "run"))
    return parser


def _add_selection(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    command.add_argument("--at", type=_inputs.parse_at, default=[], metavar="LIST",
                         help="frames by index (0 is the first, -1 the last) or percentage of the frames: 10,50%%")
    command.add_argument("--time", type=_inputs.parse_times, default=[], metavar="LIST",
                         help="frames on screen at these times, in seconds: 2.5,10")
    command.add_argument("-o", "--output", required=True, metavar="DIR", help="the directory to write into")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    module, function = args.run  # imported now: only the command run pays for its imports (NumPy, Pillow)
    run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(f"derenotes.cli.{module}"), function)
    try:
        return run(args)
    except _inputs.UsageError as error:
        parser.error(str(error))  # exits with status 2
    except (derenotes.DerenotesError, OSError, ValueError) as error:
        _inputs.report(error)
        return EXIT_DAMAGED
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE  # not reached: parser.error exits


def console_script() -> None:
    sys.exit(main())
