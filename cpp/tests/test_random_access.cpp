// Random access against sequential decoding of the same file.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "derenotes/random_access.hpp"

namespace derenotes {
namespace {

std::string sample(const std::string& name) { return std::string(DERENOTES_SAMPLES_DIR) + "/" + name; }

// A checksum of every plane's pixel rows.
std::uint64_t frame_sum(const Frame& frame) {
    std::uint64_t sum = 0;
    for (const PlaneLayout& layout : frame.planes()) {
        const PlaneSpan span = frame.span(layout.index);
        for (int row = 0; row < layout.height; ++row) {
            const std::uint8_t* bytes = span.first_row + span.row_stride * row;
            sum = std::accumulate(bytes, bytes + layout.row_bytes, sum * 31);
        }
    }
    return sum;
}

class RandomAccessOnSample : public testing::TestWithParam<const char*> {};

TEST_P(RandomAccessOnSample, EveryFrameInRandomOrderEqualsSequentialDecoding) {
    std::vector<std::uint64_t> sums;
    std::vector<std::int64_t> times;
    Decoder sequential(sample(GetParam()));
    while (auto frame = sequential.next()) {
        sums.push_back(frame_sum(*frame));
        times.push_back(frame->pts());
    }
    RandomAccess random(sample(GetParam()), {});
    ASSERT_EQ(random.size(), static_cast<std::int64_t>(sums.size()));
    for (std::int64_t i = 0; i < random.size(); ++i) EXPECT_EQ(random.index().pts(i), times[i]) << i;
    std::vector<std::int64_t> order(sums.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(42));
    for (std::int64_t i : order) {
        auto frame = random.frame(i);
        ASSERT_TRUE(frame);
        EXPECT_EQ(frame->index(), i);
        EXPECT_EQ(frame_sum(*frame), sums[i]) << "frame " << i;
    }
    EXPECT_EQ(random.retries(), 0);  // the index and the seeks were right the first time
    EXPECT_EQ(random.sequential_fallbacks(), 0);
}

INSTANTIATE_TEST_SUITE_P(Samples, RandomAccessOnSample,
                         testing::Values("h264_bframes.mp4", "h264_opengop.mp4", "hevc_opengop.mp4",
                                         "vp9_keyframes.webm", "av1_keyframes.mkv", "h264.ts", "h264_vfr.mkv",
                                         "h264_nocues.mkv", "h264_editlist.mp4", "mjpeg_fullrange.avi",
                                         "nv12_raw.nut", "audio_first.mkv"));

}  // namespace
}  // namespace derenotes
