#include "derenotes/converter.hpp"

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

namespace {

// The colour matrix swscale should use for a frame, as the CLI's scale filter picks it: the
// frame's own, with BT.601 for unspecified, RGB, YCgCo and unknown values.
int matrix_of(const AVFrame* frame) {
    const int colorspace = frame->colorspace;
    if (colorspace < AVCOL_SPC_BT709 || colorspace > AVCOL_SPC_BT2020_CL || colorspace == AVCOL_SPC_YCGCO)
        return AVCOL_SPC_BT470BG;
    return colorspace;
}

}  // namespace

namespace {

// A thread's buffer for conversions that cannot write into the destination directly: planes
// with rows aligned as FFmpeg aligns its own frames' (which swscale relies on).
struct ScratchImage {
    std::uint8_t* data[4] = {};
    int linesize[4] = {};
    int format = -1, width = 0, height = 0;

    ~ScratchImage() { av_freep(&data[0]); }
    void fit(int new_format, int new_width, int new_height) {
        if (data[0] && format == new_format && width == new_width && height == new_height) return;
        av_freep(&data[0]);
        format = -1;
        if (av_image_alloc(data, linesize, new_width, new_height, static_cast<AVPixelFormat>(new_format), 64) < 0)
            throw std::bad_alloc();
        format = new_format;
        width = new_width;
        height = new_height;
    }
};

}  // namespace

void convert_frame(const Frame& frame, int format, int width, int height, int flags, std::uint8_t* const data[4],
                   const int linesize[4], bool padded) {
    const AVFrame* source = frame.av_frame();
    thread_local ScaleContextPtr context;
    context.reset(sws_getCachedContext(context.release(), source->width, source->height,
                                       static_cast<AVPixelFormat>(source->format), width, height,
                                       static_cast<AVPixelFormat>(format), flags, nullptr, nullptr, nullptr));
    if (!context)
        throw Error(AVERROR(EINVAL), "",
                    std::string("swscale cannot convert ") + frame.pixel_format_name() + " to " +
                        av_get_pix_fmt_name(static_cast<AVPixelFormat>(format)),
                    ErrorKind::Unsupported);
    // The source's matrix and range; the destination keeps swscale's default range (limited for
    // YUV and gray), as the CLI does.
    int* inverse_table = nullptr;
    int* table = nullptr;
    int source_full = 0, destination_full = 0, brightness = 0, contrast = 0, saturation = 0;
    sws_getColorspaceDetails(context.get(), &inverse_table, &source_full, &table, &destination_full, &brightness,
                             &contrast, &saturation);
    const int* coefficients = sws_getCoefficients(matrix_of(source));
    if (source->color_range != AVCOL_RANGE_UNSPECIFIED) source_full = source->color_range == AVCOL_RANGE_JPEG;
    sws_setColorspaceDetails(context.get(), coefficients, source_full, coefficients, destination_full, brightness,
                             contrast, saturation);
    if (padded) {
        const int rows = sws_scale(context.get(), source->data, source->linesize, 0, source->height, data, linesize);
        if (rows < 0) throw Error(rows, "", "cannot convert the frame");
        return;
    }
    thread_local ScratchImage scratch;
    scratch.fit(format, width, height);
    const int rows = sws_scale(context.get(), source->data, source->linesize, 0, source->height, scratch.data,
                               scratch.linesize);
    if (rows < 0) throw Error(rows, "", "cannot convert the frame");
    std::uint8_t* destination[4] = {data[0], data[1], data[2], data[3]};
    int destination_linesize[4] = {linesize[0], linesize[1], linesize[2], linesize[3]};
    av_image_copy(destination, destination_linesize, const_cast<const std::uint8_t**>(scratch.data), scratch.linesize,
                  static_cast<AVPixelFormat>(format), width, height);
}

}  // namespace derenotes
