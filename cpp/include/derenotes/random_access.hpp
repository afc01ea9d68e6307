// Frames by their number in presentation order (the numbers sequential decoding gives them),
// exactly: seek to the key frame the frame index names, decode forward to the frame's timestamp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "derenotes/decoder.hpp"
#include "derenotes/frame_index.hpp"

namespace derenotes {

class RandomAccess {
public:
    // Opens a decoder of its own, or takes `unused`, one opened on the same file with the same
    // options that has not decoded yet: random access never disturbs another decoder's iteration.
    RandomAccess(std::string path, DecoderOptions options, std::unique_ptr<Decoder> unused = nullptr);

    // The frame index, built on first use by reading every packet once (no decoding).
    const FrameIndex& index();
    // How many frames sequential decoding gives.
    std::int64_t size();
    // Frame `number` (0 <= number < size()). Decodes forward from where the decoder is when the
    // frame lies ahead and no key frame would save work, otherwise seeks first.
    std::unique_ptr<Frame> frame(std::int64_t number);
    // How many seeks frame() made so far, how often the first try missed the frame (the index
    // or the demuxer's seek was off), and how often it fell back to counting from the start.
    std::int64_t seeks() const { return seeks_; }
    std::int64_t retries() const { return retries_; }
    std::int64_t sequential_fallbacks() const { return sequential_fallbacks_; }

private:
    // Positions the decoder at or before the start packet numbered `start` (decode order).
    void seek_to(std::int64_t start);
    // Whether decoding on from the decoder's position reaches `number` at no extra cost.
    bool can_decode_forward_to(std::int64_t number) const;
    // Decodes until the frame of timestamp pts: nothing if a frame after it (or the end) comes first.
    std::unique_ptr<Frame> decode_until(std::int64_t pts);
    // Frame `number` by counting from the start: exact whatever the index says.
    std::unique_ptr<Frame> decode_from_start(std::int64_t number);

    std::string path_;
    DecoderOptions options_;
    std::unique_ptr<Decoder> decoder_;
    std::optional<FrameIndex> index_;
    bool positioned_ = false;                      // the decoder decodes on from a valid start
    std::optional<std::int64_t> last_output_pts_;  // since it was positioned
    std::int64_t seeks_ = 0, retries_ = 0, sequential_fallbacks_ = 0;
};

}  // namespace derenotes
