// Frames by their number in iteration order (the numbers sequential decoding gives them), exactly.
//
// The frame index predicts from the packets where every frame is; random access seeks to the key
// packet it names and decodes forward. Nothing the container says is taken on trust: where the
// demuxer lands after a seek is checked against the index, and so is every frame decoded on the
// way (its packet, its place in the order, its timestamp). When a check fails, the frame is looked
// for again from the key packet before, then by decoding from the beginning, which is iteration
// itself; and when decoding from the beginning disagrees with the index, the index is replaced by
// what that pass gave (learned), so that frame numbers, their count and their times are exact too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "derenotes/decoder.hpp"
#include "derenotes/frame_index.hpp"
#include "derenotes/source.hpp"

namespace derenotes {

enum class IndexSource {
    Packets,   // predicted from the packets, checked by every decode, learned when a check fails
    Decoding,  // learned by decoding the whole stream once: exact whatever the file holds
};

class RandomAccess {
public:
    // Opens a decoder of its own on `source`, or takes `unused`, one opened on the same source
    // with the same options that has not decoded yet: random access never disturbs another
    // decoder's iteration. Decoders it opens later (to decode from the beginning) are opened on
    // `source` too.
    RandomAccess(std::shared_ptr<const Source> source, DecoderOptions options, std::unique_ptr<Decoder> unused = nullptr,
                 IndexSource index_source = IndexSource::Packets);

    // The frame index, made on first use (see IndexSource). Files whose packets give cause for
    // doubt (packets flagged damaged, a decoder that reorders frames although the timestamps do not,
    // packets before the first key frame) are checked by decoding those places first: the first
    // frames from the beginning, the damaged ones from their key frames.
    const FrameIndex& index();
    // How many frames sequential decoding gives.
    std::int64_t size();
    // Frame `number` (0 <= number < size()); an Error of kind OutOfRange when decoding shows
    // that the stream has fewer frames than the index said.
    std::unique_ptr<Frame> frame(std::int64_t number);
    // The frames the next calls of frame() ask for (any order; empty: none in particular). On the
    // way to one of them, the decoder may drop the pictures of frames outside the plan that no
    // other picture refers to (H.264's and HEVC's non-reference pictures): they are never shown,
    // and decoding the rest is faster. Asking for a frame outside the plan ends it.
    void plan(std::vector<std::int64_t> numbers);
    // Changes whenever the index does (learned or cut short): numbers and times read before may be stale.
    std::int64_t index_version() const { return index_version_; }

    struct Statistics {
        std::int64_t seeks = 0;
        std::int64_t earlier_keys = 0;  // frames looked for again from the key packet before
        std::int64_t passes = 0;        // passes from the beginning
        std::int64_t skipped = 0;       // frames outside the plan the decoder dropped
    };
    const Statistics& statistics() const { return statistics_; }

private:
    // What decoding on from the position gave.
    // Unsure: the decoder dropped frames (see plan()) where it also met damaged data, which
    // makes their absence and the frames after them uncertain; the plan is ended, and decoding
    // there again tells.
    enum class Outcome { Found, Disagreed, Ended, Unsure };
    // Where the decoder is and what it must give next.
    struct Position {
        bool valid = false;
        std::int64_t from = -1;  // the key packet decoding resumed at; -1: the beginning (frames counted)
        std::int64_t next = 0;   // the frame number it must give next (frames decodable only from
                                 // before `from` may come out in between, or not)
    };

    void build_index();
    std::unique_ptr<Frame> find(std::int64_t number);
    // Decodes on until frame `number` (into `found`), checking every frame against the index.
    Outcome decode_to(std::int64_t number, std::unique_ptr<Frame>& found);
    // Whether the frame is the one the index has at `number`.
    bool as_expected(const Frame& frame, std::int64_t number) const;
    // Whether the decoder made the frame on its own, as a key frame must be (decoders that do not
    // say, leaving the picture type unknown, confirm no key frame of a codec that is not intra-only).
    bool intra_picture(const Frame& frame) const;
    // Whether decoding may drop frame `number` when unreferenced: outside the plan, and the only
    // frame of a packet that is neither key nor damaged (see plan()).
    bool may_skip(std::int64_t number) const;
    // Whether the frames the decoder gave none for, from position_.next up to `got`, are ones it
    // was let drop (then it did), or ones it may give or not (see Position).
    bool dropped_before(std::int64_t got) const;
    bool drops_unreferenced() const;  // whether decode_to() lets the decoder drop frames
    // Positions the decoder at key packet `start`; false when the demuxer cannot seek there or
    // lands elsewhere than the index says (another packet, other timestamps).
    bool seek_to(std::int64_t start);
    // Runs a seek-and-decode step: false when it failed on the file's data (the fallbacks try
    // another way), rethrowing any other error.
    template <typename Step>
    bool attempt(Step step);
    void give_up_seeking_after_failures();  // counts a failed seek; a few in a row stop seeking
    bool can_decode_forward_to(std::int64_t number) const;
    // The key packet to decode frame `number` from, skipping keys that failed; -1: the beginning.
    std::int64_t usable_start(std::int64_t number) const;
    std::int64_t earlier_key(std::int64_t packet) const;  // the usable key packet before, or -1
    // Decodes from the beginning to frame `number` (or through the stream when negative): exact
    // by definition. When what comes out disagrees with the index, decodes on to the end and
    // learns the index from it, saying why (`reason`, unless empty) in the log.
    std::unique_ptr<Frame> from_beginning(std::int64_t number, const std::string& reason = "");
    // Decodes a frame (`decoding` gets it), forgetting it and whether the stream had it: a check
    // of the index there, which may correct it.
    template <typename Decoding>
    void check(Decoding decoding);
    void forget_decoder();  // after an interrupt, the decoder's state is undefined
    Error no_such_frame(std::int64_t number) const;
    Decoder& decoder();

    const std::string& name() const { return source_->name(); }  // for messages

    std::shared_ptr<const Source> source_;
    DecoderOptions options_;
    IndexSource index_source_;
    std::unique_ptr<Decoder> decoder_;
    bool interrupted_decoder_ = false;  // decoder_ was interrupted: replace it before use
    std::optional<FrameIndex> index_;
    std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> palettes_;  // see PacketList
    std::int64_t index_version_ = 0;
    Position position_;
    std::vector<std::int64_t> plan_;  // sorted; see plan()
    std::set<std::int64_t> bad_starts_;  // key packets decoding from which disagreed with the index
    int failed_seeks_in_a_row_ = 0;      // seeking is given up after a few, for files it fails on
    bool seeking_ = true;
    bool seek_by_decode_time_ = false;  // this demuxer lands on a key packet by its decode time
    Statistics statistics_;
};

}  // namespace derenotes
