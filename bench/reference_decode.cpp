// The minimal libavcodec decode loop: the physical limit for any wrapper of the same FFmpeg.
// Opens a file, decodes its best video stream to the end, and prints
// {"frames": N, "seconds": S, "first_frame_seconds": F}: the time from opening the file to the
// last frame and to the first one, as the Python methods' (bench/run_method.py).
//
//   reference_decode CLIP THREADS [rgb24]    (THREADS 0: FFmpeg's automatic count, frame+slice threads)
//
// rgb24: also convert each frame to rgb24 at its size with libswscale (bicubic, its default
// colour details), into one buffer allocated once: the floor for a wrapper's to_ndarray("rgb24").
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static void check(int ret, const char* what) {
    if (ret < 0) {
        char text[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(ret, text, sizeof text);
        std::fprintf(stderr, "%s: %s\n", what, text);
        std::exit(1);
    }
}

// Converts `frame` into `rgb`, which is sized on the first frame and reused after it.
static void convert_rgb24(const AVFrame* frame, SwsContext*& scaler, std::vector<std::uint8_t>& rgb) {
    scaler = sws_getCachedContext(scaler, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                                  frame->width, frame->height, AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr, nullptr,
                                  nullptr);
    if (!scaler) {
        std::fprintf(stderr, "swscale cannot convert the frames to rgb24\n");
        std::exit(1);
    }
    // Padded: swscale's SIMD converters write whole blocks of pixels, past the end of the last row
    // when the width is not a multiple of theirs (18 bytes at 426 pixels); FFmpeg's frames have this room.
    rgb.resize(std::size_t(frame->width) * frame->height * 3 + 64);
    std::uint8_t* const data[4] = {rgb.data(), nullptr, nullptr, nullptr};
    const int linesize[4] = {frame->width * 3, 0, 0, 0};
    check(sws_scale(scaler, frame->data, frame->linesize, 0, frame->height, data, linesize), "sws_scale");
}

int main(int argc, char** argv) {
    const bool rgb24 = argc == 4 && std::strcmp(argv[3], "rgb24") == 0;
    if (argc != 3 && !rgb24) {
        std::fprintf(stderr, "usage: %s CLIP THREADS [rgb24]\n", argv[0]);
        return 2;
    }
    const int threads = std::atoi(argv[2]);
    av_log_set_level(AV_LOG_ERROR);
    const auto start = std::chrono::steady_clock::now();

    AVFormatContext* format = nullptr;
    check(avformat_open_input(&format, argv[1], nullptr, nullptr), "open");
    check(avformat_find_stream_info(format, nullptr), "find_stream_info");
    // The decoder found apart: av_find_best_stream gives it as const only from FFmpeg 5.0.
    const int stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    check(stream, "find_best_stream");
    const AVCodec* codec = avcodec_find_decoder(format->streams[stream]->codecpar->codec_id);
    if (!codec) check(AVERROR_DECODER_NOT_FOUND, "find_decoder");
    for (unsigned i = 0; i < format->nb_streams; ++i)
        if (int(i) != stream) format->streams[i]->discard = AVDISCARD_ALL;
    AVCodecContext* decoder = avcodec_alloc_context3(codec);
    check(avcodec_parameters_to_context(decoder, format->streams[stream]->codecpar), "parameters");
    decoder->thread_count = threads;
    if (threads == 0) decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    check(avcodec_open2(decoder, codec, nullptr), "open decoder");

    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    SwsContext* scaler = nullptr;
    std::vector<std::uint8_t> rgb;
    long frames = 0;
    double first_frame_seconds = 0;
    bool flushed = false;
    for (;;) {
        const int ret = avcodec_receive_frame(decoder, frame);
        if (ret == 0) {
            if (++frames == 1)
                first_frame_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (rgb24) convert_rgb24(frame, scaler, rgb);
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
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"frames\": %ld, \"seconds\": %.6f, \"first_frame_seconds\": %.6f}\n", frames, seconds,
                first_frame_seconds);

    sws_freeContext(scaler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    avformat_close_input(&format);
    return 0;
}
