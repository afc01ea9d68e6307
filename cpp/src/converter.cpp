// Conversions with libswscale into the caller's memory, and the names of pixel formats and scale
// flags (see converter.hpp).
#include "derenotes/converter.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

extern "C" {
#include <libavutil/opt.h>
}

#include "derenotes/error.hpp"

namespace derenotes {

int pixel_format_named(const std::string& name) {
    const AVPixelFormat format = av_get_pix_fmt(name.c_str());
    if (format == AV_PIX_FMT_NONE)
        throw Error(AVERROR(EINVAL), "", "no pixel format named '" + name + "'", ErrorKind::Unsupported);
    return format;
}

std::string least_lossy_format(const std::string& source, const std::vector<std::string>& candidates) {
    std::vector<AVPixelFormat> list;
    for (const std::string& name : candidates) list.push_back(static_cast<AVPixelFormat>(pixel_format_named(name)));
    list.push_back(AV_PIX_FMT_NONE);
    const auto from = static_cast<AVPixelFormat>(pixel_format_named(source));
    const bool has_alpha = av_pix_fmt_desc_get(from)->flags & AV_PIX_FMT_FLAG_ALPHA;
    return av_get_pix_fmt_name(avcodec_find_best_pix_fmt_of_list(list.data(), from, has_alpha, nullptr));
}

int scale_flags_named(const std::string& flags) {
    if (flags.empty()) return SWS_BICUBIC;
    // The string is parsed as swscale's own "sws_flags" option, as the CLI parses -sws_flags.
    ScaleContextPtr context(sws_alloc_context());
    if (!context) throw std::bad_alloc();
    std::int64_t value = 0;
    const int set = av_opt_set(context.get(), "sws_flags", flags.c_str(), 0);
    if (set < 0 || av_opt_get_int(context.get(), "sws_flags", 0, &value) < 0)
        throw Error(set < 0 ? set : AVERROR(EINVAL), "", "invalid swscale flags '" + flags + "'");
    return static_cast<int>(value);
}

std::vector<PlaneLayout> conversion_planes(int format, int width, int height, bool copy) {
    const auto pixel_format = static_cast<AVPixelFormat>(format);
    if (!copy && !sws_isSupportedOutput(pixel_format))
        throw Error(AVERROR(ENOSYS), "",
                    std::string("swscale cannot convert to ") + av_get_pix_fmt_name(pixel_format),
                    ErrorKind::Unsupported);
    return describe_planes(pixel_format, width, height);
}

namespace {

// The most bytes swscale's SIMD code was measured to write past the end of a row: 90 (rgb24 and
// rgb48le; 60 for rgba, 30 for 16-bit planar) over every output format, 10 source formats, 5
// scaling flags, widths 2-72 and three scales (FFmpeg 5.1). XYZ formats write a whole row.
constexpr int kRowOvershoot = 256;

// swscale writes rows straight into the destination only at widths that are a multiple of this:
// its SIMD code works in blocks of pixels and, where the last block would pass the row's stride,
// leaves those pixels unwritten (x86 YUV to RGB: the last width % 8). FFmpeg's own frames have
// room for the block; tight rows do not. Found by converting every input format swscale takes to
// every output at widths 1-66 (failures at widths that are not multiples of 16 only), then at
// every multiple of 16 up to 1024 (none), into tight rows against padded ones (FFmpeg 5.1).
constexpr int kStraightWidthMultiple = 16;

// The colour matrix swscale should use for a frame before FFmpeg 7.1, as the CLI's scale filter
// picks it: the frame's own, with BT.601 for unspecified, RGB, YCgCo and unknown values.
int matrix_of(const AVFrame* frame) {
    const int colorspace = frame->colorspace;
    if (colorspace < AVCOL_SPC_BT709 || colorspace > AVCOL_SPC_BT2020_CL || colorspace == AVCOL_SPC_YCGCO)
        return AVCOL_SPC_BT470BG;
    return colorspace;
}

bool is_regular_yuv(const AVPixFmtDescriptor* desc) {
    constexpr auto not_yuv = AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | kPixelFormatFlagXyz | AV_PIX_FMT_FLAG_FLOAT;
    return desc->nb_components >= 3 && !(desc->flags & not_yuv);
}

bool is_full_range_yuv(int format) {
    return format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P ||
           format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P;
}

// From FFmpeg 7.1 on (kFilterGraphNegotiatesColours), the colour range and matrix of the links
// into and out of the CLI's scale filter, as its filter graph negotiates them (libavfilter's
// buffersrc and pick_format; checked against the CLI's `-v debug` log). YUV carries the frame's,
// full range for the yuvj formats; an output in YUV carries the input's when that is YUV too,
// else none. Gray and RGB are full range (float formats have none), and RGB's matrix is RGB.
struct LinkColours {
    int range;
    int space;
};

LinkColours link_colours(int format, int range, int space) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
    if (is_regular_yuv(desc)) return {is_full_range_yuv(format) ? AVCOL_RANGE_JPEG : range, space};
    return {(desc->flags & AV_PIX_FMT_FLAG_FLOAT) ? AVCOL_RANGE_UNSPECIFIED : AVCOL_RANGE_JPEG,
            (desc->flags & (AV_PIX_FMT_FLAG_RGB | kPixelFormatFlagXyz)) ? AVCOL_SPC_RGB : AVCOL_SPC_UNSPECIFIED};
}

LinkColours input_link(const AVFrame* source) {
    return link_colours(source->format, source->color_range, source->colorspace);
}

LinkColours output_link(int format, const AVFrame* source) {
    if (!is_regular_yuv(av_pix_fmt_desc_get(static_cast<AVPixelFormat>(source->format))))
        return link_colours(format, AVCOL_RANGE_UNSPECIFIED, AVCOL_SPC_UNSPECIFIED);
    const LinkColours in = input_link(source);
    return link_colours(format, in.range, in.space);
}

// The thread's swscale context: the last conversion's, reused while sizes, formats and flags stay.
thread_local ScaleContextPtr context;

// The thread's context for this conversion, with the colour details the CLI's scale filter gives
// its context. Before FFmpeg 7.1: the source's matrix and range, and swscale's default range for
// the destination (limited for YUV and gray). From 7.1 on: the ranges of the links into and out of
// the filter where they have one, the input link's matrix, and the output link's where it has one.
SwsContext* thread_context(const AVFrame* source, int format, int width, int height, int flags) {
    context.reset(sws_getCachedContext(context.release(), source->width, source->height,
                                       static_cast<AVPixelFormat>(source->format), width, height,
                                       static_cast<AVPixelFormat>(format), flags, nullptr, nullptr, nullptr));
    if (!context)
        throw Error(AVERROR(EINVAL), "",
                    std::string("swscale cannot convert ") +
                        av_get_pix_fmt_name(static_cast<AVPixelFormat>(source->format)) + " to " +
                        av_get_pix_fmt_name(static_cast<AVPixelFormat>(format)),
                    ErrorKind::Unsupported);
    int* inverse_table = nullptr;
    int* table = nullptr;
    int source_full = 0, destination_full = 0, brightness = 0, contrast = 0, saturation = 0;
    sws_getColorspaceDetails(context.get(), &inverse_table, &source_full, &table, &destination_full, &brightness,
                             &contrast, &saturation);
    const int* inverse_coefficients = sws_getCoefficients(matrix_of(source));
    const int* coefficients = inverse_coefficients;
    if (kFilterGraphNegotiatesColours) {
        const LinkColours in = input_link(source), out = output_link(format, source);
        if (in.range != AVCOL_RANGE_UNSPECIFIED) source_full = in.range == AVCOL_RANGE_JPEG;
        if (out.range != AVCOL_RANGE_UNSPECIFIED) destination_full = out.range == AVCOL_RANGE_JPEG;
        inverse_coefficients = sws_getCoefficients(in.space);
        coefficients = out.space != AVCOL_SPC_UNSPECIFIED ? sws_getCoefficients(out.space) : inverse_coefficients;
    } else if (source->color_range != AVCOL_RANGE_UNSPECIFIED) {
        source_full = source->color_range == AVCOL_RANGE_JPEG;
    }
    sws_setColorspaceDetails(context.get(), inverse_coefficients, source_full, coefficients, destination_full,
                             brightness, contrast, saturation);
    return context.get();
}

// The thread's frame of `format` at width x height, allocated as FFmpeg allocates frames (aligned
// rows with room after them) and reused while the format and size stay the same.
AVFrame* thread_scratch(int format, int width, int height) {
    thread_local FramePtr scratch;
    if (scratch && scratch->format == format && scratch->width == width && scratch->height == height)
        return scratch.get();
    scratch.reset(alloc_frame());
    if (!scratch) throw std::bad_alloc();
    scratch->format = format;
    scratch->width = width;
    scratch->height = height;
    const int allocated = av_frame_get_buffer(scratch.get(), 0);
    if (allocated < 0) {
        scratch.reset();
        throw Error(allocated, "", "cannot allocate a frame for the conversion");
    }
    return scratch.get();
}

// Zeroes the frame's rows from `first` on (of every plane; the scratch path is taken for planes of
// one height, or whole): some converters leave bytes unwritten even in FFmpeg's own frames (the
// X of xRGB, the last pixel of odd widths in 48-bit RGB, ...), which the CLI's fresh buffers have
// as zeros; a reused frame of ours would otherwise give the last conversion's bytes there.
void clear_rows(AVFrame* frame, const std::vector<PlaneLayout>& planes, int first) {
    for (const PlaneLayout& plane : planes) {
        if (plane.is_palette || first >= plane.height) continue;
        std::uint8_t* start = frame->data[plane.index] + std::ptrdiff_t(first) * frame->linesize[plane.index];
        std::memset(start, 0, std::size_t(plane.height - first) * frame->linesize[plane.index]);
    }
}

// How many of the destination's last rows must go through the scratch frame so that swscale may
// write the others straight into it; 0 when it may write none. See converter.hpp.
int rows_through_scratch(const AVFrame* source, const AVPixFmtDescriptor* desc, const std::vector<PlaneLayout>& planes,
                         std::uint8_t* const data[4], const int linesize[4], int width, int height) {
    if ((desc->flags & AV_PIX_FMT_FLAG_PAL) || (planes.size() > 1 && desc->log2_chroma_h != 0)) return 0;
    if (width % kStraightWidthMultiple != 0) return 0;
    // swscale's Bayer converters treat the first and last rows of every slice as the frame's own
    // edges (and one crashed on a second slice): Bayer frames go in whole.
    if (av_pix_fmt_desc_get(static_cast<AVPixelFormat>(source->format))->flags & AV_PIX_FMT_FLAG_BAYER) return 0;
    int rows = 1;
    for (const PlaneLayout& plane : planes) {
        const int row_bytes = plane.row_bytes;
        if (linesize[plane.index] != row_bytes) return 0;
        if (planes.size() > 1 &&
            (reinterpret_cast<std::uintptr_t>(data[plane.index]) % 16 != 0 || row_bytes % 16 != 0))
            return 0;
        rows = std::max(rows, (kRowOvershoot + row_bytes - 1) / row_bytes);
    }
    return rows < height ? rows : 0;
}

// The first source rows to convert straight so that swscale writes `output_rows` rows from them
// (same size: row for row), a multiple of 8 rows; 0 if there are none.
int source_rows_for(const AVFrame* source, int output_rows) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(source->format));
    if (desc->flags & AV_PIX_FMT_FLAG_PAL) return 0;  // its palette is no plane of rows to slice
    // Whole chroma rows, and whole periods of the 8-row dither patterns swscale's unscaled
    // converters restart at each slice (16-bit to 8-bit gray differs otherwise).
    const int alignment = std::max(8, 1 << desc->log2_chroma_h);
    return output_rows / alignment * alignment;
}

