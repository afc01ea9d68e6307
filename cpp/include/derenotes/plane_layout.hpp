// Plane geometry of any software pixel format, derived from FFmpeg's AVPixFmtDescriptor:
// how many planes a frame has, each plane's size, and how its bytes map onto an array.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/pixfmt.h>
}

namespace derenotes {

struct PlaneLayout {
    int index = 0;
    int width = 0;       // pixels (samples of the plane's first component) per row
    int height = 0;      // rows
    int row_bytes = 0;   // bytes of pixel data in a row: FFmpeg's minimum linesize
    bool is_palette = false;  // the 256-entry palette of PAL formats: rows of 4 bytes, no linesize

    // The image-shaped array view of the plane: shape[0] is `height` rows (row stride: the
    // frame's linesize, or 4 for a palette); the other dimensions have fixed byte strides.
    int ndim = 2;
    std::int64_t shape[3] = {0, 0, 0};
    std::int64_t inner_strides[2] = {0, 0};  // strides of dimensions 1 and 2
    int itemsize = 1;
    std::string format = "B";  // a struct / PEP 3118 item format: "B", "<H", ">H", "<f", "<I", ...

    // Bytes that one row of the view spans (<= row_bytes).
    std::int64_t view_row_extent() const;
};

// Describes every data plane of `format` at width x height (for PAL formats the palette is the
// last plane). Throws derenotes::Error for unknown formats and hardware formats, whose data is
// not in memory.
std::vector<PlaneLayout> describe_planes(AVPixelFormat format, int width, int height);

}  // namespace derenotes
