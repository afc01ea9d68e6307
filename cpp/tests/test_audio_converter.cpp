// AudioConverter against libswresample's own one-call conversion of the same samples, and its
// checks of what the caller asks for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "derenotes/audio_converter.hpp"
#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"

namespace derenotes {
namespace {

// A stereo fltp frame of `samples` samples of a sine, at `rate`, starting at sample `first`.
std::unique_ptr<Frame> sine_frame(int samples, int rate, std::int64_t first) {
    FramePtr frame(alloc_frame());
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->nb_samples = samples;
    frame->sample_rate = rate;
    frame->pts = first;
    set_default_channels(frame.get(), 2);
    if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
    for (int channel = 0; channel < 2; ++channel) {
        auto* data = reinterpret_cast<float*>(frame->extended_data[channel]);
        for (int i = 0; i < samples; ++i) data[i] = 0.8f * std::sin(0.01f * (first + i) * (channel + 1));
    }
    return std::make_unique<Frame>(std::move(frame), nullptr, 0, false);
}

TEST(AudioConverter, NamesSampleFormatsAsFFmpegAndNumPyDo) {
    EXPECT_EQ(sample_format_named("s16"), AV_SAMPLE_FMT_S16);
    EXPECT_EQ(sample_format_named("fltp"), AV_SAMPLE_FMT_FLTP);
    EXPECT_EQ(sample_format_named("float64"), AV_SAMPLE_FMT_DBL);
    EXPECT_THROW(sample_format_named("f32"), Error);
}

TEST(AudioConverter, RefusesTargetsItCannotMake) {
    EXPECT_THROW(AudioConverter({AV_SAMPLE_FMT_FLT, 0, 0, "no such layout"}), Error);
    EXPECT_THROW(AudioConverter({AV_SAMPLE_FMT_FLT, 0, 3, "stereo"}), Error);
    EXPECT_THROW(AudioConverter({AV_SAMPLE_FMT_FLT, -1, 0, ""}), Error);
    EXPECT_THROW(AudioConverter({AV_SAMPLE_FMT_FLT, 0, 65, ""}), Error);
    EXPECT_EQ(AudioConverter({AV_SAMPLE_FMT_FLT, 0, 0, "5.1"}).channels(), 6);
}

// Frames converted one after the other, then flushed, give what one swr_convert of all the
// samples and a flush give: the converter loses nothing at frame edges, and its planar output
// is the format asked for.
TEST(AudioConverter, FramesInTurnAreTheStreamConvertedInOneGo) {
    const int rate = 44100, frames = 7, samples = 1024;
    AudioConverter converter({AV_SAMPLE_FMT_S16, 16000, 1, ""});
    std::vector<std::int16_t> ours;
    std::vector<float> left, right;
    std::int64_t next_position = 0;
    for (int i = 0; i <= frames; ++i) {
        if (i < frames) {
            std::unique_ptr<Frame> frame = sine_frame(samples, rate, std::int64_t{i} * samples);
            ASSERT_TRUE(frame);
            const AVFrame* av = frame->av_frame();
            auto* l = reinterpret_cast<const float*>(av->extended_data[0]);
            auto* r = reinterpret_cast<const float*>(av->extended_data[1]);
            left.insert(left.end(), l, l + samples);
            right.insert(right.end(), r, r + samples);
            converter.convert(*frame, AVRational{1, rate});
            // Where the output starts: the frame's time, less what the resampler held back (the
            // input its filter still needs, 17 output samples here; 32 is a generous bound).
            const double time = std::int64_t{i} * samples * 16000.0 / rate;
            EXPECT_LE(converter.position(), std::llround(time));
            EXPECT_GE(converter.position(), std::llround(time) - 32);
            EXPECT_EQ(converter.position() + converter.samples(), next_position + converter.samples())
                << "no gap: the output follows the output before it";
            next_position = converter.position() + converter.samples();
        } else {
            converter.flush();
        }
        auto* out = reinterpret_cast<const std::int16_t*>(converter.plane(0));
        ours.insert(ours.end(), out, out + converter.samples());
        converter.clear_output();
    }
    EXPECT_EQ(converter.channels(), 1);
    EXPECT_EQ(converter.sample_rate(), 16000);
    EXPECT_EQ(converter.sample_format(), AV_SAMPLE_FMT_S16P);

    SwrContext* swr = nullptr;
    ASSERT_GE(alloc_resampler(&swr, ChannelLayout::default_for(1), AV_SAMPLE_FMT_S16P, 16000,
                              ChannelLayout::default_for(2), AV_SAMPLE_FMT_FLTP, rate),
              0);  // swr_alloc_set_opts2, or swr_alloc_set_opts before FFmpeg 5.1
    ASSERT_GE(swr_init(swr), 0);
    std::vector<std::int16_t> expected(left.size());
    const std::uint8_t* input[2] = {reinterpret_cast<const std::uint8_t*>(left.data()),
                                    reinterpret_cast<const std::uint8_t*>(right.data())};
    std::uint8_t* output[1] = {reinterpret_cast<std::uint8_t*>(expected.data())};
    int made = swr_convert(swr, output, static_cast<int>(expected.size()), input, static_cast<int>(left.size()));
    ASSERT_GE(made, 0);
    output[0] = reinterpret_cast<std::uint8_t*>(expected.data() + made);
    int flushed = swr_convert(swr, output, static_cast<int>(expected.size()) - made, nullptr, 0);
    ASSERT_GE(flushed, 0);
    expected.resize(made + flushed);
    swr_free(&swr);
    EXPECT_EQ(ours, expected);
    EXPECT_NEAR(static_cast<double>(ours.size()), frames * samples * 16000.0 / rate, 2);
}

}  // namespace
}  // namespace derenotes
