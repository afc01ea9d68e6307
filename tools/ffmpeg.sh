#!/bin/sh
# Builds one FFmpeg release from Debian's source package into a prefix of its own, outside the
# work tree, for testing derenotes against it (issue 17):
#
#     tools/ffmpeg.sh 7.1          # or 4.3, 5.1, 8.1, 9.0: the releases Debian serves as source
#
# prints the prefix (~/.cache/derenotes/ffmpeg/7.1.5, say) once it holds lib/, include/ and the
# ffmpeg and ffprobe programs (the tests' oracles), which find its libraries by their rpath. A
# prefix already built is reused.
#
# Debian's archive is the only source reachable here: a private apt configuration (in the cache,
# the system's left as it is) lists deb-src lines for bullseye, bookworm, trixie and sid, and
# `apt-get source --download-only` fetches the upstream tarball, built without Debian's patches.
# LGPL only (no --enable-gpl, no --enable-nonfree); nothing found on the machine is linked in but
# what is asked for (--disable-autodetect): zlib (PNG, MOV's compressed headers), bzip2 and lzma
# (Matroska, TIFF), libdav1d (AV1).
set -eu

wanted=${1:?usage: tools/ffmpeg.sh VERSION (4.3, 5.1, 7.1, 8.1, 9.0)}
cache=${DERENOTES_CACHE:-$HOME/.cache/derenotes}/ffmpeg
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/src"

cat > "$apt_dir/sources.list" <<EOF
deb-src http://deb.debian.org/debian bullseye main
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian trixie main
deb-src http://deb.debian.org/debian sid main
EOF
apt_options="-o Dir::Etc::sourcelist=$apt_dir/sources.list -o Dir::Etc::sourceparts=- \
 -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir"
if [ -z "$(ls "$apt_dir/lists" | grep -i sources || true)" ]; then
    apt-get $apt_options update -qq
fi

# The newest Debian version of that release: 7:7.1.5-0+deb13u1 gives 7.1.5.
debian_version=$(apt-cache $apt_options showsrc ffmpeg | sed -n 's/^Version: //p' \
                 | grep -E "^[0-9]+:$wanted\." | sort -V | tail -n 1)
[ -n "$debian_version" ] || { echo "tools/ffmpeg.sh: Debian serves no FFmpeg $wanted" >&2; exit 1; }
upstream=$(echo "$debian_version" | sed -E 's/^[0-9]+://; s/-[^-]*$//')
prefix=$cache/$upstream
if [ -x "$prefix/bin/ffprobe" ] && [ -f "$prefix/lib/pkgconfig/libavcodec.pc" ]; then
    echo "$prefix"
    exit 0
fi

cd "$cache/src"
tarball=$(ls ffmpeg_"$upstream".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n 1 || true)
if [ -z "$tarball" ]; then
    apt-get $apt_options source --download-only -qq "ffmpeg=$debian_version" >&2
    tarball=$(ls ffmpeg_"$upstream".orig.tar.* | grep -v '\.asc$' | head -n 1)
fi
rm -rf "ffmpeg-$upstream"
tar xf "$tarball"
cd "ffmpeg-$upstream"

# Debian packages for what is linked in (installed only when missing).
for package in nasm zlib1g-dev libbz2-dev liblzma-dev libdav1d-dev; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "ok installed" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2
done

./configure --prefix="$prefix" --enable-shared --enable-rpath --disable-static --disable-doc --disable-debug \
    --disable-autodetect --enable-zlib --enable-bzlib --enable-lzma --enable-libdav1d \
    --disable-ffplay --disable-avdevice --disable-postproc --disable-network \
    > "$cache/configure-$upstream.log" 2>&1 \
    || { tail -n 30 "$cache/configure-$upstream.log" >&2; exit 1; }
make -j "$(nproc)" > "$cache/make-$upstream.log" 2>&1 || { tail -n 30 "$cache/make-$upstream.log" >&2; exit 1; }
make install > /dev/null
cd .. && rm -rf "ffmpeg-$upstream"
echo "$prefix"
