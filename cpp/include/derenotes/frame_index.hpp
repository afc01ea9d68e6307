// Every frame of a stream in the order sequential decoding gives them: each frame's timestamp, how
// to recognise it when a decoder hands it out, and the key packet to decode from to get it exactly.
// Predicted from the packets alone (no decoding), or learned from what one decoding pass gave.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace derenotes {

constexpr std::int64_t kNoTimestamp = INT64_MIN;  // AV_NOPTS_VALUE

// What the demuxer says of one packet of the stream, in the order it reads them (decode order).
struct PacketInfo {
    std::int64_t pts = kNoTimestamp, dts = kNoTimestamp;  // stream time base
    std::int64_t duration = 0;
    std::int64_t pos = -1;  // byte offset in the file, -1 when unknown
    int size = 0;
    bool key = false;
    bool discard = false;  // outside the edit list: decoded but never shown
    bool corrupt = false;  // the demuxer knows it is damaged (cut short by the end of the file, say)
};

// One frame a decoding pass gave, in the order it gave them.
struct DecodedFrame {
    std::int64_t identity = kNoTimestamp;  // the frame's own pts: its packet's, carried through the decoder
    std::int64_t pts = kNoTimestamp;       // its best-effort timestamp, what iteration shows
    bool key = false;                      // the decoder's key-frame flag
};

struct FrameEntry {
    std::int64_t pts = kNoTimestamp;       // what iteration gives as the frame's timestamp
    std::int64_t identity = kNoTimestamp;  // the pts the decoder gives the frame (its packet's)
    std::int64_t packet = -1;              // its packet's number in decode order, -1 when unknown
    std::int64_t start = -1;               // the key packet to decode from; -1: only from the beginning
    std::int64_t duration = 0;
    bool key = false;
};

class FrameIndex {
public:
    FrameIndex() = default;
    // From the packets alone: shown packets in timestamp order, each decoded from the last key
    // packet before it whose own picture is not after it. When they cannot give one (a shown
    // packet without a timestamp, two with one, no key), an index of no frames whose problem()
    // says why (it keeps the packets, to learn from).
    static FrameIndex predict(std::vector<PacketInfo> packets);
    // From what one decoding pass from the beginning gave. Frames are recognised by their packet's
    // pts; when some cannot be (no timestamps, or the same one twice), none can be decoded but by
    // counting from the beginning.
    static FrameIndex learn(std::vector<PacketInfo> packets, const std::vector<DecodedFrame>& frames);

    std::int64_t size() const { return static_cast<std::int64_t>(frames_.size()); }
    const FrameEntry& frame(std::int64_t number) const { return frames_[number]; }
    std::int64_t pts(std::int64_t number) const { return frames_[number].pts; }
    std::int64_t duration(std::int64_t number) const { return frames_[number].duration; }
    bool key(std::int64_t number) const { return frames_[number].key; }
    bool learned() const { return learned_; }
    const std::string& problem() const { return problem_; }  // why the packets gave no prediction
    const std::vector<PacketInfo>& packets() const { return packets_; }  // decode order

    // The frame the decoder gives this pts, or -1.
    std::int64_t number_of(std::int64_t identity) const;
    // The first frame decoding from packet `start` on gives (or may give, see start()), or size().
    std::int64_t first_from(std::int64_t start) const;
    // Shown packets the prediction left out because no key packet before them can decode them:
    // sequential decoding may still show them (checked by decoding).
    std::int64_t unreachable() const { return unreachable_; }
    // Forgets the frames from `number` on: decoding showed that the stream ends before them.
    void truncate(std::int64_t number);

private:
    void finish();  // builds the lookups from frames_

    std::vector<PacketInfo> packets_;
    std::vector<FrameEntry> frames_;                                // iteration order
    bool identities_rise_ = true;                                    // then number_of() searches frames_
    std::vector<std::pair<std::int64_t, std::int64_t>> by_identity_;  // else (identity, number), sorted
    mutable std::vector<std::int64_t> first_from_;                  // per packet number + 1, made on use
    std::int64_t unreachable_ = 0;
    bool learned_ = false;
    std::string problem_;
};

}  // namespace derenotes
