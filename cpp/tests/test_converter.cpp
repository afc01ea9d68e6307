// Conversions into memory laid out as NumPy lays out arrays, against one sws_scale call over the
// whole frame into a frame FFmpeg allocated (as the ffmpeg CLI converts), for every output format
// swscale has: the same bytes, and nothing written outside the destination's rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/converter.hpp"
#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"

namespace derenotes {
namespace {

constexpr std::uint8_t kCanary = 0xA5;
constexpr int kMargin = 512;  // canary bytes before and after a destination plane

// A frame of `format` whose every byte (padding and palette included) is pseudo-random; colour
// matrix and range unspecified, or with `tagged` YUV tagged as decoders tag it: BT.601, full range
// for the yuvj formats and limited for the others (swscale's defaults, so the reference below
// holds for both).
std::unique_ptr<Frame> random_frame(AVPixelFormat format, int width, int height, std::uint32_t seed,
                                    bool tagged = false) {
    FramePtr frame(alloc_frame());
    frame->format = format;
    frame->width = width;
    frame->height = height;
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    if (tagged && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BAYER)) && desc->nb_components >= 3) {
        frame->colorspace = AVCOL_SPC_BT470BG;
        frame->color_range = std::string(desc->name).rfind("yuvj", 0) == 0 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    }
    if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
    for (int i = 0; i < AV_NUM_DATA_POINTERS && frame->buf[i]; ++i)
        for (std::size_t byte = 0; byte < frame->buf[i]->size; ++byte) {
            seed = seed * 1664525u + 1013904223u;
            frame->buf[i]->data[byte] = static_cast<std::uint8_t>(seed >> 24);
        }
    auto layout = std::make_shared<const std::vector<PlaneLayout>>(describe_planes(format, width, height));
    return std::make_unique<Frame>(std::move(frame), layout, 0, false);
}

// From FFmpeg 7.1 on, the CLI's filter graph gives the scale filter's links a colour range and
// matrix (its `-v debug` log): YUV carries the frame's (full range for yuvj), gray and RGB are full
// range (float formats have none), RGB's matrix is RGB. The output's YUV carries the input's when
// that is YUV too. 7.1 gives them to sws_setColorspaceDetails; from 8 on the frames carry them
// (without the input's chroma location) into sws_scale_frame().
bool is_yuv(int format) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
    return desc->nb_components >= 3 &&
           !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | kPixelFormatFlagXyz | AV_PIX_FMT_FLAG_FLOAT));
}

void set_link_colours(AVFrame* link, int range, int space) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(link->format));
    link->color_range = static_cast<AVColorRange>(range);
    link->colorspace = static_cast<AVColorSpace>(space);
    if (is_yuv(link->format) && std::string(desc->name).rfind("yuvj", 0) == 0) link->color_range = AVCOL_RANGE_JPEG;
    if (is_yuv(link->format)) return;
    link->color_range = (desc->flags & AV_PIX_FMT_FLAG_FLOAT) ? AVCOL_RANGE_UNSPECIFIED : AVCOL_RANGE_JPEG;
    link->colorspace = (desc->flags & (AV_PIX_FMT_FLAG_RGB | kPixelFormatFlagXyz)) ? AVCOL_SPC_RGB
                                                                                  : AVCOL_SPC_UNSPECIFIED;
}

// Sets `input_link` to the colours of the link into the scale filter, `output` to the link out of it.
void set_cli_colours(AVFrame* output, AVFrame* input_link, const AVFrame* input) {
    input_link->format = input->format;
    set_link_colours(input_link, input->color_range, input->colorspace);
    const bool yuv = is_yuv(input->format);
    set_link_colours(output, yuv ? input_link->color_range : AVCOL_RANGE_UNSPECIFIED,
                     yuv ? input_link->colorspace : AVCOL_SPC_UNSPECIFIED);
}

