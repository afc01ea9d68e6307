// Audio conversions with libswresample (see audio_converter.hpp).
#include "derenotes/audio_converter.hpp"

#include <cstring>
#include <optional>
#include <utility>

#include "derenotes/error.hpp"

namespace derenotes {

namespace {

// NumPy's names for the sample formats, besides FFmpeg's own.
const std::pair<const char*, AVSampleFormat> kNumpyNames[] = {
    {"uint8", AV_SAMPLE_FMT_U8},   {"int16", AV_SAMPLE_FMT_S16},   {"int32", AV_SAMPLE_FMT_S32},
    {"int64", AV_SAMPLE_FMT_S64},  {"float32", AV_SAMPLE_FMT_FLT}, {"float64", AV_SAMPLE_FMT_DBL},
};
constexpr int kMaxChannels = 64;          // swresample's own limit (SWR_CH_MAX)
constexpr int kMaxSampleRate = 1 << 22;   // 4 MHz: well past any audio, far from int overflows

Error bad_target(const std::string& what, ErrorKind kind) { return Error(AVERROR(EINVAL), "", what, kind); }

// A frame's layout, or the one the CLI gives a frame whose channel order is unspecified: the
// default for its count.
ChannelLayout input_layout(const AVFrame& frame) {
    ChannelLayout layout = ChannelLayout::of(frame);
    return layout.specified() ? layout : ChannelLayout::default_for(layout.channels());
}

}  // namespace

int sample_format_named(const std::string& name) {
    for (const auto& [numpy_name, format] : kNumpyNames)
        if (name == numpy_name) return format;
    AVSampleFormat format = av_get_sample_fmt(name.c_str());
    if (format == AV_SAMPLE_FMT_NONE)
        throw bad_target("no sample format named '" + name +
                             "' (FFmpeg's: u8, s16, s32, s64, flt, dbl and their planar forms u8p ... dblp; "
                             "or uint8, int16, int32, int64, float32, float64)",
                         ErrorKind::Unsupported);
    return format;
}

AudioConverter::AudioConverter(AudioTarget target) : target_(std::move(target)) {
    if (av_get_bytes_per_sample(static_cast<AVSampleFormat>(target_.sample_format)) <= 0)
        throw bad_target("not a sample format: " + std::to_string(target_.sample_format), ErrorKind::Unsupported);
    out_format_ = av_get_planar_sample_fmt(static_cast<AVSampleFormat>(target_.sample_format));
    if (target_.sample_rate < 0 || target_.sample_rate > kMaxSampleRate)
        throw bad_target("sample_rate must be from 1 to " + std::to_string(kMaxSampleRate) + ", not " +
                             std::to_string(target_.sample_rate),
                         ErrorKind::InvalidData);
    if (target_.channels < 0 || target_.channels > kMaxChannels)
        throw bad_target("channels must be from 1 to " + std::to_string(kMaxChannels) + ", not " +
                             std::to_string(target_.channels),
                         ErrorKind::InvalidData);
    if (!target_.layout.empty()) {
        ChannelLayout layout;
        if (!layout.parse(target_.layout) || layout.channels() < 1 || layout.channels() > kMaxChannels) {
            throw bad_target("no channel layout named '" + target_.layout + "' (FFmpeg's names: mono, stereo, 5.1, ...)",
                             ErrorKind::Unsupported);
        }
        int count = layout.channels();
        if (target_.channels && target_.channels != count)
            throw bad_target("layout '" + target_.layout + "' has " + std::to_string(count) + " channels, not " +
                                 std::to_string(target_.channels),
                             ErrorKind::InvalidData);
        target_.channels = count;
    }
}

int AudioConverter::bytes_per_sample() const {
    return av_get_bytes_per_sample(static_cast<AVSampleFormat>(out_format_));
}

namespace {

// The downmix levels the frame carries, as the CLI passes them to aresample; none before FFmpeg 8.
std::optional<AVDownmixInfo> downmix_info(const AVFrame& frame) {
    if (!kResamplerTakesDownmixInfo) return std::nullopt;
    const AVFrameSideData* side_data = av_frame_get_side_data(&frame, AV_FRAME_DATA_DOWNMIX_INFO);
    if (!side_data || side_data->size < sizeof(AVDownmixInfo)) return std::nullopt;
    AVDownmixInfo info;
    std::memcpy(&info, side_data->data, sizeof(info));
    return info;
}

bool same_levels(const std::optional<AVDownmixInfo>& a, const std::optional<AVDownmixInfo>& b) {
    return a.has_value() == b.has_value() && (!a || std::memcmp(&*a, &*b, sizeof(AVDownmixInfo)) == 0);
}

// The levels set as FFmpeg 8's aresample sets them: Dolby's Lt/Rt or Pro Logic II levels and matrix
// encoding only when the output is stereo.
void set_downmix_levels(SwrContext* context, const AVDownmixInfo& info, bool stereo_output) {
    const bool matrix_encoded = stereo_output && (info.preferred_downmix_type == AV_DOWNMIX_TYPE_LTRT ||
                                                  info.preferred_downmix_type == AV_DOWNMIX_TYPE_DPLII);
    const int encoding = !matrix_encoded ? AV_MATRIX_ENCODING_NONE
                         : info.preferred_downmix_type == AV_DOWNMIX_TYPE_LTRT ? AV_MATRIX_ENCODING_DOLBY
                                                                                : AV_MATRIX_ENCODING_DPLII;
    av_opt_set_double(context, "clev", matrix_encoded ? info.center_mix_level_ltrt : info.center_mix_level, 0);
    av_opt_set_double(context, "slev", matrix_encoded ? info.surround_mix_level_ltrt : info.surround_mix_level, 0);
    av_opt_set_double(context, "lfe_mix_level", info.lfe_mix_level, 0);
    av_opt_set_int(context, "matrix_encoding", encoding, 0);
}

}  // namespace

bool AudioConverter::input_changed(const AVFrame& frame) const {
    return frame.format != in_format_ || frame.sample_rate != in_rate_ || input_layout(frame) != in_layout_ ||
           !same_levels(downmix_info(frame), in_downmix_);
}

void AudioConverter::set_up(const AVFrame& frame) {
    if (frame.sample_rate <= 0 || frame_channels(&frame) <= 0)
        throw Error(AVERROR_INVALIDDATA, "", "an audio frame without a sample rate or channels", ErrorKind::InvalidData);
    in_layout_ = input_layout(frame);
    in_format_ = frame.format;
    in_rate_ = frame.sample_rate;
    if (!swr_) {  // the first frame: the output's layout and rate, for good
        if (!target_.layout.empty())
            out_layout_.parse(target_.layout);  // checked by the constructor
        else if (target_.channels)
            out_layout_ = ChannelLayout::default_for(target_.channels);
        else
            out_layout_ = in_layout_;
        out_rate_ = target_.sample_rate ? target_.sample_rate : in_rate_;
        planes_.resize(out_layout_.channels());
    }
    SwrContext* context = nullptr;
    check(alloc_resampler(&context, out_layout_, static_cast<AVSampleFormat>(out_format_), out_rate_, in_layout_,
                          static_cast<AVSampleFormat>(in_format_), in_rate_),
          "", "cannot set up the resampler");
    swr_.reset(context);
    in_downmix_ = downmix_info(frame);
    if (in_downmix_) set_downmix_levels(context, *in_downmix_, out_layout_ == ChannelLayout::default_for(2));
    int ret = swr_init(context);
    if (ret < 0) throw Error(ret, "", "cannot set up the resampler for this conversion", ErrorKind::Unsupported);
}

void AudioConverter::run(const std::uint8_t* const* input, int samples) {
    int room = swr_get_out_samples(swr_.get(), samples);
    check(room, "", "cannot convert audio");
    std::size_t needed = static_cast<std::size_t>(out_samples_ + room) * bytes_per_sample();
    std::uint8_t* output[kMaxChannels];
    for (std::size_t channel = 0; channel < planes_.size(); ++channel) {
        if (planes_[channel].size() < needed) planes_[channel].resize(needed);
        output[channel] = planes_[channel].data() + static_cast<std::size_t>(out_samples_) * bytes_per_sample();
    }
    int made = swr_convert(swr_.get(), output, room, const_cast<const std::uint8_t**>(input), samples);
    check(made, "", "cannot convert audio");
    out_samples_ += made;
}

bool AudioConverter::passes_through(const AVFrame& frame) const {
    return out_samples_ == 0 && frame.format == out_format_ && frame.sample_rate == out_rate_ &&
           in_layout_ == out_layout_ && swr_get_delay(swr_.get(), 1) == 0;
}

void AudioConverter::keep_passed_through() {
    if (!passed_through_) return;
    const AVFrame* frame = passed_through_;
    passed_through_ = nullptr;
    std::size_t bytes = static_cast<std::size_t>(out_samples_) * bytes_per_sample();
    for (std::size_t channel = 0; channel < planes_.size(); ++channel) {
        if (planes_[channel].size() < bytes) planes_[channel].resize(bytes);
        std::memcpy(planes_[channel].data(), frame->extended_data[channel], bytes);
    }
}

void AudioConverter::convert(const Frame& frame, AVRational time_base) {
    const AVFrame& av = *frame.av_frame();
    keep_passed_through();
    if (!swr_) {
        set_up(av);
    } else if (input_changed(av)) {
        run(nullptr, 0);  // what the old resampler holds comes first
        set_up(av);
    }
    std::int64_t pts = av.pts != AV_NOPTS_VALUE ? av.pts : av.best_effort_timestamp;
    position_ = AV_NOPTS_VALUE;
    if (pts != AV_NOPTS_VALUE && time_base.num > 0 && time_base.den > 0) {
        const AVRational input_samples{1, in_rate_};
        std::int64_t input_time =
            av_rescale_delta(time_base, pts, input_samples, av.nb_samples, &last_input_time_, input_samples);
        // As the CLI's aresample: swr_next_pts in units of 1 / (input rate * output rate).
        std::int64_t next = swr_next_pts(swr_.get(), input_time * out_rate_);
        position_ = (next >= 0 ? next + in_rate_ / 2 : next - in_rate_ / 2) / in_rate_;
    }
    if (passes_through(av)) {  // as swresample would copy it, without the copy
        passed_through_ = &av;
        out_samples_ = av.nb_samples;
        return;
    }
    run(av.extended_data, av.nb_samples);
}

void AudioConverter::flush() {
    keep_passed_through();
    if (swr_) run(nullptr, 0);
}

}  // namespace derenotes
