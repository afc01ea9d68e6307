"""Builds the one extension module: derenotes/libs/image/video.pyx plus the C++ core in cpp/src,
linked against FFmpeg's libavformat, libavcodec, libavutil and libswscale found with pkg-config, and built
against NumPy's C API (for VideoFrame.arrays)."""
import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

FFMPEG_LIBRARIES = ["libavformat", "libavcodec", "libavutil", "libswscale"]
MISSING_FFMPEG = """
derenotes needs FFmpeg's development files (headers and pkg-config files) to build.
On Debian or Ubuntu:  sudo apt-get install pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
(or run `make demo`, which installs them). pkg-config said:
{}"""


def pkg_config(*args):
    try:
        result = subprocess.run(["pkg-config", *args, *FFMPEG_LIBRARIES], capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit(MISSING_FFMPEG.format("pkg-config is not installed"))
    if result.returncode != 0:
        sys.exit(MISSING_FFMPEG.format(result.stderr.strip()))
    return shlex.split(result.stdout)


def extension():
    import numpy
    from Cython.Build import cythonize

    cflags = pkg_config("--cflags")
    libs = pkg_config("--libs")
    extra_compile = ["-std=c++17", "-O2", "-Wall", "-Wno-unused-function"]
    extra_link = []
    if os.environ.get("DERENOTES_SANITIZE"):  # e.g. "address,undefined": for `make asan`
        sanitize = ["-fsanitize=" + os.environ["DERENOTES_SANITIZE"], "-fno-omit-frame-pointer", "-g"]
        extra_compile += sanitize
        extra_link += sanitize
    module = Extension(
        "derenotes.libs.image.video",
        sources=["derenotes/libs/image/video.pyx", *sorted(glob.glob("cpp/src/*.cpp"))],
        language="c++",
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        include_dirs=["cpp/include", numpy.get_include(), *(f[2:] for f in cflags if f.startswith("-I"))],
        library_dirs=[f[2:] for f in libs if f.startswith("-L")],
        libraries=[f[2:] for f in libs if f.startswith("-l")],
        extra_compile_args=extra_compile + [f for f in cflags if not f.startswith("-I")],
        extra_link_args=extra_link,
        depends=sorted(glob.glob("cpp/include/derenotes/*.hpp")) + ["derenotes/libs/image/video.pxd"],
    )
    return cythonize([module], compiler_directives={"language_level": "3"})


setup(
    packages=["derenotes", "derenotes.libs", "derenotes.libs.image"],
    package_data={"derenotes.libs.image": ["*.pxd", "*.pyx"]},
    ext_modules=extension(),
)