// One sws_scale_frame() call per input, as FFmpeg 8's scale filter makes it (above).
bool scale_frames(const std::vector<const Frame*>& inputs, AVFrame* output, int flags) {
    ScaleContextPtr context(sws_alloc_context());
    if (!context || av_opt_set_int(context.get(), "sws_flags", flags, 0) < 0 ||
        av_opt_set_int(context.get(), "threads", 1, 0) < 0)
        return false;
    for (const Frame* frame : inputs) {
        FramePtr input(alloc_frame());
        const AVFrame* source = frame->av_frame();
        input->format = source->format;
        input->width = source->width;
        input->height = source->height;
        input->colorspace = source->colorspace;
        input->color_range = source->color_range;
        std::copy(source->data, source->data + 4, input->data);
        std::copy(source->linesize, source->linesize + 4, input->linesize);
        FramePtr link(alloc_frame());
        set_cli_colours(output, link.get(), input.get());
        if (scale_frame(context.get(), output, input.get()) < 0) return false;
    }
    return true;
}

// What the CLI's scaler makes: one sws_scale call over the whole frame (sws_scale_frame from FFmpeg
// 8 on, above) into a frame of FFmpeg's, with swscale's default colour details as derenotes sets
// them for a frame that does not say its own. A variant finds the bytes swscale does not determine
// from the frame alone: `before`, the context first converts that frame and then this one thrice
// (as derenotes's context has in this test), over noise. Such bytes: the last column of some
// downscales and the last chroma column of odd widths from RGB (read from stale buffers),
// rgb8/rgb4_byte's error-diffusion dithering (carried from frame to frame), and bytes no
// converter writes (left as they were: zeros here).
FramePtr reference_conversion(const Frame& frame, AVPixelFormat format, int width, int height, int flags,
                              const Frame* before = nullptr) {
    const AVFrame* source = frame.av_frame();
    if (kScalerConvertsFrames) {
        FramePtr output(alloc_frame());
        output->format = format;
        output->width = width;
        output->height = height;
        if (av_frame_get_buffer(output.get(), 0) < 0) return nullptr;
        std::uint32_t seed = 99;
        for (int i = 0; i < AV_NUM_DATA_POINTERS && output->buf[i]; ++i)
            for (std::size_t byte = 0; byte < static_cast<std::size_t>(output->buf[i]->size); ++byte) {
                seed = seed * 1664525u + 1013904223u;
                output->buf[i]->data[byte] = before ? static_cast<std::uint8_t>(seed >> 24) : 0;
            }
        std::vector<const Frame*> inputs = {&frame};
        if (before) inputs = {before, &frame, &frame, &frame};
        return scale_frames(inputs, output.get(), flags) ? std::move(output) : nullptr;
    }
    ScaleContextPtr context(sws_getContext(source->width, source->height, static_cast<AVPixelFormat>(source->format),
                                           width, height, format, flags, nullptr, nullptr, nullptr));
    if (!context) return nullptr;
    int* inverse_table = nullptr;
    int* table = nullptr;
    int source_full = 0, destination_full = 0, brightness = 0, contrast = 0, saturation = 0;
    sws_getColorspaceDetails(context.get(), &inverse_table, &source_full, &table, &destination_full, &brightness,
                             &contrast, &saturation);
    const int* inverse_coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
    const int* coefficients = inverse_coefficients;
    if (kFilterGraphNegotiatesColours) {
        FramePtr in(alloc_frame()), out(alloc_frame());
        out->format = format;
        set_cli_colours(out.get(), in.get(), source);
        if (in->color_range != AVCOL_RANGE_UNSPECIFIED) source_full = in->color_range == AVCOL_RANGE_JPEG;
        if (out->color_range != AVCOL_RANGE_UNSPECIFIED) destination_full = out->color_range == AVCOL_RANGE_JPEG;
        inverse_coefficients = sws_getCoefficients(in->colorspace);
        if (out->colorspace != AVCOL_SPC_UNSPECIFIED) coefficients = sws_getCoefficients(out->colorspace);
        else coefficients = inverse_coefficients;
    }
    sws_setColorspaceDetails(context.get(), inverse_coefficients, source_full, coefficients, destination_full,
                             brightness, contrast, saturation);
    FramePtr output(alloc_frame());
    output->format = format;
    output->width = width;
    output->height = height;
    if (av_frame_get_buffer(output.get(), 0) < 0) return nullptr;
    const bool noise = before;
    std::uint32_t seed = 99;
    for (const Frame* input : {before, &frame, before ? &frame : nullptr, before ? &frame : nullptr}) {
        if (!input) continue;
        for (int i = 0; i < AV_NUM_DATA_POINTERS && output->buf[i]; ++i)
            for (std::size_t byte = 0; byte < static_cast<std::size_t>(output->buf[i]->size); ++byte) {
                seed = seed * 1664525u + 1013904223u;
                output->buf[i]->data[byte] = noise ? static_cast<std::uint8_t>(seed >> 24) : 0;
            }
        const AVFrame* in = input->av_frame();
        if (sws_scale(context.get(), in->data, in->linesize, 0, in->height, output->data, output->linesize) != height)
            return nullptr;
    }
    return output;
}

