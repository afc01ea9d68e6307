// Audio converted with libswresample, sample for sample as the ffmpeg CLI converts it
// (`ffmpeg -i CLIP -sample_fmt F -ar R -ac N|-ch_layout L`: the resampler its filter graph inserts,
// with swresample's defaults), into planar buffers of its own that the caller copies from.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame.hpp"

namespace derenotes {

// FFmpeg's sample format of this name ("s16", "fltp", ...; also NumPy's "int16", "float32" ...),
// or throws Error (Unsupported) naming the formats there are.
int sample_format_named(const std::string& name);

struct AudioTarget {
    int sample_format = AV_SAMPLE_FMT_FLT;  // any; the output is its planar form, one buffer per channel
    int sample_rate = 0;                    // 0: the first frame's
    int channels = 0;                       // 0: the first frame's (unless `layout` says)
    std::string layout;                     // FFmpeg's name ("mono", "5.1(side)"); "" : the default
                                            // layout of `channels`, or the first frame's
};

class AudioConverter {
public:
    // Throws Error (Unsupported) for a layout FFmpeg does not know, InvalidData for a rate or a
    // channel count out of range, or a layout whose channels disagree with `channels`.
    explicit AudioConverter(AudioTarget target);
    AudioConverter(const AudioConverter&) = delete;
    AudioConverter& operator=(const AudioConverter&) = delete;

    // Converts the next frame of a stream. What comes out (the resampler may hold some samples
    // back, and gives them with the next frames or flush()) is appended to the output: plane()
    // for samples(), until clear_output().
    // The output's layout and rate are fixed by the first frame; a later frame of another rate,
    // layout or format is converted to them (the resampler flushed and set up again, as the CLI
    // sets up its filter graph again).
    // time_base: the frame's; with it the converter reckons where the output starts (position()).
    void convert(const Frame& frame, AVRational time_base = {0, 1});
    // The samples the resampler still holds: call at the end of the stream.
    void flush();

    bool started() const { return swr_ != nullptr; }  // convert() was called
    // The output's channels: the target's until the first frame, which may decide them (0 then).
    int channels() const { return swr_ ? out_layout_.channels() : target_.channels; }
    int sample_rate() const { return out_rate_; }
    int sample_format() const { return out_format_; }  // planar
    int bytes_per_sample() const;
    int samples() const { return out_samples_; }
    // The time of the first sample the last convert() made, in output samples, as the CLI
    // reckons it: the frame's time to its decoder's samples through av_rescale_delta (which
    // keeps frames back to back unless their timestamps say otherwise by more than their
    // precision), then through the resampler (swr_next_pts); AV_NOPTS_VALUE for a frame
    // without a time, or without a time base given.
    std::int64_t position() const { return position_; }
    // Copies the output into the converter's own buffers, if it is still the frame's planes: for
    // a caller that keeps output past the frame's life.
    void keep_passed_through();
    void clear_output() {
        out_samples_ = 0;
        passed_through_ = nullptr;
    }
    // The output's samples of a channel: valid until the next call, and while the frame last
    // converted lives (a frame already in the output's format is not copied: this is its plane).
    const std::uint8_t* plane(int channel) const {
        return passed_through_ ? passed_through_->extended_data[channel] : planes_[channel].data();
    }

private:
    struct SwrDeleter {
        void operator()(SwrContext* context) const { swr_free(&context); }
    };
    void set_up(const AVFrame& frame);
    bool input_changed(const AVFrame& frame) const;
    // Runs the resampler on `samples` input samples (none: flushes), appending to the output.
    void run(const std::uint8_t* const* input, int samples);
    // The frame is the output as it is: the output's format, rate and layout, nothing held back.
    bool passes_through(const AVFrame& frame) const;


    AudioTarget target_;
    std::unique_ptr<SwrContext, SwrDeleter> swr_;
    ChannelLayout in_layout_, out_layout_;
    int in_format_ = -1, in_rate_ = 0;
    std::optional<AVDownmixInfo> in_downmix_;  // the levels the input's frames carry, if any
    int out_format_ = -1, out_rate_ = 0;
    std::vector<std::vector<std::uint8_t>> planes_;
    int out_samples_ = 0;
    const AVFrame* passed_through_ = nullptr;  // the output, when the last frame needed no conversion
    std::int64_t position_ = AV_NOPTS_VALUE;
    std::int64_t last_input_time_ = AV_NOPTS_VALUE;  // av_rescale_delta's memory
};

}  // namespace derenotes
