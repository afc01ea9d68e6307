"""The build (CMakeLists.txt, through scikit-build-core for wheels): it says what to install when
FFmpeg's development files are missing, and the wheel holds what a user needs and nothing else."""
import os
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Under `make asan` libasan is preloaded into every process: the wheel is not what that run checks,
# and building one with the compilers instrumented would take minutes.
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def test_missing_ffmpeg_development_files_are_named(tmp_path):
    # An empty pkg-config search path is what a machine without the -dev packages looks like.
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(tmp_path), PKG_CONFIG_PATH="")
    result = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"),
                             f"-DPython_EXECUTABLE={sys.executable}"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "apt-get install pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev" in result.stderr
    assert "libavformat" in result.stderr.split("pkg-config said:")[1]  # pkg-config's own words follow


@pytest.mark.skipif(SANITIZED, reason="the wheel is built and checked by the normal run")
def test_wheel_holds_the_python_files_and_the_stripped_module(tmp_path):
    """What `pip install .` installs. The CMake build directory build/wheel is kept between runs,
    so that after the first (about a minute) this only packs the wheel."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                    "-w", str(tmp_path), f"--config-settings=build-dir={ROOT / 'build' / 'wheel'}", str(ROOT)],
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
    assert {name.split("/", 1)[1] for name in dist_info} == {"METADATA", "WHEEL", "RECORD", "licenses/LICENSE"}
    # Stripped, without debug information: neither section is named in the module.
    assert b".symtab\0" not in module and b".debug_info\0" not in module
    assert wheel.stat().st_size < 400_000, wheel.stat().st_size  # 2.0 MB with setuptools' debug build
    # The version is written once, in derenotes/__init__.py, which the metadata reads.
    version = re.search(r'^__version__ = "(.+)"$', (package / "__init__.py").read_text(), re.M)[1]
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: LGPL-2.1-or-later\n" in metadata

