"""The build (CMakeLists.txt, through scikit-build-core for wheels): it says what to install when
FFmpeg's development files are missing or too old, the wheel holds what a user needs and nothing
else, and the sdist holds what building and testing need and is made without FFmpeg."""
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Under `make asan` libasan is preloaded into every process: the wheel is not what that run checks,
# and building one with the compilers instrumented would take minutes.
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")
# The wheel's CMake build directory, kept between runs, one per Python (its cache names the Python).
WHEEL_BUILD = "wheel-%d.%d" % sys.version_info[:2]
needs_checkout = pytest.mark.skipif(not (ROOT / "derenotes").is_dir(),
                                    reason="no source tree: testing an installed derenotes")


def no_ffmpeg_env(tmp_path):
    """An empty pkg-config search path: what a machine without FFmpeg's -dev packages looks like."""
    empty = tmp_path / "no-pkg-config"
    empty.mkdir(exist_ok=True)
    return dict(os.environ, PKG_CONFIG_LIBDIR=str(empty), PKG_CONFIG_PATH="")


def test_missing_ffmpeg_development_files_are_named(tmp_path):
    env = no_ffmpeg_env(tmp_path)
    result = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"),
                             f"-DPython_EXECUTABLE={sys.executable}"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "apt-get install pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev" in result.stderr
    assert "libavformat" in result.stderr.split("pkg-config said:")[1]  # pkg-config's own words follow


@pytest.mark.skipif(SANITIZED, reason="the wheel is built and checked by the normal run")
@needs_checkout
def test_wheel_holds_the_python_files_and_the_stripped_module(tmp_path):
    """What `pip install .` installs. The CMake build directory build/wheel-X.Y is kept between runs,
    so that after the first (about a minute) this only packs the wheel."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                    "-w", str(tmp_path), f"--config-settings=build-dir={ROOT / 'build' / WHEEL_BUILD}", str(ROOT)],
                   cwd=ROOT, check=True, timeout=600)
    (wheel,) = tmp_path.glob("derenotes-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        modules = [name for name in names if name.endswith(".so")]
        assert len(modules) == 1 and modules[0].startswith("derenotes/libs/image/video."), modules
        module = archive.read(modules[0])
        metadata = archive.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()

    package = ROOT / "derenotes"
    expected = {path.relative_to(ROOT).as_posix() for path in package.rglob("*")
                if path.suffix in (".py", ".pyi") or path.name == "py.typed"}
    dist_info = {name for name in names if name.split("/")[0].endswith(".dist-info")}
    assert {"derenotes/py.typed", "derenotes/libs/image/video.pyi"} <= expected  # typing ships
    assert names - dist_info - set(modules) == expected
    assert {name.split("/", 1)[1] for name in dist_info} == {"METADATA", "WHEEL", "RECORD", "licenses/LICENSE",
                                                             "entry_points.txt"}
    with zipfile.ZipFile(wheel) as archive:  # the derenotes command (docs/cli.md)
        entry_points = archive.read(next(name for name in dist_info if name.endswith("/entry_points.txt"))).decode()
    assert "[console_scripts]\nderenotes = derenotes.cli:console_script" in entry_points
    # Stripped, without debug information: neither section is named in the module.
    assert b".symtab\0" not in module and b".debug_info\0" not in module
    # 425 KB (the command included); 2.0 MB with setuptools' debug build, which this would catch.
    assert wheel.stat().st_size < 500_000, wheel.stat().st_size
    # The version is written once, in derenotes/__init__.py, which the metadata reads.
    version = re.search(r'^__version__ = "(.+)"$', (package / "__init__.py").read_text(), re.M)[1]
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: LGPL-2.1-or-later\n" in metadata



def test_too_old_ffmpeg_is_named(tmp_path):
    """pkg-config files of FFmpeg 4.2's libraries (libavcodec 58.54) found first: the configuration
    stops with the version it needs and the one it found."""
    fake = tmp_path / "old-ffmpeg"
    fake.mkdir()
    versions = {"libavformat": "58.29.100", "libavcodec": "58.54.100", "libavutil": "56.31.100",
                "libswscale": "5.5.100", "libswresample": "3.5.100"}
    for module, version in versions.items():
        (fake / f"{module}.pc").write_text(f"prefix=/nonexistent\nName: {module}\nDescription: FFmpeg 4.2\n"
                                           f"Version: {version}\nLibs: -l{module[3:]}\nCflags:\n")
    env = dict(os.environ, PKG_CONFIG_PATH=f"{fake}:{os.environ.get('PKG_CONFIG_PATH', '')}")
    result = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"),
                             f"-DPython_EXECUTABLE={sys.executable}"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "derenotes needs FFmpeg 4.3 or newer (libavcodec 58.91.100)" in message, result.stderr
    assert "found libavcodec 58.54.100" in message


@needs_checkout
def test_sdist_is_made_without_ffmpeg_and_holds_sources_samples_and_tests(tmp_path):
    env = no_ffmpeg_env(tmp_path)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   env=env, check=True, capture_output=True, timeout=300)
    (sdist,) = tmp_path.glob("derenotes-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        if sys.version_info >= (3, 12):
            archive.extractall(tmp_path / "unpacked", filter="data")
        else:
            archive.extractall(tmp_path / "unpacked")
    manifest = json.loads((ROOT / "samples" / "manifest.json").read_text())
    needed = {"CMakeLists.txt", "pyproject.toml", "README.md", "LICENSE", "Makefile", "derenotes/__init__.py",
              "derenotes/libs/image/video.pyx", "cpp/src/decoder.cpp", "cpp/include/derenotes/ffmpeg.hpp",
              "tests/conftest.py", "samples/make_samples.py", "samples/manifest.json", "tools/ffmpeg.sh"}
    assert needed <= names, needed - names
    assert {f"samples/{clip}" for clip in manifest["clips"]} <= names  # every sample the tests read
    assert not [name for name in names if name.startswith(("build/", ".venv", ".git/")) or name.endswith(".so")]

    # Metadata without FFmpeg: what pip asks of the sdist before it builds anything.
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    hook = ("import scikit_build_core.build as backend, sys; "
            "print(backend.prepare_metadata_for_build_wheel(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", hook, str(tmp_path / "metadata")], cwd=unpacked, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    metadata = (tmp_path / "metadata" / result.stdout.split()[-1] / "METADATA").read_text()
    assert "\nRequires-Python: >=3.9\n" in metadata and "\nClassifier: Programming Language :: Python :: 3.13\n" in metadata
