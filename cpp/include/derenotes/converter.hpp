// Frames converted with libswscale into memory the caller provides, byte for byte as the ffmpeg
// CLI's own scaler converts them (`ffmpeg -i CLIP [-vf scale=W:H] [-sws_flags F] -pix_fmt FMT`).
#pragma once

#include <cstdint>
#include <string>

#include "derenotes/frame.hpp"

namespace derenotes {

// FFmpeg's pixel format of this name, or throws Error (Unsupported).
int pixel_format_named(const std::string& name);

// swscale's flags of a `-sws_flags`-style string ("bicubic", "bilinear+accurate_rnd"); "" gives
// the CLI's default (its scaler passes no flags and swscale takes bicubic). Throws Error.
int scale_flags_named(const std::string& flags);

// Converts `frame` to `format` at width x height into the planes `data` (rows `linesize` bytes
// apart). Uses the frame's colour matrix and range as the CLI does; the swscale context is kept
// per thread and reused while the sizes, formats and flags stay the same.
// swscale's SIMD code writes whole blocks of pixels, up to kConversionOvershoot bytes past the
// end of a row: only when the destination is one plane whose rows follow each other with at
// least that many writable bytes after the last (`padded`) does swscale write into it directly;
// otherwise it converts into a padded buffer of the thread's and copies the rows over.
constexpr int kConversionOvershoot = 256;
void convert_frame(const Frame& frame, int format, int width, int height, int flags, std::uint8_t* const data[4],
                   const int linesize[4], bool padded);

}  // namespace derenotes
