// Plane geometry against FFmpeg's own image functions, for every software pixel format.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"
#include "derenotes/plane_layout.hpp"

namespace derenotes {
namespace {

struct Size {
    int width, height;
};
const Size kSizes[] = {{1, 1}, {2, 2}, {3, 5}, {17, 9}, {321, 241}, {640, 360}, {1920, 1080}};

TEST(PlaneLayout, EveryPixelFormatMatchesFFmpegLinesizesAndPlaneSizes) {
    int formats_checked = 0;
    for (const AVPixFmtDescriptor* desc = av_pix_fmt_desc_next(nullptr); desc; desc = av_pix_fmt_desc_next(desc)) {
        const AVPixelFormat format = av_pix_fmt_desc_get_id(desc);
        if (desc->flags & AV_PIX_FMT_FLAG_HWACCEL) {
            EXPECT_THROW(describe_planes(format, 64, 64), Error) << desc->name;
            continue;
        }
        ++formats_checked;
        for (const Size size : kSizes) {
            SCOPED_TRACE(std::string(desc->name) + " " + std::to_string(size.width) + "x" + std::to_string(size.height));
            int linesizes[4];
            ASSERT_GE(av_image_fill_linesizes(linesizes, format, size.width), 0);
            std::ptrdiff_t linesizes_wide[4];
            for (int i = 0; i < 4; ++i) linesizes_wide[i] = linesizes[i];
            std::size_t plane_sizes[4];
            ASSERT_GE(image_plane_sizes(plane_sizes, format, size.height, linesizes_wide), 0);

            const std::vector<PlaneLayout> planes = describe_planes(format, size.width, size.height);
            const bool has_palette = desc->flags & AV_PIX_FMT_FLAG_PAL;
            ASSERT_EQ(planes.size(), static_cast<std::size_t>(av_pix_fmt_count_planes(format) + has_palette));
            for (const PlaneLayout& plane : planes) {
                SCOPED_TRACE("plane " + std::to_string(plane.index));
                if (plane.is_palette) {
                    EXPECT_EQ(std::size_t(plane.row_bytes) * plane.height, plane_sizes[plane.index]);
                    continue;
                }
                EXPECT_EQ(plane.row_bytes, linesizes[plane.index]);
                EXPECT_EQ(std::size_t(plane.row_bytes) * plane.height, plane_sizes[plane.index]);
                // The view never reaches past a row's data and covers all of it but, for odd widths
                // of macro-pixel formats (yuyv422), the unused half of the last macro-pixel.
                EXPECT_LE(plane.view_row_extent(), plane.row_bytes);
                EXPECT_GE(plane.view_row_extent() + plane.inner_strides[0], plane.row_bytes);
                EXPECT_EQ(plane.shape[0], plane.height);
                if (plane.ndim == 3) EXPECT_EQ(plane.inner_strides[0], plane.shape[2] * plane.itemsize);
                else EXPECT_EQ(plane.inner_strides[0], plane.itemsize);
                // The typed item agrees with the descriptor's flags and with the item size.
                EXPECT_EQ(plane.item.bytes(), plane.itemsize);
                EXPECT_EQ(plane.item.kind == ItemType::Kind::Float, bool(desc->flags & AV_PIX_FMT_FLAG_FLOAT));
                EXPECT_EQ(plane.item.big_endian, plane.itemsize > 1 && (desc->flags & AV_PIX_FMT_FLAG_BE));
            }
        }
    }
    EXPECT_GT(formats_checked, 150);
}

struct Expected {
    const char* format;
    int plane;
    std::vector<std::int64_t> shape;
    const char* item;
};

// What users expect to see, by family (DESIGN.md), at 321x241 so that chroma rounds up.
const Expected kFamilies[] = {
    {"yuv420p", 0, {241, 321}, "B"},
    {"yuv420p", 1, {121, 161}, "B"},
    {"yuv420p", 2, {121, 161}, "B"},
    {"yuv420p10le", 1, {121, 161}, "<H"},
    {"yuv444p16be", 2, {241, 321}, ">H"},
    {"gbrp", 0, {241, 321}, "B"},
    {"gbrpf32le", 1, {241, 321}, "<f"},
    {"grayf32be", 0, {241, 321}, ">f"},
    {"gray", 0, {241, 321}, "B"},
    {"yuva444p", 3, {241, 321}, "B"},
    {"yuva420p", 3, {241, 321}, "B"},
    {"nv12", 0, {241, 321}, "B"},
    {"nv12", 1, {121, 161, 2}, "B"},
    {"nv21", 1, {121, 161, 2}, "B"},
    {"p010le", 1, {121, 161, 2}, "<H"},
    {"p010be", 0, {241, 321}, ">H"},
    {"rgb24", 0, {241, 321, 3}, "B"},
    {"bgr0", 0, {241, 321, 4}, "B"},
    {"rgba64be", 0, {241, 321, 4}, ">H"},
    {"rgb48le", 0, {241, 321, 3}, "<H"},
    {"yuyv422", 0, {241, 321, 2}, "B"},
    {"uyvy422", 0, {241, 321, 2}, "B"},
    {"ya8", 0, {241, 321, 2}, "B"},
    {"ya16be", 0, {241, 321, 2}, ">H"},
    {"rgb565le", 0, {241, 321}, "<H"},
    {"rgb555be", 0, {241, 321}, ">H"},
    {"x2rgb10le", 0, {241, 321}, "<I"},
    {"bgr8", 0, {241, 321}, "B"},
    {"monow", 0, {241, 41}, "B"},
    {"monob", 0, {241, 41}, "B"},
    {"pal8", 0, {241, 321}, "B"},
    {"pal8", 1, {256, 4}, "B"},
};

// The one format of these that FFmpeg 4.3 does not have yet (4.4 added it).
constexpr const char* kNewerFormat = "x2rgb10le";

TEST(PlaneLayout, FamiliesHaveTheShapesUsersExpect) {
    for (const Expected& expected : kFamilies) {
        SCOPED_TRACE(std::string(expected.format) + " plane " + std::to_string(expected.plane));
        const AVPixelFormat format = av_get_pix_fmt(expected.format);
        if (format == AV_PIX_FMT_NONE && std::string(expected.format) == kNewerFormat) continue;
        ASSERT_NE(format, AV_PIX_FMT_NONE);
        const PlaneLayout plane = describe_planes(format, 321, 241).at(expected.plane);
        ASSERT_EQ(plane.ndim, static_cast<int>(expected.shape.size()));
        for (int d = 0; d < plane.ndim; ++d) EXPECT_EQ(plane.shape[d], expected.shape[d]) << "dimension " << d;
        EXPECT_STREQ(plane.item.pep3118(), expected.item);
    }
}

// The typed item of formats whose samples fill whole items, against FFmpeg's descriptor: the
// sample's depth, float or not, its byte order; and the bytes per item that FFmpeg's linesize
// gives (bytes per row / samples per row).
TEST(PlaneLayout, ItemTypesAgreeWithFFmpegsDescriptors) {
    const int width = 64, height = 8;
    for (const char* name : {"gray16be", "gray16le", "rgb48le", "rgb48be", "grayf32le", "grayf32be", "yuv420p",
                             "yuv444p16le", "pal8", "rgba64be", "rgba64le", "gbrpf32be", "ya16be", "gray", "rgb24"}) {
        SCOPED_TRACE(name);
        const AVPixelFormat format = av_get_pix_fmt(name);
        ASSERT_NE(format, AV_PIX_FMT_NONE);
        const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
        int linesizes[4];
        ASSERT_GE(av_image_fill_linesizes(linesizes, format, width), 0);
        for (const PlaneLayout& plane : describe_planes(format, width, height)) {
            SCOPED_TRACE("plane " + std::to_string(plane.index));
            if (plane.is_palette) {
                EXPECT_EQ(plane.item, ItemType{});  // bytes: B, G, R, A
                continue;
            }
            int samples = 0, depth = 0;
            for (int c = 0; c < desc->nb_components; ++c)
                if (desc->comp[c].plane == plane.index) {
                    ++samples;
                    depth = desc->comp[c].depth;
                }
            const int row_samples = (plane.index == 1 || plane.index == 2) ? -((-width) >> desc->log2_chroma_w) : width;
            EXPECT_EQ(plane.item.bits, depth);
            EXPECT_EQ(plane.item.bits, 8 * linesizes[plane.index] / (row_samples * samples));
            EXPECT_EQ(plane.item.kind == ItemType::Kind::Float, bool(desc->flags & AV_PIX_FMT_FLAG_FLOAT));
            EXPECT_EQ(plane.item.big_endian, depth > 8 && (desc->flags & AV_PIX_FMT_FLAG_BE));
        }
    }
    // Samples of fewer bits than their item: the item is what the array holds.
    const PlaneLayout ten_bits = describe_planes(AV_PIX_FMT_YUV420P10LE, width, height).at(0);
    EXPECT_EQ(ten_bits.item, (ItemType{ItemType::Kind::Unsigned, 16, false}));
    EXPECT_STREQ(ten_bits.item.pep3118(), "<H");
}

// Where a sample's bits are in its item: FFmpeg's documented layouts (pixfmt.h).
TEST(PlaneLayout, SampleBitsFollowTheDocumentedLayouts) {
    struct Bits {
        const char* format;
        int plane, depth, shift;
    };
    for (const Bits& expected : {Bits{"yuv420p", 0, 8, 0}, Bits{"yuv420p10le", 2, 10, 0}, Bits{"gray12be", 0, 12, 0},
                                 Bits{"p010le", 0, 10, 6}, Bits{"p010le", 1, 10, 6}, Bits{"rgb24", 0, 8, 0},
                                 Bits{"rgba64le", 0, 16, 0}, Bits{"pal8", 0, 8, 0}, Bits{"pal8", 1, 8, 0},
                                 Bits{"grayf32le", 0, 32, 0}, Bits{"rgb565le", 0, 0, 0}, Bits{"monob", 0, 0, 0},
                                 Bits{"x2rgb10le", 0, 0, 0}, Bits{"yuyv422", 0, 8, 0}}) {
        SCOPED_TRACE(std::string(expected.format) + " plane " + std::to_string(expected.plane));
        const AVPixelFormat format = av_get_pix_fmt(expected.format);
        if (format == AV_PIX_FMT_NONE && std::string(expected.format) == kNewerFormat) continue;
        ASSERT_NE(format, AV_PIX_FMT_NONE);
        const PlaneLayout plane = describe_planes(format, 64, 8).at(expected.plane);
        EXPECT_EQ(plane.depth, expected.depth);
        EXPECT_EQ(plane.shift, expected.shift);
    }
}

TEST(PlaneLayout, PlaneCountsFollowTheFormat) {
    EXPECT_EQ(describe_planes(AV_PIX_FMT_YUV420P, 4, 4).size(), 3u);
    EXPECT_EQ(describe_planes(AV_PIX_FMT_YUVA420P, 4, 4).size(), 4u);
    EXPECT_EQ(describe_planes(AV_PIX_FMT_NV12, 4, 4).size(), 2u);
    EXPECT_EQ(describe_planes(AV_PIX_FMT_RGB24, 4, 4).size(), 1u);
    EXPECT_EQ(describe_planes(AV_PIX_FMT_PAL8, 4, 4).size(), 2u);
}

TEST(PlaneLayout, RejectsInvalidInput) {
    EXPECT_THROW(describe_planes(AV_PIX_FMT_NONE, 4, 4), Error);
    EXPECT_THROW(describe_planes(AV_PIX_FMT_YUV420P, 0, 4), Error);
    EXPECT_THROW(describe_planes(AV_PIX_FMT_VAAPI, 4, 4), Error);
}

// Audio planes against FFmpeg's own buffer layout (av_samples_get_buffer_size): one plane per
// channel for planar formats, one interleaved plane for packed ones, each within its linesize.
TEST(AudioPlaneLayout, FollowsFFmpegsSampleFormats) {
    struct Expected {
        AVSampleFormat format;
        const char* item;
    };
    for (const Expected& expected : {Expected{AV_SAMPLE_FMT_U8, "B"}, Expected{AV_SAMPLE_FMT_S16, "<h"},
                                     Expected{AV_SAMPLE_FMT_S32, "<i"}, Expected{AV_SAMPLE_FMT_S64, "<q"},
                                     Expected{AV_SAMPLE_FMT_FLT, "<f"}, Expected{AV_SAMPLE_FMT_DBL, "<d"}}) {
        for (AVSampleFormat format : {expected.format, av_get_planar_sample_fmt(expected.format)}) {
            for (int channels : {1, 2, 6}) {
                const int samples = 1023;
                const bool planar = av_sample_fmt_is_planar(format);
                const std::vector<PlaneLayout> planes = describe_audio_planes(format, channels, samples);
                ASSERT_EQ(planes.size(), planar ? static_cast<std::size_t>(channels) : 1u) << av_get_sample_fmt_name(format);
                int linesize = 0;
                ASSERT_GT(av_samples_get_buffer_size(&linesize, channels, samples, format, 0), 0);
                for (const PlaneLayout& plane : planes) {
                    EXPECT_TRUE(plane.is_audio);
                    EXPECT_STREQ(plane.item.pep3118(), expected.item) << av_get_sample_fmt_name(format);
                    EXPECT_EQ(plane.itemsize, av_get_bytes_per_sample(format));
                    EXPECT_EQ(plane.ndim, planar ? 1 : 2);
                    EXPECT_EQ(plane.shape[0], samples);
                    EXPECT_EQ(plane.shape[1], planar ? 1 : channels);
                    EXPECT_EQ(plane.inner_strides[0], plane.itemsize);
                    EXPECT_EQ(plane.row_bytes, plane.itemsize * (planar ? 1 : channels));
                    EXPECT_LE(std::int64_t{plane.row_bytes} * samples, linesize);
                }
            }
        }
    }
    EXPECT_THROW(describe_audio_planes(AV_SAMPLE_FMT_NONE, 2, 16), Error);
    EXPECT_THROW(describe_audio_planes(AV_SAMPLE_FMT_S16, 0, 16), Error);
}

}  // namespace
}  // namespace derenotes