// Destination planes with canaries around each and, when `gap` > 0, between its rows: rows
// row_bytes + gap apart (a window of a larger image); else back to back (a C-contiguous array).
struct Destination {
    std::vector<std::vector<std::uint8_t>> memory;
    std::uint8_t* data[4] = {};
    int linesize[4] = {};
    std::vector<PlaneLayout> planes;

    Destination(const std::vector<PlaneLayout>& layout, int gap, bool aligned) : memory(4), planes(layout) {
        for (const PlaneLayout& plane : planes) {
            const int stride = plane.is_palette ? 4 : plane.row_bytes + gap;
            memory[plane.index].assign(std::size_t(stride) * plane.height + 2 * kMargin + 64, kCanary);
            std::uint8_t* start = memory[plane.index].data() + kMargin;
            // NumPy's arrays start 16-byte aligned; `aligned` as derenotes allocates its own.
            const auto misalignment = reinterpret_cast<std::uintptr_t>(start) % (aligned ? 64 : 16);
            data[plane.index] = start + (misalignment ? (aligned ? 64 : 16) - misalignment : 0);
            linesize[plane.index] = stride;
        }
    }
    const std::uint8_t* row(const PlaneLayout& plane, int y) const {
        return data[plane.index] + std::ptrdiff_t(y) * linesize[plane.index];
    }
    // Every byte of this plane's memory that is not a pixel row is still a canary.
    bool untouched_outside_rows(const PlaneLayout& plane) const {
        const std::vector<std::uint8_t>& bytes = memory[plane.index];
        const std::uint8_t* begin = data[plane.index];
        const std::uint8_t* end = begin + std::ptrdiff_t(linesize[plane.index]) * (plane.height - 1) + plane.row_bytes;
        for (const std::uint8_t* byte = bytes.data(); byte < bytes.data() + bytes.size(); ++byte) {
            const std::ptrdiff_t offset = byte - begin;
            const bool in_row = byte >= begin && byte < end && offset % linesize[plane.index] < plane.row_bytes;
            if (!in_row && *byte != kCanary) return false;
        }
        return true;
    }
};

struct Case {
    AVPixelFormat source;
    int source_width, source_height, width, height, flags;
    bool tagged = false;
};

std::string describe(const Case& c, AVPixelFormat output, int gap) {
    return std::string(av_get_pix_fmt_name(c.source)) + " " + std::to_string(c.source_width) + "x" +
           std::to_string(c.source_height) + " -> " + av_get_pix_fmt_name(output) + " " + std::to_string(c.width) +
           "x" + std::to_string(c.height) + " flags " + std::to_string(c.flags) + " gap " + std::to_string(gap);
}

// The formats users convert to most, whose bytes are compared; the others are checked for
// writes outside the destination only.
const AVPixelFormat kCompared[] = {
    AV_PIX_FMT_RGB24,   AV_PIX_FMT_BGR24,   AV_PIX_FMT_RGBA,   AV_PIX_FMT_BGRA,    AV_PIX_FMT_GRAY8,
    AV_PIX_FMT_GRAY16LE, AV_PIX_FMT_RGB48LE, AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12,
    AV_PIX_FMT_GBRP,    AV_PIX_FMT_RGB0,    AV_PIX_FMT_GRAYF32LE, AV_PIX_FMT_YUV444P16LE,
};

struct Counts {
    int conversions = 0;
    std::int64_t compared_bytes = 0, unstable_bytes = 0;
};

