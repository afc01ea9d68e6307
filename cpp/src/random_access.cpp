// Random access by frame number (see random_access.hpp).
#include "derenotes/random_access.hpp"

#include <algorithm>
#include <utility>

#include "derenotes/log.hpp"

namespace derenotes {
namespace {

// Frames decoded from the beginning before trusting files whose packets give cause for doubt.
constexpr std::int64_t kFramesChecked = 16;
// Places flagged damaged that building the index checks by decoding; the rest are checked when read.
constexpr std::size_t kDamagedPlacesChecked = 8;
// Seeks that fail in a row (refused, or landing where the index does not say) before random
// access stops seeking in this file and decodes from the beginning instead.
constexpr int kFailedSeeksBeforeGivingUp = 2;
// How far before the key packet asked for a demuxer's landing is looked for in the index.
constexpr std::int64_t kLandingSearch = 4096;

// Whether packet a comes after packet b in decode order: by file position where both have one
// (a stream's packets lie in the file in decode order), else by decode, else presentation time.
bool after(const PacketInfo& a, const PacketInfo& b) {
    if (a.pos >= 0 && b.pos >= 0) return a.pos > b.pos;
    if (a.dts != kNoTimestamp && b.dts != kNoTimestamp) return a.dts > b.dts;
    return a.pts > b.pts;
}

// Whether the packet a demuxer landed on after a seek is this one of the index. A demuxer may not
// know a packet's decode time right after a seek (Matroska derives it from the packets before),
// nor the position of a packet its parser assembled (MPEG-PS): what both know must agree, and
// they must both know a timestamp.
bool same_landing(const PacketInfo& indexed, const PacketInfo& landed) {
    const auto same = [](std::int64_t a, std::int64_t b, std::int64_t unknown) { return a == unknown || b == unknown || a == b; };
    const bool some_time = (indexed.pts != kNoTimestamp && landed.pts != kNoTimestamp) ||
                           (indexed.dts != kNoTimestamp && landed.dts != kNoTimestamp);
    return some_time && same(indexed.pos, landed.pos, -1) && same(indexed.pts, landed.pts, kNoTimestamp) &&
           same(indexed.dts, landed.dts, kNoTimestamp);
}

// The pts that identifies a frame: its packet's as the decoder carries it, else FFmpeg's best effort.
std::int64_t identity_of(const Frame& frame) {
    return frame.packet_pts() != kNoTimestamp ? frame.packet_pts() : frame.pts();
}

// Whether the packets' timestamps never go back in decode order: with a decoder that reorders
// frames, they are then not presentation times (or the encoder never reordered: decoding tells).
bool timestamps_in_decode_order(const std::vector<PacketInfo>& packets) {
    std::int64_t last = kNoTimestamp;
    for (const PacketInfo& packet : packets) {
        if (packet.pts == kNoTimestamp) continue;
        if (packet.pts < last) return false;
        last = packet.pts;
    }
    return true;
}

}  // namespace

RandomAccess::RandomAccess(std::shared_ptr<const Source> source, DecoderOptions options, std::unique_ptr<Decoder> unused,
                           IndexSource index_source)
    : source_(std::move(source)), options_(options), index_source_(index_source), decoder_(std::move(unused)) {
    if (source_) require_seekable(*source_, "random access");
    decoder();
}

Decoder& RandomAccess::decoder() {
    if (!decoder_ || interrupted_decoder_) {
        interrupted_decoder_ = false;
        decoder_.reset();
        decoder_ = std::make_unique<Decoder>(source_, options_);
        position_ = {};
    }
    return *decoder_;
}

void RandomAccess::forget_decoder() {
    // Replaced at its next use, not now: closing it waits for its threads' frames, and Ctrl-C
    // should land at once.
    interrupted_decoder_ = true;
    position_ = {};
}

const FrameIndex& RandomAccess::index() {
    if (!index_) {
        try {
            build_index();
        } catch (const Error& error) {
            if (stopped_by_interrupter(error.kind())) forget_decoder();
            throw;
        }
    }
    return *index_;
}

std::int64_t RandomAccess::size() { return index().size(); }

void RandomAccess::build_index() {
    // The decoder reads every packet: it must be reopened or seek before decoding again.
    PacketList list = decoder().index_packets();
    position_ = {};
    palettes_ = std::move(list.palettes);
    if (index_source_ == IndexSource::Decoding) {
        index_ = FrameIndex::learn(std::move(list.packets), {});  // its packets, to learn the frames from
        from_beginning(-1);
        return;
    }
    index_ = FrameIndex::predict(std::move(list.packets));
    if (!index_->problem().empty()) {
        from_beginning(-1, "the packets cannot number the frames (" + index_->problem() + ")");
        return;
    }
    ++index_version_;
    // Places where the packets give cause for doubt are checked by decoding them now, so that the
    // frame count and times are exact from the start (decoding there may learn the index).
    const bool reorders_unseen =
        decoder_->info().reorder_delay > 0 && timestamps_in_decode_order(index_->packets());
    if (index_->unreachable() > 0 || reorders_unseen) {
        const std::int64_t frames = std::min(index_->size(), index_->unreachable() + kFramesChecked);
        if (frames > 0) check([&] { from_beginning(frames - 1, "decoding gives other frames than the packet index says"); });
    }
    std::size_t damaged_places = 0;
    for (std::int64_t number = 0; number < index_->size() && damaged_places < kDamagedPlacesChecked; ++number) {
        if (index_->learned()) break;
        const std::int64_t packet = index_->frame(number).packet;
        if (packet < 0 || !index_->packets()[packet].corrupt) continue;
        ++damaged_places;
        check([&] { find(number); });
    }
}

template <typename Decoding>
void RandomAccess::check(Decoding decoding) {
    try {
        decoding();
    } catch (const Error& error) {
        // OutOfRange: the stream turned out shorter, and the index says so now. InvalidData: the
        // frame raises it when asked for.
        if (error.kind() != ErrorKind::OutOfRange && error.kind() != ErrorKind::InvalidData) throw;
    }
}

void RandomAccess::plan(std::vector<std::int64_t> numbers) {
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    plan_ = std::move(numbers);
}

bool RandomAccess::may_skip(std::int64_t number) const {
    if (number < 0 || number >= index_->size() || std::binary_search(plan_.begin(), plan_.end(), number)) return false;
    const FrameEntry& entry = index_->frame(number);
    if (entry.packet < 0 || entry.identity == kNoTimestamp) return false;
    const PacketInfo& packet = index_->packets()[entry.packet];
    return packet.pts == entry.identity && !packet.key && !packet.corrupt && !packet.discard;
}

bool RandomAccess::drops_unreferenced() const {
    // Only after a seek, where frames are recognised by their identity rather than counted, and
    // only with codecs whose packets each hold one picture that says whether others refer to it.
    const std::string& codec = decoder_->info().codec;
    return !plan_.empty() && position_.from >= 0 && (codec == "h264" || codec == "hevc");
}

bool RandomAccess::dropped_before(std::int64_t got) const {
    for (std::int64_t number = position_.next; number < got; ++number)
        if (index_->frame(number).start >= position_.from && !may_skip(number)) return false;
    return true;
}

std::unique_ptr<Frame> RandomAccess::frame(std::int64_t number) {
    index();
    if (!std::binary_search(plan_.begin(), plan_.end(), number)) plan_.clear();
    try {
        return find(number);
    } catch (const Error& error) {
        if (stopped_by_interrupter(error.kind())) forget_decoder();
        throw;
    }
}

std::unique_ptr<Frame> RandomAccess::find(std::int64_t number) {
    if (number < 0 || number >= index_->size()) throw no_such_frame(number);
    std::unique_ptr<Frame> found;
    const auto decode = [&] { return decode_to(number, found); };
    if (can_decode_forward_to(number) && attempt([&] { return decode() == Outcome::Found; })) return found;

    // From the frame's key packet, then from the key packet before it: the first may not be one
    // (to this decoder), or the demuxer may not land on it.
    std::vector<std::int64_t> failed_starts;
    std::optional<std::int64_t> ended_before;  // the frame a stream that ended early did not give
    for (std::int64_t start = usable_start(number), tries = 0; start >= 0 && tries < 2;
         start = earlier_key(start), ++tries) {
        if (tries) ++statistics_.earlier_keys;
        Outcome outcome = Outcome::Disagreed;
        const bool decoded = attempt([&] {
            if (!seek_to(start)) return false;
            outcome = decode();
            if (outcome == Outcome::Unsure) {
                if (!seek_to(start)) return false;
                outcome = decode();  // without dropping frames now
            }
            return true;
        });
        if (decoded && outcome == Outcome::Found) {
            failed_seeks_in_a_row_ = 0;
            bad_starts_.insert(failed_starts.begin(), failed_starts.end());
            return found;
        }
        // Decoding from two key packets both ran out of frames before the same one: the stream
        // ends there (a file cut short; only damaged packets follow). Iteration ends there too.
        if (decoded && outcome == Outcome::Ended && position_.next <= number) {
            if (ended_before && *ended_before == position_.next) {
                log::message(AV_LOG_WARNING, name() + ": the stream ends after frame " +
                                                 std::to_string(*ended_before - 1) + ", not with the " +
                                                 std::to_string(index_->size()) + " frames its packets list");
                index_->truncate(*ended_before);
                ++index_version_;
                return find(number);  // out of range now
            }
            ended_before = position_.next;
        }
        failed_starts.push_back(start);
    }
    const std::int64_t version = index_version_;
    found = from_beginning(number, "decoding gives other frames than the packet index says");
    // The index held from the beginning: the key packets that failed are not ones for this decoder.
    if (index_version_ == version) bad_starts_.insert(failed_starts.begin(), failed_starts.end());
    return found;
}

Error RandomAccess::no_such_frame(std::int64_t number) const {
    return Error(AVERROR(EINVAL), name(),
                 "no frame " + std::to_string(number) + ": the stream has " + std::to_string(index_->size()) +
                     (index_->learned() ? " frames (as decoding showed)" : " frames"),
                 ErrorKind::OutOfRange);
}

template <typename Step>
bool RandomAccess::attempt(Step step) {
    try {
        if (step()) return true;
    } catch (const Error& error) {
        if (error.kind() != ErrorKind::InvalidData) throw;  // damaged data here is no reason to give up
    }
    position_ = {};
    return false;
}

RandomAccess::Outcome RandomAccess::decode_to(std::int64_t number, std::unique_ptr<Frame>& found) {
    const FrameIndex& frames = *index_;
    const bool dropping = drops_unreferenced();
    if (dropping)
        decoder().skip_unreferenced([this](std::int64_t pts) { return may_skip(index_->number_of(pts)); });
    else
        decoder().skip_unreferenced(nullptr);
    const std::int64_t errors_before = decoder().decode_errors();
    for (;;) {
        decoder().check_interrupt();  // decoding on may take many frames: Ctrl-C between them
        std::unique_ptr<Frame> frame = decoder().next();
        if (!frame) {
            position_.valid = false;  // the decoder was flushed: it must seek again
            return Outcome::Ended;
        }
        // Damage on the way: a damaged packet may make no frame at all, which only a decoder
        // that dropped none shows, and the decoder conceals damage with the pictures it decoded
        // last, which dropping changes. Decoded again without dropping, the frames are iteration's.
        if (dropping && (decoder_->decode_errors() != errors_before || frame->corrupt())) {
            plan_.clear();
            position_.valid = false;
            return Outcome::Unsure;
        }
        std::int64_t got = position_.next;  // from the beginning, frames are counted as iteration counts them
        if (position_.from >= 0) {
            got = frames.number_of(identity_of(*frame));
            // Decodable only from further back (a leading picture of an open GOP): may come out or not.
            if (got >= 0 && frames.frame(got).start < position_.from) continue;
        }
        if (dropping && got > position_.next && got < frames.size() && dropped_before(got)) {
            statistics_.skipped += got - position_.next;
            position_.next = got;
        }
        if (got != position_.next || got >= frames.size() || !as_expected(*frame, got)) {
            position_.valid = false;
            return Outcome::Disagreed;
        }
        // Containers flag packets key that are none (AVI flags every packet of some codecs that
        // code frames as changes to the one before): the decoder must see an intra picture there.
        if (position_.from >= 0 && frames.frame(got).packet == position_.from && !intra_picture(*frame)) {
            give_up_seeking_after_failures();
            position_.valid = false;
            return Outcome::Disagreed;
        }
        position_.next = got + 1;
        while (position_.next < frames.size() && frames.frame(position_.next).start < position_.from)
            ++position_.next;
        if (got == number) {
            frame->set_index(number);
            frame->set_pts(frames.pts(number));
            found = std::move(frame);
            return Outcome::Found;
        }
    }
}

bool RandomAccess::intra_picture(const Frame& frame) const {
    const char type = frame.picture_type();
    return decoder_->info().intra_only || type == 'I' || type == 'i';  // 'i': SI, H.264's switching intra
}

bool RandomAccess::as_expected(const Frame& frame, std::int64_t number) const {
    const FrameEntry& entry = index_->frame(number);
    if (entry.identity != kNoTimestamp && identity_of(frame) != entry.identity) return false;
    // A prediction is right only if the decoder keeps the packets' timestamps (it replaces them
    // with decode times when they do not rise in presentation order).
    return index_->learned() || frame.pts() == entry.pts;
}

bool RandomAccess::seek_to(std::int64_t start) {
    const std::vector<PacketInfo>& packets = index_->packets();
    const PacketInfo& key = packets[start];
    position_ = {};
    // The key packet's presentation time lands on it in most demuxers, its decode time in others
    // (MPEG-TS): the other one is tried when the first lands past it, and tried first from then on.
    std::int64_t times[2] = {key.pts, key.dts};
    if (seek_by_decode_time_) std::swap(times[0], times[1]);
    std::optional<PacketInfo> landed;
    try {
        for (int i = 0; i < 2; ++i) {
            if (times[i] == kNoTimestamp || (i == 1 && times[1] == times[0])) continue;
            ++statistics_.seeks;
            landed = decoder().seek(times[i]);
            if (landed && !after(*landed, key)) {
                if (i == 1) seek_by_decode_time_ = !seek_by_decode_time_;
                break;
            }
        }
    } catch (const Error& error) {
        if (error.kind() == ErrorKind::InvalidData) give_up_seeking_after_failures();
        throw;
    }
    // The demuxer must land on a packet of the index at or before the key packet, with the same
    // timestamps as when the index was read: else frames would not be recognised by them.
    std::int64_t landing = -1;
    if (landed && !after(*landed, key))
        for (std::int64_t number = start; number >= 0 && number > start - kLandingSearch; --number)
            if (same_landing(packets[number], *landed)) {
                landing = number;
                break;
            }
    // A key packet of a codec that is not intra-only must give a picture of its own, first, for
    // the decoder to confirm it (see decode_to).
    const bool shown = !key.discard && index_->number_of(key.pts) == index_->first_from(start);
    if (landing < 0 || (!key.discard && !shown && !decoder_->info().intra_only)) {
        give_up_seeking_after_failures();
        return false;
    }
    // The palette in force where decoding resumes, which the demuxer attached further back.
    for (auto palette = palettes_.rbegin(); palette != palettes_.rend(); ++palette)
        if (palette->first <= landing) {
            decoder_->attach_palette(palette->second);
            break;
        }
    position_ = {true, start, index_->first_from(start)};
    return true;
}

void RandomAccess::give_up_seeking_after_failures() {
    if (++failed_seeks_in_a_row_ < kFailedSeeksBeforeGivingUp) return;
    if (seeking_)
        log::message(AV_LOG_WARNING, name() + ": seeking fails in this file; random access decodes from the beginning");
    seeking_ = false;
}

bool RandomAccess::can_decode_forward_to(std::int64_t number) const {
    if (!decoder_ || !position_.valid || number < position_.next) return false;
    if (index_->frame(number).start < position_.from) return false;
    // Decoding on is exact from wherever the decoder started; it saves work unless a key frame
    // nearer the target lies ahead of the packets read so far.
    const std::int64_t start = usable_start(number);
    if (start < 0 || start == position_.from) return true;
    const std::optional<PacketInfo>& position = decoder_->last_fed();
    return position && !after(index_->packets()[start], *position);
}

std::int64_t RandomAccess::usable_start(std::int64_t number) const {
    if (!seeking_) return -1;
    std::int64_t start = index_->frame(number).start;
    while (start >= 0 && bad_starts_.count(start)) start = earlier_key(start);
    return start;
}

std::int64_t RandomAccess::earlier_key(std::int64_t packet) const {
    const std::vector<PacketInfo>& packets = index_->packets();
    while (--packet >= 0)
        if (packets[packet].key && !bad_starts_.count(packet)) return packet;
    return -1;
}

std::unique_ptr<Frame> RandomAccess::from_beginning(std::int64_t number, const std::string& reason) {
    ++statistics_.passes;
    decoder_ = std::make_unique<Decoder>(source_, options_);  // opened afresh: exactly iteration
    interrupted_decoder_ = false;
    position_ = {true, -1, 0};
    std::vector<DecodedFrame> decoded;  // kept to learn the index from, should it disagree
    bool agrees = number >= 0;
    std::unique_ptr<Frame> found;
    std::int64_t disagreement = -1;
    try {
        for (;;) {
            decoder_->check_interrupt();
            std::unique_ptr<Frame> frame = decoder_->next();
            if (!frame) break;
            const std::int64_t count = static_cast<std::int64_t>(decoded.size());
            decoded.push_back({identity_of(*frame), frame->pts(), frame->key_frame()});
            if (agrees && (count >= index_->size() || !as_expected(*frame, count))) {
                agrees = false;
                disagreement = count;
            }
            if (count == number) {
                frame->set_index(number);
                found = std::move(frame);
                if (agrees) {
                    position_.next = count + 1;
                    return found;
                }
            }
        }
    } catch (const Error& error) {
        // Iteration raises here too, after the frames before: those are the stream's frames.
        if (error.kind() != ErrorKind::InvalidData) {
            position_ = {};
            throw;
        }
        if (agrees && static_cast<std::int64_t>(decoded.size()) < index_->size()) {
            agrees = false;
            disagreement = static_cast<std::int64_t>(decoded.size());
        }
    }
    position_ = {};
    if (!reason.empty())
        log::message(AV_LOG_WARNING, name() + ": " + reason +
                                         (disagreement >= 0 ? " (from frame " + std::to_string(disagreement) + " on)" : "") +
                                         "; decoded the whole stream once to number its " +
                                         std::to_string(decoded.size()) + " frames exactly");
    index_ = FrameIndex::learn(index_->packets(), decoded);
    ++index_version_;
    bad_starts_.clear();
    if (number >= 0 && !found) throw no_such_frame(number);
    return found;
}

}  // namespace derenotes