// av_image_copy() into the destination's planes (FFmpeg 5.1 takes them non-const).
void copy_image(std::uint8_t* const data[4], const int linesize[4], const std::uint8_t* const source[4],
                const int source_linesize[4], AVPixelFormat format, int width, int height) {
    std::uint8_t* destination[4] = {data[0], data[1], data[2], data[3]};
    int destination_linesize[4] = {linesize[0], linesize[1], linesize[2], linesize[3]};
    const std::uint8_t* planes[4] = {source[0], source[1], source[2], source[3]};
    av_image_copy(destination, destination_linesize, planes, source_linesize, format, width, height);
}

// Checks what sws_scale returned: the rows it wrote, between `fewest` and `most`.
void check_rows(int rows, int fewest, int most) {
    if (rows < 0) throw Error(rows, "", "cannot convert the frame");
    if (rows < fewest || rows > most)
        throw Error(AVERROR_BUG, "", "swscale wrote " + std::to_string(rows) + " rows, not " +
                                         std::to_string(fewest) + "-" + std::to_string(most));
}

// FFmpeg 8 and later: converts as the scale filter's scale_frame() does. The input is the frame
// with its chroma location dropped and marked progressive (the filter's defaults); the output
// has the input's properties (primaries, transfer, side data: no colour mapping) but for the
// negotiated range and matrix. swscale writes whole blocks of pixels past a row's end, so it
// writes into the thread's frame, laid out as FFmpeg's, and that is copied into the destination.
void convert_whole_frame(const AVFrame* source, int format, int width, int height, int flags,
                         const std::vector<PlaneLayout>& planes, std::uint8_t* const data[4],
                         const int linesize[4]) {
    thread_local ScaleContextPtr frame_context;
    if (!frame_context) {
        frame_context.reset(sws_alloc_context());
        // One thread, which gives the CLI's bytes whatever its thread count (checked: 1, 2, 7).
        if (!frame_context || av_opt_set_int(frame_context.get(), "threads", 1, 0) < 0) throw std::bad_alloc();
    }
    const int set = av_opt_set_int(frame_context.get(), "sws_flags", flags, 0);
    if (set < 0) throw Error(set, "", "invalid swscale flags");
    const FramePtr input(alloc_frame()), output(alloc_frame());
    if (!input || !output) throw std::bad_alloc();
    int copied = av_frame_copy_props(input.get(), source);
    input->format = source->format;
    input->width = source->width;
    input->height = source->height;
    std::copy(source->data, source->data + 4, input->data);
    std::copy(source->linesize, source->linesize + 4, input->linesize);
    input->chroma_location = AVCHROMA_LOC_UNSPECIFIED;
    clear_interlaced(input.get());
    if (copied >= 0) copied = av_frame_copy_props(output.get(), input.get());
    if (copied < 0) throw std::bad_alloc();
    output->format = format;
    output->width = width;
    output->height = height;
    const LinkColours colours = output_link(format, input.get());
    output->color_range = static_cast<AVColorRange>(colours.range);
    output->colorspace = static_cast<AVColorSpace>(colours.space);
    AVFrame* scratch = thread_scratch(format, width, height);
    clear_rows(scratch, planes, 0);
    std::copy(scratch->data, scratch->data + 4, output->data);
    std::copy(scratch->linesize, scratch->linesize + 4, output->linesize);
    const int scaled = scale_frame(frame_context.get(), output.get(), input.get());
    if (scaled < 0) {
        frame_context.reset();
        throw Error(scaled, "", std::string("cannot convert ") +
                                    av_get_pix_fmt_name(static_cast<AVPixelFormat>(source->format)) + " to " +
                                    av_get_pix_fmt_name(static_cast<AVPixelFormat>(format)));
    }
    copy_image(data, linesize, scratch->data, scratch->linesize, static_cast<AVPixelFormat>(format), width, height);
}

}  // namespace

