// Plane geometry of any software pixel format, derived from FFmpeg's AVPixFmtDescriptor, and of
// any audio sample format: how many planes a frame has, each plane's size, and how its bytes map
// onto an array.
#pragma once

#include <cstdint>
#include <vector>

extern "C" {
#include <libavutil/pixfmt.h>
#include <libavutil/samplefmt.h>
}

namespace derenotes {

// What one item of a plane's array view is: an unsigned or signed integer or a floating-point
// number of `bits` bits (8, 16, 32 or 64), stored big-endian or little-endian (single bytes:
// little).
struct ItemType {
    enum class Kind { Unsigned, Float, Signed };
    Kind kind = Kind::Unsigned;
    int bits = 8;
    bool big_endian = false;

    int bytes() const { return bits / 8; }
    // The struct module's / PEP 3118 format of the item: "B", "<H", ">H", "<e", "<f", "<I", ...
    // (a static string: buffer views may point at it for as long as they live).
    const char* pep3118() const;
    bool operator==(const ItemType& other) const {
        return kind == other.kind && bits == other.bits && big_endian == other.big_endian;
    }
};

struct PlaneLayout {
    int index = 0;
    int width = 0;       // pixels (samples of the plane's first component) per row
    int height = 0;      // rows
    int row_bytes = 0;   // bytes of pixel data in a row: FFmpeg's minimum linesize
    bool is_palette = false;  // the 256-entry palette of PAL formats: rows of 4 bytes, no linesize
    // A plane of audio: its rows are samples (height: the frame's sample count), one right after
    // the other (row stride: row_bytes); FFmpeg's linesize is the whole plane's padded size.
    bool is_audio = false;

    // The image-shaped array view of the plane: shape[0] is `height` rows (row stride: the
    // frame's linesize, or 4 for a palette); the other dimensions have fixed byte strides.
    int ndim = 2;
    std::int64_t shape[3] = {0, 0, 0};
    std::int64_t inner_strides[2] = {0, 0};  // strides of dimensions 1 and 2
    ItemType item;      // what each item is
    int itemsize = 1;   // item.bytes()
    // When each item is one sample of the plane's components and they all agree, the sample's
    // bits in the item, as FFmpeg's component descriptor gives them: (item >> shift) holds
    // `depth` bits (yuv420p10le: 10 and 0; p010le: 10 and 6). 0 and 0 otherwise (components
    // sharing a word, bitstreams, audio).
    int depth = 0;
    int shift = 0;

    // Bytes that one row of the view spans (<= row_bytes).
    std::int64_t view_row_extent() const;
};

// Describes every data plane of `format` at width x height (for PAL formats the palette is the
// last plane). Throws derenotes::Error for unknown formats and hardware formats, whose data is
// not in memory.
std::vector<PlaneLayout> describe_planes(AVPixelFormat format, int width, int height);

// Describes every data plane of audio in `format` with `channels` channels and `samples` samples:
// planar formats (fltp, s16p, ...) one plane per channel, shape (samples,); packed formats one
// plane, shape (samples, channels). Throws derenotes::Error for unknown formats.
std::vector<PlaneLayout> describe_audio_planes(AVSampleFormat format, int channels, int samples);

}  // namespace derenotes
