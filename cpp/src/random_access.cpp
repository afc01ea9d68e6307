#include "derenotes/random_access.hpp"

#include <stdexcept>

namespace derenotes {
namespace {

// Whether packet a comes after packet b in decode order: by file position where both have one
// (a stream's packets lie in the file in decode order), else by decode, else presentation time.
bool after(const PacketInfo& a, const PacketInfo& b) {
    if (a.pos >= 0 && b.pos >= 0) return a.pos > b.pos;
    if (a.dts != kNoTimestamp && b.dts != kNoTimestamp) return a.dts > b.dts;
    return a.pts > b.pts;
}

// The key packet before packet `number` in decode order, or -1.
std::int64_t previous_key(const FrameIndex& index, std::int64_t number) {
    while (--number >= 0)
        if (index.packets()[number].key) return number;
    return -1;
}

}  // namespace

RandomAccess::RandomAccess(std::string path, DecoderOptions options, std::unique_ptr<Decoder> unused)
    : path_(std::move(path)), options_(options), decoder_(std::move(unused)) {
    if (!decoder_) decoder_ = std::make_unique<Decoder>(path_, options_);
}

const FrameIndex& RandomAccess::index() {
    if (!index_) {
        try {
            index_.emplace(decoder_->index_packets());
        } catch (const std::invalid_argument& why) {
            throw Error(AVERROR_PATCHWELCOME, path_,
                        std::string("cannot index the frames for random access: ") + why.what(),
                        ErrorKind::Unsupported);
        }
    }
    return *index_;
}

std::int64_t RandomAccess::size() { return index().size(); }

std::unique_ptr<Frame> RandomAccess::frame(std::int64_t number) {
    const FrameIndex& frames = index();
    if (number < 0 || number >= frames.size()) throw std::out_of_range("frame number out of range");
    const std::int64_t pts = frames.pts(number);
    if (!can_decode_forward_to(number)) seek_to(frames.start_number(number));
    auto frame = decode_until(pts);
    if (!frame) {
        ++retries_;
        // The demuxer's seek or the index was off for this file: once more from the key frame
        // before, then by counting from the start, which is exact by definition.
        const std::int64_t earlier = previous_key(frames, frames.start_number(number));
        if (earlier >= 0) {
            seek_to(earlier);
            frame = decode_until(pts);
        }
        if (!frame) {
            ++sequential_fallbacks_;
            return decode_from_start(number);
        }
    }
    frame->set_index(number);
    return frame;
}

bool RandomAccess::can_decode_forward_to(std::int64_t number) const {
    if (!positioned_ || !last_output_pts_ || index_->pts(number) <= *last_output_pts_) return false;
    // Decoding on is exact from wherever the decoder started; it saves work unless a key frame
    // nearer the target lies ahead of the packets read so far.
    const std::optional<PacketInfo>& position = decoder_->last_fed();
    return position && !after(index_->start_packet(number), *position);
}

void RandomAccess::seek_to(std::int64_t start) {
    const std::vector<PacketInfo>& packets = index_->packets();
    positioned_ = false;
    last_output_pts_.reset();
    for (std::int64_t target = start;;) {
        ++seeks_;
        const std::optional<PacketInfo> landed = decoder_->seek(packets[target]);
        if (landed && !after(*landed, packets[start])) break;
        // The demuxer went past the key frame: ask for an earlier one, or start over.
        target = previous_key(*index_, target);
        if (target < 0) {
            decoder_ = std::make_unique<Decoder>(path_, options_);
            break;
        }
    }
    positioned_ = true;
}

std::unique_ptr<Frame> RandomAccess::decode_until(std::int64_t pts) {
    for (;;) {
        std::unique_ptr<Frame> frame = decoder_->next();
        if (!frame) {
            positioned_ = false;  // the decoder was flushed: it must seek again
            return nullptr;
        }
        if (!frame->has_pts()) continue;
        last_output_pts_ = frame->pts();
        if (frame->pts() == pts) return frame;
        if (frame->pts() > pts) return nullptr;
    }
}

std::unique_ptr<Frame> RandomAccess::decode_from_start(std::int64_t number) {
    decoder_ = std::make_unique<Decoder>(path_, options_);
    positioned_ = false;
    last_output_pts_.reset();
    std::unique_ptr<Frame> frame;
    for (std::int64_t i = 0; i <= number; ++i) {
        frame = decoder_->next();
        if (!frame)
            throw Error(AVERROR_INVALIDDATA, path_,
                        "frame " + std::to_string(number) + " is in the file's index but was not decoded");
    }
    positioned_ = true;
    if (frame->has_pts()) last_output_pts_ = frame->pts();
    frame->set_index(number);
    return frame;
}

}  // namespace derenotes
