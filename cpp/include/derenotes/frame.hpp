// One decoded frame: owns its own reference to an AVFrame, so its memory stays valid however
// far the decoder moves on, and is recycled by FFmpeg's buffer pool only when this goes away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/plane_layout.hpp"

namespace derenotes {

// Where one plane's bytes are, for exporting it without a copy.
struct PlaneSpan {
    std::uint8_t* first_row = nullptr;  // start of row 0 (the top row, also when bottom-up)
    std::int64_t row_stride = 0;        // bytes from one row to the next; negative when bottom-up
    std::uint8_t* lowest = nullptr;     // lowest address of the plane's rows
    std::size_t raw_bytes = 0;          // bytes from `lowest`: |linesize| * height, padding included
};

class Frame {
public:
    Frame(FramePtr frame, std::shared_ptr<const std::vector<PlaneLayout>> layout, std::int64_t index,
          bool damaged_input);

    int width() const { return frame_->width; }
    int height() const { return frame_->height; }
    int pixel_format() const { return frame_->format; }
    std::string pixel_format_name() const;
    // Audio frames: samples per channel, sample rate, channels, the channel layout's and the
    // sample format's names (FFmpeg's: "stereo", "5.1", "fltp", "s16").
    int samples() const { return frame_->nb_samples; }
    int sample_rate() const { return frame_->sample_rate; }
    int channels() const { return frame_channels(frame_.get()); }
    std::string channel_layout_name() const;
    std::string sample_format_name() const;
    bool has_pts() const { return frame_->best_effort_timestamp != AV_NOPTS_VALUE; }
    std::int64_t pts() const { return frame_->best_effort_timestamp; }
    // The pts the frame's packet had, carried through the decoder (pts() is FFmpeg's best effort,
    // which may be a packet's dts instead): what tells frames apart after a seek.
    std::int64_t packet_pts() const { return frame_->pts; }
    std::int64_t index() const { return index_; }
    // Random access knows better than a count, and than the timestamp a decoder that has just
    // seeked guesses (it starts its guessing afresh): it gives the frame what iteration gives it.
    void set_index(std::int64_t index) { index_ = index; }
    void set_pts(std::int64_t pts) { frame_->best_effort_timestamp = pts; }
    bool key_frame() const { return frame_is_key(frame_.get()); }
    const AVFrame* av_frame() const { return frame_.get(); }  // for conversions (converter.hpp)
    char picture_type() const;
    // FFmpeg flagged the frame as corrupt, or the decoder rejected input since the previous frame.
    bool corrupt() const;

    const std::vector<PlaneLayout>& planes() const { return *layout_; }
    int linesize(int plane) const;
    PlaneSpan span(int plane) const;

    // Writable means nobody else (the decoder, for reference frames) holds the frame's buffers.
    bool is_writable() const;
    // Gives the frame private buffers, copying only when they are shared. The shared buffers
    // stay referenced until the frame goes away: views made before the copy stay valid.
    void make_writable();

private:
    FramePtr frame_;
    std::vector<FramePtr> retired_;  // buffers given up by make_writable()
    std::shared_ptr<const std::vector<PlaneLayout>> layout_;
    std::int64_t index_;
    bool damaged_input_;
};

}  // namespace derenotes
