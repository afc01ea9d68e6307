"""The public API is typed and documented: the .pyi stubs agree with the built module (mypy's
stubtest), mypy uses them on user code, stubgen reads the module without crashing,
inspect.signature() works on every public callable, and every public attribute has a docstring."""
import inspect
import pathlib
import subprocess
import sys
import textwrap

import pytest

import derenotes
from derenotes.libs.image import video

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUBLIC_CLASSES = [derenotes.VideoReader, derenotes.VideoFrame, video._Plane]


def run(*command, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="stubtest takes typing.Any for a function on Python 3.9")
def test_the_stubs_agree_with_the_built_module():
    # pyproject.toml's mypy settings: derenotes.ray's Ray is not followed (it tripled the time).
    result = run("mypy.stubtest", "--mypy-config-file", "pyproject.toml", "derenotes")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_checks_user_code_against_the_stubs(tmp_path):
    user_code = tmp_path / "user.py"
    user_code.write_text(textwrap.dedent("""
        import numpy
        import derenotes

        with derenotes.VideoReader("clip.mp4", stream=0, index="decode") as reader:
            count: int = len(reader)
            for frame in reader:
                y = numpy.asarray(frame.planes[0])
                time: float | None = frame.time
            first: derenotes.VideoFrame = reader[0]
            some: list[derenotes.VideoFrame] = reader[1:3]
            rgb = reader[0].to_ndarray("rgb24", width=64)
            wrong: str = reader.width
    """))
    result = run("mypy", "--no-error-summary", "--python-version", "3.10", str(user_code))
    # The one mistake is found, so the stubs are in use; nothing else is reported.
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "user.py:13" in errors[0] and '"int"' in errors[0], result.stdout + result.stderr


def test_stubgen_reads_the_module(tmp_path):
    stubgen = "import sys; from mypy.stubgen import main; main(sys.argv[1:])"  # mypyc-compiled: no -m
    result = subprocess.run([sys.executable, "-c", stubgen, "--inspect-mode", "-p", "derenotes", "-o", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "class VideoReader" in (tmp_path / "derenotes" / "libs" / "image" / "video.pyi").read_text()


def public_callables():
    for name in derenotes.__all__:  # exception classes take what BaseException takes
        value = getattr(derenotes, name)
        if callable(value) and not (isinstance(value, type) and issubclass(value, BaseException)):
            yield value
    for cls in PUBLIC_CLASSES:
        for name, attribute in vars(cls).items():
            if not name.startswith("_") and callable(attribute):
                yield getattr(cls, name)


@pytest.mark.parametrize("function", list(public_callables()), ids=lambda function: function.__qualname__)
def test_inspect_signature_works(function):
    inspect.signature(function)


def test_the_reader_signature_is_the_real_one():
    parameters = inspect.signature(derenotes.VideoReader).parameters
    assert list(parameters) == ["source", "stream", "threads", "max_pixels", "format", "width", "height",
                                "sws_flags", "index", "allow_nested", "allow_network", "max_streams", "max_packets",
                                "max_probe_bytes", "timeout", "max_nested_opens", "rotate"]
    assert parameters["max_pixels"].default == 8192 * 8192
    assert parameters["max_packets"].default == 10_000_000
    assert parameters["max_probe_bytes"].default == 5_000_000  # FFmpeg's probesize
    assert parameters["index"].default == "packets"


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_every_public_attribute_has_a_docstring(cls):
    assert (cls.__doc__ or "").strip()
    undocumented = [name for name, attribute in vars(cls).items()
                    if not name.startswith("_") and not (getattr(attribute, "__doc__", None) or "").strip()]
    assert undocumented == []
