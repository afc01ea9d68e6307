#include "derenotes/frame_index.hpp"

#include <algorithm>
#include <stdexcept>

namespace derenotes {

FrameIndex::FrameIndex(std::vector<PacketInfo> packets) : packets_(std::move(packets)) {
    std::vector<std::int64_t> keys;  // packet numbers of the key packets read so far
    std::vector<std::pair<std::int64_t, std::int64_t>> shown;  // (pts, packet number)
    std::vector<std::int64_t> start_of;                          // per shown packet
    for (std::int64_t number = 0; number < static_cast<std::int64_t>(packets_.size()); ++number) {
        const PacketInfo& packet = packets_[number];
        if (packet.key) keys.push_back(number);
        if (packet.discard) continue;
        if (packet.pts == kNoTimestamp) throw std::invalid_argument("a packet without a presentation timestamp");
        // Decoding starts at a key packet: the last one so far, unless this picture is shown
        // before it (a leading picture of an open GOP, which may refer to the GOP before).
        auto key = keys.rbegin();
        while (key != keys.rend() && packets_[*key].pts > packet.pts) ++key;
        // Before the first key packet, or a leading picture of it: sequential decoding does
        // not show these either (the decoder waits for a key frame, HEVC drops such RASL pictures).
        if (key == keys.rend()) continue;
        shown.emplace_back(packet.pts, number);
        start_of.push_back(*key);
    }
    if (keys.empty()) throw std::invalid_argument("no key frame");

    std::vector<std::size_t> by_pts(shown.size());
    for (std::size_t i = 0; i < by_pts.size(); ++i) by_pts[i] = i;
    std::sort(by_pts.begin(), by_pts.end(), [&](std::size_t a, std::size_t b) { return shown[a].first < shown[b].first; });
    order_.reserve(shown.size());
    start_.reserve(shown.size());
    for (std::size_t i = 0; i < by_pts.size(); ++i) {
        if (i && shown[by_pts[i]].first == shown[by_pts[i - 1]].first)
            throw std::invalid_argument("two frames with one timestamp");
        order_.push_back(shown[by_pts[i]].second);
        start_.push_back(start_of[by_pts[i]]);
    }
}

std::int64_t FrameIndex::frame_of_pts(std::int64_t pts) const {
    std::int64_t low = 0, high = size();
    while (low < high) {
        const std::int64_t middle = low + (high - low) / 2;
        if (this->pts(middle) < pts)
            low = middle + 1;
        else
            high = middle;
    }
    return low < size() && this->pts(low) == pts ? low : -1;
}

}  // namespace derenotes