// Converts a frame of `c` into every output format swscale has, into C-contiguous rows (16- and
// 64-byte aligned) and into a window, each filled with a marker first; with compare_bytes,
// compares the bytes of kCompared formats (`compared`: of these) with reference_conversion(),
// except those it finds unstable.
void check_every_output(const Case& c, Counts& counts, bool compare_bytes,
                        const std::vector<AVPixelFormat>& compared = {std::begin(kCompared), std::end(kCompared)}) {
    const std::unique_ptr<Frame> frame =
        random_frame(c.source, c.source_width, c.source_height, c.width * 7919u + c.height, c.tagged);
    const std::unique_ptr<Frame> other = random_frame(c.source, c.source_width, c.source_height, 17, c.tagged);
    ASSERT_TRUE(frame && other);
    for (const AVPixFmtDescriptor* desc = av_pix_fmt_desc_next(nullptr); desc; desc = av_pix_fmt_desc_next(desc)) {
        const AVPixelFormat output = av_pix_fmt_desc_get_id(desc);
        if (!sws_isSupportedOutput(output)) continue;
        if (output == c.source && c.width == c.source_width && c.height == c.source_height) continue;  // a copy
        const bool compare = compare_bytes && std::find(compared.begin(), compared.end(), output) != compared.end();
        FramePtr expected, after_other;
        if (compare) {
            expected = reference_conversion(*frame, output, c.width, c.height, c.flags);
            after_other = reference_conversion(*frame, output, c.width, c.height, c.flags, other.get());
            ASSERT_TRUE(expected && after_other) << describe(c, output, 0);
        }
        const std::vector<PlaneLayout> planes = conversion_planes(output, c.width, c.height, false);
        for (const int gap : {0, 0, 37}) {
            const bool aligned = counts.conversions++ % 2 == 0;
            SCOPED_TRACE(describe(c, output, gap) + (aligned ? " aligned" : ""));
            Destination destination(planes, gap, aligned);
            convert_frame(*frame, output, c.width, c.height, c.flags, destination.data, destination.linesize);
            for (const PlaneLayout& plane : planes) {
                EXPECT_TRUE(destination.untouched_outside_rows(plane)) << "plane " << plane.index;
                if (!compare) continue;
                const int p = plane.index;
                const int rows = plane.is_palette ? 1 : plane.height;
                const int row_bytes = plane.is_palette ? 1024 : plane.row_bytes;
                for (int y = 0; y < rows; ++y) {
                    const auto row_of = [&](const FramePtr& f) { return f->data[p] + std::ptrdiff_t(y) * f->linesize[p]; };
                    const std::uint8_t* ours = destination.row(plane, y);
                    const std::uint8_t *stable = row_of(expected), *unstable = row_of(after_other);
                    int differing = 0;
                    for (int x = 0; x < row_bytes; ++x) {
                        const bool deterministic = stable[x] == unstable[x];
                        counts.unstable_bytes += !deterministic;
                        differing += deterministic && ours[x] != stable[x];
                    }
                    counts.compared_bytes += row_bytes;
                    EXPECT_EQ(differing, 0) << "plane " << p << " row " << y;
                    if (differing) break;
                }
            }
        }
    }
}

const AVPixelFormat kSources[] = {
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV444P, AV_PIX_FMT_NV12,
    AV_PIX_FMT_NV24,    AV_PIX_FMT_P010LE,   AV_PIX_FMT_RGB24,       AV_PIX_FMT_BGR0,    AV_PIX_FMT_RGBA64BE,
    AV_PIX_FMT_GBRP,    AV_PIX_FMT_GBRPF32LE, AV_PIX_FMT_GRAY8,      AV_PIX_FMT_GRAY16BE, AV_PIX_FMT_PAL8,
    AV_PIX_FMT_YUYV422, AV_PIX_FMT_MONOBLACK, AV_PIX_FMT_YA8,        AV_PIX_FMT_YUVA420P, AV_PIX_FMT_YUV410P,
};

// The bytes a whole-frame conversion determines are the same when derenotes converts, straight
// into the rows or not; and nothing outside the rows is written.
TEST(Converter, EveryOutputFormatAtTheSourceSizeHasTheBytesOfOneWholeFrameConversion) {
    Counts counts;
    for (const AVPixelFormat source : kSources)
        for (const auto& [width, height] : {std::pair{1, 1}, {3, 5}, {33, 19}, {321, 241}})
            check_every_output({source, width, height, width, height, SWS_BICUBIC}, counts, true);
    EXPECT_GT(counts.conversions, 20 * 4 * 3 * 100);  // every source and size, in over 100 output formats
    EXPECT_LT(counts.unstable_bytes, counts.compared_bytes / 1000);
}