void convert_frame(const Frame& frame, int format, int width, int height, int flags, std::uint8_t* const data[4],
                   const int linesize[4]) {
    const AVFrame* source = frame.av_frame();
    const auto pixel_format = static_cast<AVPixelFormat>(format);
    if (format == source->format && width == source->width && height == source->height) {
        copy_image(data, linesize, source->data, source->linesize, pixel_format, width, height);
        return;
    }
    const std::vector<PlaneLayout> planes = describe_planes(pixel_format, width, height);
    if (kScalerConvertsFrames) return convert_whole_frame(source, format, width, height, flags, planes, data, linesize);
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pixel_format);
    SwsContext* scaler = thread_context(source, format, width, height, flags);
    // Straight only at the frame's size: resizing, the bytes swscale computes for the last column
    // can depend on where slices start (it reads past rows into stale buffers).
    const bool same_size = width == source->width && height == source->height;
    const int scratch_rows = same_size ? rows_through_scratch(source, desc, planes, data, linesize, width, height) : 0;
    const int straight_source_rows = scratch_rows ? source_rows_for(source, height - scratch_rows) : 0;
    int straight_rows = 0, rest = 0;
    AVFrame* scratch = nullptr;
    try {
        if (straight_source_rows > 0) {
            straight_rows = sws_scale(scaler, source->data, source->linesize, 0, straight_source_rows, data, linesize);
            // More would mean the last rows' overshoot went past the destination (never seen).
            check_rows(straight_rows, 0, height - scratch_rows);
        }
        // The rest through the scratch frame; swscale takes a slice's planes from its first row.
        const AVPixFmtDescriptor* source_desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(source->format));
        const std::uint8_t* slice[4] = {};
        for (int plane = 0; plane < 4 && source->data[plane]; ++plane) {
            const int shift = (plane == 1 || plane == 2) ? source_desc->log2_chroma_h : 0;
            slice[plane] = source->data[plane] + std::ptrdiff_t(straight_source_rows >> shift) * source->linesize[plane];
        }
        scratch = thread_scratch(format, width, height);
        clear_rows(scratch, planes, straight_rows);
        rest = sws_scale(scaler, slice, source->linesize, straight_source_rows, source->height - straight_source_rows,
                         scratch->data, scratch->linesize);
        check_rows(rest, height - straight_rows, height - straight_rows);
    } catch (...) {
        context.reset();  // left in the middle of a frame
        throw;
    }
    if (straight_rows == 0) {
        copy_image(data, linesize, scratch->data, scratch->linesize, pixel_format, width, height);
        return;
    }
    for (const PlaneLayout& plane : planes) {
        const int p = plane.index;
        av_image_copy_plane(data[p] + std::ptrdiff_t(straight_rows) * linesize[p], linesize[p],
                            scratch->data[p] + std::ptrdiff_t(straight_rows) * scratch->linesize[p],
                            scratch->linesize[p], plane.row_bytes, rest);
    }
}

}  // namespace derenotes
