// Frames converted with libswscale into memory the caller provides, byte for byte as the ffmpeg
// CLI's own scaler converts them (`ffmpeg -i CLIP [-vf scale=W:H] [-sws_flags F] -pix_fmt FMT`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "derenotes/frame.hpp"
#include "derenotes/plane_layout.hpp"

namespace derenotes {

// FFmpeg's pixel format of this name, or throws Error (Unsupported).
int pixel_format_named(const std::string& name);

// The one of `candidates` (FFmpeg's names) that FFmpeg deems loses least converting from the
// format named `source` (avcodec_find_best_pix_fmt_of_list: depth, then chroma, then alpha), as
// the ffmpeg CLI picks an encoder's format. Throws Error (Unsupported) for unknown names.
std::string least_lossy_format(const std::string& source, const std::vector<std::string>& candidates);

// swscale's flags of a `-sws_flags`-style string ("bicubic", "bilinear+accurate_rnd"); "" gives
// the CLI's default (its scaler passes no flags and swscale takes bicubic). Throws Error.
int scale_flags_named(const std::string& flags);

// The planes convert_frame() writes for `format` at width x height (describe_planes()). Throws
// Error (Unsupported) when swscale cannot produce the format, unless `copy`: the frame's own
// format at its own size, which is copied rather than converted.
std::vector<PlaneLayout> conversion_planes(int format, int width, int height, bool copy);

// Converts `frame` to `format` at width x height into the planes `data`, rows `linesize` bytes
// apart (at least each plane's row_bytes), as the CLI converts: the frame's colour matrix and
// range, `flags`. The frame's own format at its own size is copied, as the CLI copies it. The
// swscale context is kept per thread and reused while sizes, formats and flags stay the same.
//
// Every byte of the destination's rows is written, and nothing outside them. swscale's SIMD code
// writes whole blocks of pixels past a row's end (up to 90 bytes measured, a whole row for XYZ),
// leaves a row's last pixels unwritten when their block would pass the row's stride, and its
// planar converters need 16-byte-aligned rows: FFmpeg's own frames allow for all of that. So
// swscale writes straight into the destination only the rows that have rows after them to absorb
// the overshoot, when the rows of each plane follow each other with no gap, the width is a
// multiple of 16 pixels (and, for several planes, rows are 16-byte aligned), and the converter
// gives the same bytes whether the frame goes in whole or cut in two (not so for Bayer sources);
// the last rows, and any destination that is not so, go through a frame of the thread's laid out
// as FFmpeg's and are copied over.
void convert_frame(const Frame& frame, int format, int width, int height, int flags, std::uint8_t* const data[4],
                   const int linesize[4]);

}  // namespace derenotes