// Resizes go through the thread's frame whole (converter.hpp): the bytes are one sws_scale call's,
// but swscale takes the last column of some downscales from buffers earlier frames left, so only
// that nothing outside the rows is written is checked here (the bytes: tests/test_convert.py).
// swscale's x86 YUV-to-RGB code leaves a tight row's last width % 8 pixels unwritten (at even
// heights only), and its Bayer converters treat slice edges as frame edges: every width up to 64,
// odd and even heights, frames tagged as decoders tag them, compared in the formats users read.
TEST(Converter, EveryWidthUpTo64AtOddAndEvenHeightsHasTheBytesOfOneWholeFrameConversion) {
    Counts counts;
    const std::vector<AVPixelFormat> compared = {AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA,
                                                 AV_PIX_FMT_RGB565LE, AV_PIX_FMT_GRAY8, AV_PIX_FMT_RGB48LE,
                                                 AV_PIX_FMT_YUV444P};
    for (const AVPixelFormat source : {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVA420P,
                                       AV_PIX_FMT_BAYER_GBRG8, AV_PIX_FMT_NV12})
        for (int width = 1; width <= 64; ++width)
            for (const int height : {34, 33})
                check_every_output({source, width, height, width, height, SWS_BICUBIC, true}, counts, true, compared);
    // Unstable bytes are a row's last pixels (left unwritten, or read from stale buffers): a larger
    // share at these widths than at the sizes above.
    EXPECT_LT(counts.unstable_bytes, counts.compared_bytes / 200);
}

TEST(Converter, ResizesWriteNothingOutsideTheDestinationsRows) {
    Counts counts;
    for (const AVPixelFormat source : kSources)
        for (const Case size : {Case{source, 321, 241, 160, 90, SWS_BICUBIC}, Case{source, 40, 23, 41, 40, SWS_POINT},
                                Case{source, 64, 48, 100, 75, SWS_LANCZOS | SWS_ACCURATE_RND}})
            check_every_output(size, counts, false);
    EXPECT_GT(counts.conversions, 20 * 3 * 3 * 100);
}

TEST(Converter, TheFramesOwnFormatAndSizeIsACopyOfItsPlanes) {
    for (const AVPixelFormat source : kSources) {
        SCOPED_TRACE(av_get_pix_fmt_name(source));
        const std::unique_ptr<Frame> frame = random_frame(source, 33, 19, 5);
        const std::vector<PlaneLayout> planes = conversion_planes(source, 33, 19, true);
        Destination destination(planes, 0, false);
        convert_frame(*frame, source, 33, 19, SWS_BICUBIC, destination.data, destination.linesize);
        for (const PlaneLayout& plane : planes) {
            EXPECT_TRUE(destination.untouched_outside_rows(plane));
            const PlaneSpan span = frame->span(plane.index);
            for (int y = 0; y < plane.height; ++y)
                EXPECT_EQ(std::memcmp(destination.row(plane, y), span.first_row + y * span.row_stride,
                                      plane.is_palette ? 4 : plane.row_bytes),
                          0);
        }
    }
}

TEST(Converter, FormatsSwscaleCannotProduceAreRefusedUnlessCopied) {
    // Refused as swscale itself answers (NV16, which decoders make, until FFmpeg 7.1 learnt it).
    int refused = 0;
    for (const AVPixFmtDescriptor* desc = av_pix_fmt_desc_next(nullptr); desc; desc = av_pix_fmt_desc_next(desc)) {
        const AVPixelFormat format = av_pix_fmt_desc_get_id(desc);
        if ((desc->flags & AV_PIX_FMT_FLAG_HWACCEL) || sws_isSupportedOutput(format)) continue;
        EXPECT_THROW(conversion_planes(format, 8, 8, false), Error) << desc->name;
        ++refused;
    }
    EXPECT_GT(refused, 0);
    EXPECT_EQ(conversion_planes(AV_PIX_FMT_NV16, 8, 8, true).size(), 2u);
    EXPECT_THROW(conversion_planes(AV_PIX_FMT_CUDA, 8, 8, true), Error);
}

}  // namespace
}  // namespace derenotes
