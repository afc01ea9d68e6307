// The plain audio loop over libavformat + libavcodec + libswresample: the floor for a wrapper
// that decodes a whole audio stream into one float32 array of shape (channels, samples).
// Decodes the file's best audio stream to the end, converts each frame with swr_convert to planar
// float at the stream's own rate and channel layout (those of its first frame), appending into one
// growing buffer per channel, then copies the channels into one (channels, samples) result.
// Prints {"channels": C, "samples": N, "sample_rate": R, "seconds": S, "md5": M,
// "peak_rss_growth_mb": G}: the time from opening the file to the finished result, the MD5 of the
// result's bytes (channel after channel, as a C-contiguous NumPy array's), computed after the
// clock stops, and the peak resident memory over what the process had before opening the file.
//
//   reference_audio CLIP plain|sized [OUT.f32]    (OUT.f32: also write the result's bytes there, untimed)
//
// plain: the buffers grow as std::vector does (doubling, each time copying what they hold);
// sized: each buffer reserves room first for the samples the stream's duration announces, so that
// only the final copy remains.
extern "C" {
#include <libavutil/md5.h>
}

#include "derenotes/ffmpeg.hpp"  // FFmpeg's headers, and ChannelLayout: the layout API changed in 5.1

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

static void check(int ret, const char* what) {
    if (ret < 0) {
        char text[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(ret, text, sizeof text);
        std::fprintf(stderr, "%s: %s\n", what, text);
        std::exit(1);
    }
}

// This process's resident memory (VmRSS) or its peak (VmHWM), in kB, from /proc/self/status.
static long status_kb(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
    return 0;
}

// The output side: planar float at the rate and layout of the first frame, one buffer per channel.
struct Output {
    derenotes::ChannelLayout layout;
    int rate = 0;
    std::size_t reserve = 0;  // samples per channel to reserve in each buffer before the first
    std::vector<std::vector<float>> channels;
    std::size_t filled = 0;
    SwrContext* resampler = nullptr;
    derenotes::ChannelLayout in_layout;
    int in_rate = 0, in_format = -1;

    // Converts `count` samples of `input` (nullptr: flush the resampler) onto the buffers' ends.
    void convert(const std::uint8_t* const* input, int count) {
        const int room = swr_get_out_samples(resampler, count);
        check(room, "swr_get_out_samples");
        std::vector<std::uint8_t*> ends(channels.size());
        for (std::size_t c = 0; c < channels.size(); ++c) {
            channels[c].resize(filled + room);
            ends[c] = reinterpret_cast<std::uint8_t*>(channels[c].data() + filled);
        }
        const int got = swr_convert(resampler, ends.data(), room, const_cast<const std::uint8_t**>(input), count);
        check(got, "swr_convert");
        filled += got;
    }

    void add(const AVFrame* frame) {
        const derenotes::ChannelLayout frame_layout = derenotes::ChannelLayout::of(*frame);
        if (!resampler) {
            layout = frame_layout;
            rate = frame->sample_rate;
            channels.resize(layout.channels());
            for (auto& channel : channels) channel.reserve(reserve);
        }
        if (!resampler || frame->sample_rate != in_rate || frame->format != in_format ||
            frame_layout != in_layout) {
            if (resampler) convert(nullptr, 0);  // what the old one holds, before the new one
            swr_free(&resampler);
            in_layout = frame_layout;
            in_rate = frame->sample_rate;
            in_format = frame->format;
            check(alloc_resampler(&resampler, layout, AV_SAMPLE_FMT_FLTP, rate, in_layout,
                                  static_cast<AVSampleFormat>(in_format), in_rate),
                  "alloc_resampler");
            check(swr_init(resampler), "swr_init");
        }
        convert(frame->extended_data, frame->nb_samples);
    }
};

int main(int argc, char** argv) {
    const bool sized = argc >= 3 && std::strcmp(argv[2], "sized") == 0;
    if ((argc != 3 && argc != 4) || (!sized && std::strcmp(argv[2], "plain") != 0)) {
        std::fprintf(stderr, "usage: %s CLIP plain|sized [OUT.f32]\n", argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    const long rss_before_kb = status_kb("VmRSS:");
    const auto start = std::chrono::steady_clock::now();

    AVFormatContext* format = nullptr;
    check(avformat_open_input(&format, argv[1], nullptr, nullptr), "open");
    check(avformat_find_stream_info(format, nullptr), "find_stream_info");
    // The decoder found apart: av_find_best_stream gives it as const only from FFmpeg 5.0.
    const int stream = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    check(stream, "find_best_stream");
    const AVCodec* codec = avcodec_find_decoder(format->streams[stream]->codecpar->codec_id);
    if (!codec) check(AVERROR_DECODER_NOT_FOUND, "find_decoder");
    for (unsigned i = 0; i < format->nb_streams; ++i)
        if (int(i) != stream) format->streams[i]->discard = AVDISCARD_ALL;
    AVCodecContext* decoder = avcodec_alloc_context3(codec);
    check(avcodec_parameters_to_context(decoder, format->streams[stream]->codecpar), "parameters");
    check(avcodec_open2(decoder, codec, nullptr), "open decoder");
    std::size_t announced = 0;  // samples per channel, from the stream's duration (the file's if it has none)
    const AVStream* audio = format->streams[stream];
    if (audio->duration > 0)
        announced = av_rescale_q(audio->duration, audio->time_base, AVRational{1, decoder->sample_rate});
    else if (format->duration > 0)
        announced = av_rescale(format->duration, decoder->sample_rate, AV_TIME_BASE);

    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    Output output;
    output.reserve = sized ? announced + 8192 : 0;  // room for the encoder's last frame too
    bool flushed = false;
    for (;;) {
        const int ret = avcodec_receive_frame(decoder, frame);
        if (ret == 0) {
            output.add(frame);
            av_frame_unref(frame);
            continue;
        }
        if (ret == AVERROR_EOF) break;
        if (ret != AVERROR(EAGAIN)) continue;  // a damaged frame: go on, as the wrappers do
        if (flushed) break;
        for (;;) {  // send the next packet of our stream, or the flush signal
            if (av_read_frame(format, packet) < 0) {
                avcodec_send_packet(decoder, nullptr);
                flushed = true;
                break;
            }
            const bool ours = packet->stream_index == stream;
            if (ours) avcodec_send_packet(decoder, packet);
            av_packet_unref(packet);
            if (ours) break;
        }
    }
    if (output.resampler) output.convert(nullptr, 0);  // what the resampler still holds
    // The result: one (channels, samples) array, allocated without being filled with zeros first.
    const std::size_t channels = output.channels.size(), samples = output.filled;
    std::unique_ptr<float[]> result(new float[channels * samples]);
    for (std::size_t c = 0; c < channels; ++c) {
        std::memcpy(result.get() + c * samples, output.channels[c].data(), samples * sizeof(float));
        std::vector<float>().swap(output.channels[c]);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long peak_kb = status_kb("VmHWM:");

    const std::size_t bytes = channels * samples * sizeof(float);
    std::uint8_t digest[16];
    av_md5_sum(digest, reinterpret_cast<const std::uint8_t*>(result.get()), bytes);
    char md5[33];
    for (int i = 0; i < 16; ++i) std::snprintf(md5 + 2 * i, 3, "%02x", digest[i]);
    if (argc == 4) {
        std::FILE* out = std::fopen(argv[3], "wb");
        if (!out || std::fwrite(result.get(), 1, bytes, out) != bytes || std::fclose(out) != 0) {
            std::fprintf(stderr, "cannot write %s\n", argv[3]);
            return 1;
        }
    }
    std::printf("{\"channels\": %zu, \"samples\": %zu, \"sample_rate\": %d, \"seconds\": %.6f, \"md5\": \"%s\", "
                "\"peak_rss_growth_mb\": %.2f}\n",
                channels, samples, output.rate, seconds, md5, (peak_kb - rss_before_kb) / 1024.0);

    swr_free(&output.resampler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    avformat_close_input(&format);
    return 0;
}
