// The frame index, predicted from the packets or learned from a decoding pass (see frame_index.hpp).
#include "derenotes/frame_index.hpp"

#include <algorithm>
#include <unordered_map>

namespace derenotes {
namespace {

// Per packet, the key packet to decode from to get its picture exactly, or -1: the last key packet
// so far (in decode order) whose own picture is not after this one. A later picture would make
// this a leading picture of that key's open GOP, which may refer to the GOP before it.
std::vector<std::int64_t> start_packets(const std::vector<PacketInfo>& packets) {
    // Key packets that can still be an answer: a key is never the answer once a later key shows a
    // picture no later than its own, so the pictures here rise with the decode order.
    std::vector<std::int64_t> keys;
    std::vector<std::int64_t> starts(packets.size(), -1);
    for (std::int64_t number = 0; number < static_cast<std::int64_t>(packets.size()); ++number) {
        const std::int64_t pts = packets[number].pts;
        if (packets[number].key) {
            while (!keys.empty() && packets[keys.back()].pts >= pts) keys.pop_back();
            keys.push_back(number);
        }
        const auto after = std::upper_bound(keys.begin(), keys.end(), pts, [&](std::int64_t time, std::int64_t key) {
            return time < packets[key].pts;
        });
        if (after != keys.begin()) starts[number] = *std::prev(after);
    }
    return starts;
}

}  // namespace

FrameIndex FrameIndex::predict(std::vector<PacketInfo> packets) {
    FrameIndex index;
    index.packets_ = std::move(packets);
    const auto cannot = [&](const char* why) {
        index.problem_ = why;
        index.unreachable_ = 0;
        index.frames_.clear();
        index.finish();
        return std::move(index);
    };
    const std::vector<PacketInfo>& all = index.packets_;
    const std::vector<std::int64_t> starts = start_packets(all);
    std::vector<std::int64_t> shown;
    shown.reserve(all.size());
    for (std::int64_t number = 0; number < static_cast<std::int64_t>(all.size()); ++number) {
        if (all[number].discard) continue;
        if (all[number].pts == kNoTimestamp) return cannot("a packet without a presentation timestamp");
        // Before the first key packet, or a leading picture of it: sequential decoding usually
        // does not show these either (the decoder waits for a key frame, HEVC drops RASL pictures).
        if (starts[number] < 0) {
            ++index.unreachable_;
            continue;
        }
        shown.push_back(number);
    }
    if (std::none_of(all.begin(), all.end(), [](const PacketInfo& packet) { return packet.key; }))
        return cannot("no key frame");
    std::sort(shown.begin(), shown.end(), [&](std::int64_t a, std::int64_t b) { return all[a].pts < all[b].pts; });
    index.frames_.reserve(shown.size());
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const PacketInfo& packet = all[shown[i]];
        if (i && packet.pts == all[shown[i - 1]].pts) return cannot("two frames with one timestamp");
        index.frames_.push_back({packet.pts, packet.pts, shown[i], starts[shown[i]], packet.duration, packet.key});
    }
    index.finish();
    return index;
}

FrameIndex FrameIndex::learn(std::vector<PacketInfo> packets, const std::vector<DecodedFrame>& frames) {
    FrameIndex index;
    index.packets_ = std::move(packets);
    index.learned_ = true;
    const std::vector<PacketInfo>& all = index.packets_;
    const std::vector<std::int64_t> starts = start_packets(all);
    std::unordered_map<std::int64_t, std::int64_t> packet_of_pts;  // -1 when two packets have it
    for (std::int64_t number = 0; number < static_cast<std::int64_t>(all.size()); ++number) {
        if (all[number].pts == kNoTimestamp) continue;
        const auto [place, added] = packet_of_pts.emplace(all[number].pts, number);
        if (!added) place->second = -1;
    }
    bool recognisable = true;
    index.frames_.reserve(frames.size());
    for (const DecodedFrame& decoded : frames) {
        FrameEntry entry;
        entry.pts = decoded.pts;
        entry.identity = decoded.identity;
        entry.key = decoded.key;
        const auto place = decoded.identity == kNoTimestamp ? packet_of_pts.end() : packet_of_pts.find(decoded.identity);
        if (place != packet_of_pts.end() && place->second >= 0) {
            const PacketInfo& packet = all[place->second];
            entry.packet = place->second;
            entry.start = starts[place->second];
            entry.duration = packet.duration;
            entry.key = packet.key;
        } else {
            recognisable = false;
        }
        index.frames_.push_back(entry);
    }
    index.finish();
    for (std::size_t i = 1; i < index.by_identity_.size(); ++i)  // empty when identities rise: none twice
        if (index.by_identity_[i].first == index.by_identity_[i - 1].first) recognisable = false;
    if (!recognisable) {
        for (FrameEntry& entry : index.frames_) entry.start = -1;
        index.finish();
    }
    return index;
}

void FrameIndex::finish() {
    // Predicted frames are in identity order already (their timestamps): searched in place. Others
    // get a sorted copy of the identities.
    by_identity_.clear();
    identities_rise_ = std::adjacent_find(frames_.begin(), frames_.end(), [](const FrameEntry& a, const FrameEntry& b) {
                           return a.identity >= b.identity;
                       }) == frames_.end() &&
                       (frames_.empty() || frames_.front().identity != kNoTimestamp);
    if (!identities_rise_) {
        for (std::int64_t number = 0; number < size(); ++number)
            if (frames_[number].identity != kNoTimestamp) by_identity_.emplace_back(frames_[number].identity, number);
        std::sort(by_identity_.begin(), by_identity_.end());
    }
    first_from_.clear();  // made when first asked for: opening a file need not pay for it
}

std::int64_t FrameIndex::number_of(std::int64_t identity) const {
    if (identities_rise_) {
        const auto place = std::lower_bound(frames_.begin(), frames_.end(), identity,
                                            [](const FrameEntry& entry, std::int64_t value) { return entry.identity < value; });
        return place != frames_.end() && place->identity == identity ? place - frames_.begin() : -1;
    }
    const auto place = std::lower_bound(by_identity_.begin(), by_identity_.end(), std::pair{identity, std::int64_t{0}});
    return place != by_identity_.end() && place->first == identity ? place->second : -1;
}

std::int64_t FrameIndex::first_from(std::int64_t start) const {
    if (start < 0) return 0;
    if (first_from_.empty()) {
        // first_from_[p]: the first frame whose start is p or later (its last entry: size()).
        first_from_.assign(packets_.size() + 1, size());
        for (std::int64_t number = size() - 1; number >= 0; --number)
            if (frames_[number].start >= 0) first_from_[frames_[number].start] = number;
        for (std::int64_t p = static_cast<std::int64_t>(packets_.size()) - 1; p >= 0; --p)
            first_from_[p] = std::min(first_from_[p], first_from_[p + 1]);
    }
    return first_from_[std::min<std::size_t>(start, packets_.size())];
}

void FrameIndex::truncate(std::int64_t number) {
    frames_.resize(std::min(number, size()));
    finish();
}

}  // namespace derenotes
