// The frame index: which packet each frame comes from and where to start decoding it, predicted
// from packets or learned from a decoding pass.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "derenotes/frame_index.hpp"

namespace derenotes {
namespace {

PacketInfo packet(std::int64_t pts, bool key, std::int64_t dts = kNoTimestamp) {
    PacketInfo info;
    info.pts = pts;
    info.dts = dts;
    info.key = key;
    return info;
}

TEST(FrameIndex, PredictsPresentationOrderAndStartsAtTheLastKeyPacket) {
    // Decode order I0 P3 B1 B2 | I4 P7 B5 B6.
    const FrameIndex index = FrameIndex::predict({packet(0, true), packet(3, false), packet(1, false), packet(2, false),
                                                  packet(4, true), packet(7, false), packet(5, false), packet(6, false)});
    ASSERT_EQ(index.size(), 8);
    const std::int64_t packets[] = {0, 2, 3, 1, 4, 6, 7, 5};
    for (std::int64_t n = 0; n < 8; ++n) {
        EXPECT_EQ(index.pts(n), n);
        EXPECT_EQ(index.frame(n).packet, packets[n]);
        EXPECT_EQ(index.frame(n).start, n < 4 ? 0 : 4);
        EXPECT_EQ(index.number_of(n), n);
    }
    EXPECT_EQ(index.first_from(4), 4);
    EXPECT_EQ(index.first_from(-1), 0);
    EXPECT_FALSE(index.learned());
}

TEST(FrameIndex, LeadingPicturesOfAnOpenGopStartAtTheKeyBefore) {
    // I0 P2 | I5 B3 B4 P6: B3 and B4 are shown before I5 and may refer to P2.
    const FrameIndex index = FrameIndex::predict(
        {packet(0, true), packet(2, false), packet(5, true), packet(3, false), packet(4, false), packet(6, false)});
    EXPECT_EQ(index.frame(index.number_of(3)).start, 0);
    EXPECT_EQ(index.frame(index.number_of(4)).start, 0);
    EXPECT_EQ(index.frame(index.number_of(5)).start, 2);
    EXPECT_EQ(index.frame(index.number_of(6)).start, 2);
    EXPECT_EQ(index.first_from(2), index.number_of(5));  // decoding from I5 gives B3 and B4 or not
}

TEST(FrameIndex, RefusesPacketsThatCannotNumberTheFrames) {
    for (const auto& packets : {std::vector<PacketInfo>{packet(0, true), packet(kNoTimestamp, false)},
                                std::vector<PacketInfo>{packet(0, true), packet(1, false), packet(1, false)},
                                std::vector<PacketInfo>{packet(0, false), packet(1, false)}}) {
        const FrameIndex index = FrameIndex::predict(packets);
        EXPECT_FALSE(index.problem().empty());
        EXPECT_EQ(index.size(), 0);
        EXPECT_EQ(index.packets().size(), packets.size());  // kept, to learn from
    }
    const FrameIndex before_key = FrameIndex::predict({packet(0, false), packet(1, true), packet(2, false)});
    EXPECT_EQ(before_key.size(), 2);
    EXPECT_EQ(before_key.unreachable(), 1);  // the first packet: shown only if the decoder shows it
}

// Finding the start packet once walked back over every key packet for every packet: 100k key
// packets with falling timestamps, then 100k packets before them all, took minutes.
TEST(FrameIndex, PredictingIsNotQuadraticInKeyPackets) {
    constexpr std::int64_t kKeys = 200'000;
    std::vector<PacketInfo> packets;
    for (std::int64_t i = 0; i < kKeys; ++i) packets.push_back(packet(4 * kKeys - i, true));
    for (std::int64_t i = 0; i < kKeys; ++i) packets.push_back(packet(i, false));
    const auto began = std::chrono::steady_clock::now();
    const FrameIndex index = FrameIndex::predict(std::move(packets));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    EXPECT_EQ(index.size(), kKeys);  // the non-key packets precede every key picture: unreachable
    EXPECT_LT(seconds, 5.0);         // n log n: well under a second; the walk: hours
}

TEST(FrameIndex, LearnedFramesAreRecognisedByTheirPacketsTimestamp) {
    // pts = dts in the packets (composition offsets lost); the decoder reorders I0 P1 B2 to I0 B2 P1
    // and gives best-effort timestamps 0 1 2.
    const std::vector<PacketInfo> packets = {packet(0, true), packet(1, false), packet(2, false), packet(3, true)};
    const FrameIndex index = FrameIndex::learn(packets, {{0, 0, true}, {2, 1, false}, {1, 2, false}, {3, 3, true}});
    ASSERT_EQ(index.size(), 4);
    EXPECT_TRUE(index.learned());
    EXPECT_EQ(index.pts(1), 1);
    EXPECT_EQ(index.frame(1).identity, 2);
    EXPECT_EQ(index.frame(1).packet, 2);
    EXPECT_EQ(index.frame(3).start, 3);
    EXPECT_EQ(index.number_of(1), 2);
}

TEST(FrameIndex, LearnedFramesThatCannotBeRecognisedAreReachedFromTheBeginningOnly) {
    const std::vector<PacketInfo> packets = {packet(kNoTimestamp, true), packet(kNoTimestamp, false)};
    const FrameIndex index = FrameIndex::learn(packets, {{kNoTimestamp, kNoTimestamp, true}, {kNoTimestamp, 1, false}});
    ASSERT_EQ(index.size(), 2);
    EXPECT_EQ(index.frame(0).start, -1);
    EXPECT_EQ(index.frame(1).start, -1);
    // Two frames claiming one packet: neither can be told apart after a seek.
    const FrameIndex twice = FrameIndex::learn({packet(0, true), packet(1, false)}, {{0, 0, true}, {0, 1, false}});
    EXPECT_EQ(twice.frame(0).start, -1);
}

TEST(FrameIndex, TruncatingForgetsTheFramesFromThereOn) {
    FrameIndex index = FrameIndex::predict({packet(0, true), packet(1, false), packet(2, false)});
    index.truncate(2);
    EXPECT_EQ(index.size(), 2);
    EXPECT_EQ(index.number_of(2), -1);
    EXPECT_EQ(index.first_from(0), 0);
}

}  // namespace
}  // namespace derenotes
