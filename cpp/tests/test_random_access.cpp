// Random access against sequential decoding of the same file.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "derenotes/mp4_index.hpp"
#include "derenotes/random_access.hpp"
#include "derenotes/source.hpp"

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
    if (std::string(GetParam()).rfind("av1", 0) == 0 && !avcodec_find_decoder(AV_CODEC_ID_AV1))
        GTEST_SKIP() << "this FFmpeg has no AV1 decoder (tools/ffmpeg.sh builds 4.x without libdav1d)";
    std::vector<std::uint64_t> sums;
    std::vector<std::int64_t> times;
    Decoder sequential(file_source(sample(GetParam())));
    while (auto frame = sequential.next()) {
        sums.push_back(frame_sum(*frame));
        times.push_back(frame->pts());
    }
    RandomAccess random(file_source(sample(GetParam())), {});
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
    // The index and the seeks were right the first time: nothing looked for again, nothing learned.
    EXPECT_EQ(random.statistics().earlier_keys, 0);
    EXPECT_EQ(random.statistics().passes, 0);
    EXPECT_FALSE(random.index().learned());
}

// A plan lets the decoder drop the unreferenced frames outside it: the frames asked for stay
// sequential decoding's, fewer are decoded, and a frame asked for outside the plan ends it.
TEST(RandomAccessPlan, DropsUnreferencedFramesAndKeepsTheOnesAskedFor) {
    std::vector<std::uint64_t> sums;
    Decoder sequential(file_source(sample("h264_opengop.mp4")));
    while (auto frame = sequential.next()) sums.push_back(frame_sum(*frame));
    RandomAccess random(file_source(sample("h264_opengop.mp4")), {});
    std::vector<std::int64_t> planned;
    for (std::int64_t i = 2; i < random.size(); i += 9) planned.push_back(i);
    random.plan(planned);
    for (std::int64_t i : planned) EXPECT_EQ(frame_sum(*random.frame(i)), sums[i]) << i;
    const std::int64_t skipped = random.statistics().skipped;
    EXPECT_GT(skipped, 0);
    EXPECT_EQ(random.statistics().passes, 0);
    // Outside the plan: nothing more is dropped, forward or back.
    for (std::int64_t i : {std::int64_t{4}, std::int64_t{60}, std::int64_t{61}})
        EXPECT_EQ(frame_sum(*random.frame(i)), sums[i]) << i;
    EXPECT_EQ(random.statistics().skipped, skipped);
}

INSTANTIATE_TEST_SUITE_P(Samples, RandomAccessOnSample,
                         testing::Values("h264_bframes.mp4", "h264_opengop.mp4", "hevc_opengop.mp4",
                                         "vp9_keyframes.webm", "av1_keyframes.mkv", "h264.ts", "h264_vfr.mkv",
                                         "h264_nocues.mkv", "h264_editlist.mp4", "mjpeg_fullrange.avi",
                                         "nv12_raw.nut", "audio_first.mkv"));

}  // namespace
}  // namespace derenotes

namespace derenotes {
namespace {

// The demuxer FFmpeg opens on the file by itself, to compare with.
FormatContextPtr open_format(const std::string& path) {
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return nullptr;
    FormatContextPtr format(raw);
    if (avformat_find_stream_info(format.get(), nullptr) < 0) return nullptr;
    return format;
}

// The MP4 sample tables describe every packet exactly as the demuxer then returns it.
class Mp4TablesOnSample : public testing::TestWithParam<const char*> {};

TEST_P(Mp4TablesOnSample, DescribeEveryPacketAsTheDemuxerReadsIt) {
    const FormatContextPtr format = open_format(sample(GetParam()));
    ASSERT_TRUE(format);
    const int video = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    ASSERT_GE(video, 0);
    // The tables are read through a reader of the source of their own, not by the demuxer's name.
    Interrupter never(nullptr, GetParam());
    const auto from_tables = mp4_packets(*file_source(sample(GetParam())), never, format.get(), format->streams[video]);
    ASSERT_TRUE(from_tables.has_value());

    std::vector<PacketInfo> read;
    AVPacket* packet = av_packet_alloc();
    while (av_read_frame(format.get(), packet) >= 0) {
        if (packet->stream_index == video) read.push_back(describe_packet(packet));
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    ASSERT_EQ(from_tables->size(), read.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
        const PacketInfo& a = (*from_tables)[i];
        const PacketInfo& b = read[i];
        EXPECT_EQ(a.pts, b.pts) << i;
        EXPECT_EQ(a.dts, b.dts) << i;
        EXPECT_EQ(a.pos, b.pos) << i;
        EXPECT_EQ(a.size, b.size) << i;
        EXPECT_EQ(a.key, b.key) << i;
        EXPECT_EQ(a.discard, b.discard) << i;
        if (i + 1 < read.size()) EXPECT_EQ(a.duration, b.duration) << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Samples, Mp4TablesOnSample,
                         testing::Values("h264_bframes.mp4", "hevc_10bit.mp4", "h264_opengop.mp4", "hevc_opengop.mp4",
                                         "rgba_png.mov", "h264_editlist.mp4"));

TEST(Mp4Tables, AreOnlyForMp4AndMov) {
    for (const char* name : {"vp9_keyframes.webm", "h264.ts", "h264_nocues.mkv"}) {
        const FormatContextPtr format = open_format(sample(name));
        ASSERT_TRUE(format);
        const int video = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        Interrupter never(nullptr, name);
        EXPECT_FALSE(mp4_packets(*file_source(sample(name)), never, format.get(), format->streams[video]).has_value()) << name;
    }
}

}  // namespace
}  // namespace derenotes
