// Every frame of a stream in presentation order, from its packets alone (no decoding): each
// frame's timestamp, and the key frame to decode from to get it exactly.
#pragma once

#include <cstdint>
#include <vector>

namespace derenotes {

constexpr std::int64_t kNoTimestamp = INT64_MIN;  // AV_NOPTS_VALUE

// What the demuxer says of one packet of the stream, in the order it reads them (decode order).
struct PacketInfo {
    std::int64_t pts = kNoTimestamp, dts = kNoTimestamp;  // stream time base
    std::int64_t duration = 0;
    std::int64_t pos = -1;  // byte offset in the file, -1 when unknown
    bool key = false;
    bool discard = false;  // outside the edit list: decoded but never shown
};

class FrameIndex {
public:
    FrameIndex() = default;
    // Packets in decode order. Throws std::invalid_argument when they cannot give an exact
    // index (a shown packet without a timestamp, two frames with one timestamp).
    explicit FrameIndex(std::vector<PacketInfo> packets);

    std::int64_t size() const { return static_cast<std::int64_t>(order_.size()); }
    // Frame i in presentation order: its timestamp, and the packet to start decoding at
    // (a key frame at or before it in decode order whose own picture is not after it).
    std::int64_t pts(std::int64_t frame) const { return packets_[order_[frame]].pts; }
    std::int64_t duration(std::int64_t frame) const { return packets_[order_[frame]].duration; }
    bool key(std::int64_t frame) const { return packets_[order_[frame]].key; }
    const PacketInfo& start_packet(std::int64_t frame) const { return packets_[start_[frame]]; }
    // Decode order number of frame i's start packet: frames with the same start share a run.
    std::int64_t start_number(std::int64_t frame) const { return start_[frame]; }
    // The frame of presentation timestamp pts, or -1.
    std::int64_t frame_of_pts(std::int64_t pts) const;
    const std::vector<PacketInfo>& packets() const { return packets_; }  // decode order

private:
    std::vector<PacketInfo> packets_;   // decode order
    std::vector<std::int64_t> order_;   // presentation order -> packet number
    std::vector<std::int64_t> start_;   // presentation order -> packet number to decode from
};

}  // namespace derenotes
