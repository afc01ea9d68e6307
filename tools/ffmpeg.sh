#!/bin/sh
# Builds one FFmpeg release from Debian's source package into a prefix of its own, outside the
# work tree, for testing derenotes against it (issue 17):
#
#     tools/ffmpeg.sh 7.1          # or 4.3, 5.1, 8.1, 9.0: the releases Debian serves as source
#     tools/ffmpeg.sh 9.0 wheel    # the libraries a binary wheel bundles (tools/wheel.sh)
#
# prints the prefix (~/.cache/derenotes/ffmpeg/7.1.5, say) once it holds lib/, include/ and the
# ffmpeg and ffprobe programs (the tests' oracles), which find its libraries by their rpath; the
# wheel flavour (7.1.5-wheel) has no programs. A prefix already built is reused.
#
# Debian's archive is the only source reachable here: a private apt configuration (in the cache,
# the system's left as it is) lists deb-src lines for bullseye, bookworm, trixie and sid, and
# `apt-get source --download-only` fetches the upstream tarball, built without Debian's patches.
# LGPL only (no --enable-gpl, no --enable-nonfree); nothing found on the machine is linked in but
# what is asked for (--disable-autodetect): zlib (PNG, MOV's compressed headers), bzip2 and lzma
# (Matroska, TIFF), libdav1d (AV1, from 5.1 on).
set -eu

wanted=${1:?usage: tools/ffmpeg.sh VERSION (4.3, 5.1, 7.1, 8.1, 9.0) [wheel]}
flavour=${2:-test}
cache=${DERENOTES_CACHE:-$HOME/.cache/derenotes}/ffmpeg
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/src"

cat > "$apt_dir/sources.list" <<EOF
deb-src http://deb.debian.org/debian bullseye main
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian trixie main
deb-src http://deb.debian.org/debian sid main
EOF
apt_options="-o APT::Sandbox::User=root -o Dir::Etc::sourcelist=$apt_dir/sources.list -o Dir::Etc::sourceparts=- \
 -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir"
if [ -z "$(ls "$apt_dir/lists" | grep -i sources || true)" ]; then
    apt-get $apt_options update -qq
fi

# The newest Debian version of that release: 7:7.1.5-0+deb13u1 gives 7.1.5.
debian_version=$(apt-cache $apt_options showsrc ffmpeg | sed -n 's/^Version: //p' \
                 | grep -E "^[0-9]+:$wanted\." | sort -V | tail -n 1)
[ -n "$debian_version" ] || { echo "tools/ffmpeg.sh: Debian serves no FFmpeg $wanted" >&2; exit 1; }
upstream=$(echo "$debian_version" | sed -E 's/^[0-9]+://; s/-[^-]*$//')
suffix=$(case "$flavour" in wheel) echo -wheel ;; esac)
prefix=$cache/$upstream$suffix
# The build's recipe: raise it when the options below change, and prefixes built before are rebuilt.
recipe=2  # 2: network protocols with OpenSSL
if [ "$(cat "$prefix/share/licenses/ffmpeg/recipe" 2>/dev/null)" = "$recipe" ] \
   && { [ "$flavour" = wheel ] || [ -x "$prefix/bin/ffprobe" ]; }; then
    echo "$prefix"
    exit 0
fi

cd "$cache/src"
tarball=$(ls ffmpeg_"$upstream".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n 1 || true)
if [ -z "$tarball" ]; then
    # Only the upstream tarball (checked against the Sources index) is used: a missing Debian part,
    # as when a mirror has moved on to the next revision, does not matter.
    apt-get $apt_options source --download-only -qq "ffmpeg=$debian_version" >&2 || true
    tarball=$(ls ffmpeg_"$upstream".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n 1 || true)
    [ -n "$tarball" ] || { echo "tools/ffmpeg.sh: could not fetch ffmpeg_$upstream.orig.tar" >&2; exit 1; }
fi
work=build-$(basename "$prefix")  # a directory per prefix: builds may run side by side
rm -rf "$work" && mkdir "$work"
tar xf "$tarball" -C "$work" --strip-components=1
cd "$work"

# Debian packages for what is linked in (installed only when missing).
for package in nasm zlib1g-dev libbz2-dev liblzma-dev libdav1d-dev libssl-dev; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "ok installed" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq "$package" >&2
done

# FFmpeg 4's libdav1d wrapper predates dav1d 1.0's API (Debian 12's): 4.x is built without it,
# and so decodes no AV1 (the tests that need AV1 skip).
dav1d=$(case "$upstream" in 4.*) ;; *) echo --enable-libdav1d ;; esac)
# libpostproc left FFmpeg in 8.0: its option goes with it.
postproc=$(./configure --help | grep -q -- --disable-postproc && echo --disable-postproc || true)
# The wheel's FFmpeg is the libraries derenotes loads and nothing else: no programs, no libavfilter,
# no encoders nor muxers. Its decoders, demuxers, parsers and protocols are the tested build's.
case "$flavour" in
    wheel) only="--disable-programs --disable-avfilter --disable-encoders --disable-muxers" ;;
    *) only="--disable-ffplay" ;;
esac
# Network protocols with OpenSSL for TLS (https): OpenSSL 3 is under the Apache License 2.0, which
# goes with the LGPL version 3, hence --enable-version3.
options="--enable-shared --enable-rpath --disable-static --disable-doc --disable-debug
    --disable-autodetect --enable-zlib --enable-bzlib --enable-lzma $dav1d --enable-openssl --enable-version3
    --disable-avdevice $postproc $only"
# (The prefix may hold a space: it is the one argument not split.)
./configure --prefix="$prefix" $options \
    > "$cache/configure-$(basename "$prefix").log" 2>&1 \
    || { tail -n 30 "$cache/configure-$(basename "$prefix").log" >&2; exit 1; }
make -j "$(nproc)" > "$cache/make-$(basename "$prefix").log" 2>&1 || { tail -n 30 "$cache/make-$(basename "$prefix").log" >&2; exit 1; }
rm -rf "$prefix"  # what an earlier recipe installed
make install > /dev/null
# The licence texts, for what bundles these libraries (tools/wheel.sh).
mkdir -p "$prefix/share/licenses/ffmpeg" && cp COPYING.LGPLv3 COPYING.LGPLv2.1 LICENSE.md "$prefix/share/licenses/ffmpeg/"
echo $options > "$prefix/share/licenses/ffmpeg/configure"  # the options it was built with
echo "$recipe" > "$prefix/share/licenses/ffmpeg/recipe"
cd .. && rm -rf "$work"
echo "$prefix"
