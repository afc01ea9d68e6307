#!/bin/sh
# The bundled wheel (tools/wheel.sh) installed and tested as a user gets it (`make test-wheel`):
#
# 1. a fresh virtual environment (from PYTHON_BASE, python3 unless given) gets the wheel and the
#    test requirements as binaries only, with the compilers replaced by `false`;
# 2. the whole suite runs against the installed package, from a copy of the checkout without
#    derenotes/ (so nothing imports the source tree); the oracles are the ffmpeg and ffprobe of
#    the same FFmpeg release, built by tools/ffmpeg.sh;
# 3. in a mount namespace where the system's FFmpeg libraries are /dev/null (unloadable), the
#    package decodes the samples and the oracle tests pass: it loads its own copies.
set -eu
cd "$(dirname "$0")/.."
release=${1:-9.0}
python_base=${PYTHON_BASE:-python3}
wheel=$(ls build/wheelhouse/bundled/derenotes-*.whl)
venv=$PWD/build/wheel-venv
tree=build/wheel-tree
oracle=$(tools/ffmpeg.sh "$release")
clip_bin=$(dirname "$(command -v ffmpeg)")  # the system's CLI makes the tests' own clips

rm -rf "$venv" "$tree"
"$python_base" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
CC=false CXX=false "$venv/bin/python" -m pip install -q --only-binary :all: "$wheel" -r requirements-dev.txt
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | grep -zv '^derenotes/' | xargs -0 cp --parents -t "$tree"
cd "$tree"
"$venv/bin/python" -c 'import derenotes, sys; assert "site-packages" in derenotes.__file__, derenotes.__file__'

echo "test_wheel: the suite against the installed wheel ($wheel)"
suite=0
# The benchmark's C++ references build against the same release (bench/plan.py: pkg-config).
DERENOTES_CLIP_BIN=$clip_bin PATH=$oracle/bin:$PATH PKG_CONFIG_PATH=$oracle/lib/pkgconfig "$venv/bin/python" -m pytest -q -n "${PYTEST_WORKERS:-2}" -p no:cacheprovider || suite=$?

echo "test_wheel: with the system's FFmpeg libraries out of reach"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
isolated=0
PATH=$oracle/bin:$PATH unshare --mount sh -c '
    for lib in /usr/lib/$0/libavcodec.so.* /usr/lib/$0/libavformat.so.* /usr/lib/$0/libavutil.so.* \
               /usr/lib/$0/libswscale.so.* /usr/lib/$0/libswresample.so.*; do
        [ -e "$lib" ] && mount --bind /dev/null "$lib"
    done
    "$1" -c "import derenotes; assert sum(1 for _ in derenotes.VideoReader(\"samples/h264_bframes.mp4\")) > 0" || exit 1
    exec "$1" -m pytest -q -p no:cacheprovider tests/test_oracle.py tests/test_reader.py tests/test_audio.py
' "$multiarch" "$venv/bin/python" || isolated=$?
[ $suite = 0 ] && [ $isolated = 0 ]
