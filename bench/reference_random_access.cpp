// Exact random access with the least work a hand-written program over the FFmpeg API would do:
// what derenotes' reader.get_frames is measured against (bench/bench.py).
//
//   reference_random_access CLIP FRAME...   frames by number in presentation order (the numbers
//                                           sequential decoding gives), in the order asked
//   reference_random_access CLIP middle     the middle frame (frame count / 2)
//
// How:
// - One demux-only pass reads every packet's pts and key flag: FFmpeg's public API gives no
//   presentation times without reading the packets (an MP4's index entries hold decode times).
//   derenotes reads an MP4's composition offsets from the file's ctts box instead, without the
//   media data: on MP4 this pass costs more than derenotes' index, so its time is printed apart.
// - Frame n is the packet with the n-th smallest pts, and it decodes from the last key frame at
//   or before it: closed GOPs, every packet one shown frame (x264's defaults, the clips here).
// - For the targets in increasing order: seek to that key frame (av_seek_frame by its pts,
//   AVSEEK_FLAG_BACKWARD) and flush the decoder, unless decoding on from where the decoder is
//   reaches the target without passing a key frame not fed yet; then decode until the frame with
//   the target's pts, and keep it (as derenotes returns it).
// - Threads as derenotes' default: FFmpeg's automatic count, frame and slice threading.
//
// Prints {"frames": N, "seconds": S, "index_seconds": I, "frame_count": C, "decoded": D,
// "seeks": K, "y_md5": [...]}: S from opening the file to the last frame, I the demux pass alone,
// D the frames the decoder put out, y_md5 the MD5 of each returned frame's Y plane (width bytes of
// each row) in the order asked, computed after the clock stopped, to check the pixels against
// derenotes'.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/md5.h>
}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
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

[[noreturn]] static void fail(const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::exit(1);
}

static std::string y_md5(const AVFrame* frame) {
    AVMD5* md5 = av_md5_alloc();
    av_md5_init(md5);
    for (int row = 0; row < frame->height; ++row)
        av_md5_update(md5, frame->data[0] + static_cast<std::ptrdiff_t>(row) * frame->linesize[0], frame->width);
    uint8_t digest[16];
    av_md5_final(md5, digest);
    av_free(md5);
    char hex[33];
    for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return hex;
}

struct Reader {
    AVFormatContext* format = nullptr;
    AVCodecContext* decoder = nullptr;
    AVPacket* packet = av_packet_alloc();
    int stream = -1;
    bool flushed = false;                      // the decoder was sent the end of input
    int64_t last_fed_key_pts = AV_NOPTS_VALUE;  // since the last seek
    int64_t last_out_pts = AV_NOPTS_VALUE;      // since the last seek
    long decoded = 0, seeks = 0;

    explicit Reader(const char* path) {
        check(avformat_open_input(&format, path, nullptr, nullptr), "open");
        check(avformat_find_stream_info(format, nullptr), "find_stream_info");
        // The decoder found apart: av_find_best_stream gives it as const only from FFmpeg 5.0.
        stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        check(stream, "find_best_stream");
        const AVCodec* codec = avcodec_find_decoder(format->streams[stream]->codecpar->codec_id);
        if (!codec) check(AVERROR_DECODER_NOT_FOUND, "find_decoder");
        for (unsigned i = 0; i < format->nb_streams; ++i)
            if (int(i) != stream) format->streams[i]->discard = AVDISCARD_ALL;
        decoder = avcodec_alloc_context3(codec);
        check(avcodec_parameters_to_context(decoder, format->streams[stream]->codecpar), "parameters");
        decoder->thread_count = 0;
        decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        check(avcodec_open2(decoder, codec, nullptr), "open decoder");
    }

    ~Reader() {
        av_packet_free(&packet);
        avcodec_free_context(&decoder);
        avformat_close_input(&format);
    }

    // Every frame's pts in presentation order, and the key frames' pts in increasing order.
    void scan(std::vector<int64_t>& frame_pts, std::vector<int64_t>& key_pts) {
        while (av_read_frame(format, packet) >= 0) {
            if (packet->stream_index == stream) {
                if (packet->pts == AV_NOPTS_VALUE) fail("a packet without pts: not a file for this program");
                frame_pts.push_back(packet->pts);
                if (packet->flags & AV_PKT_FLAG_KEY) key_pts.push_back(packet->pts);
            }
            av_packet_unref(packet);
        }
        std::sort(frame_pts.begin(), frame_pts.end());
        std::sort(key_pts.begin(), key_pts.end());
        flushed = true;  // at the end of the file: the first target seeks
    }

    bool reaches_without_seeking(int64_t pts, int64_t key) const {
        return !flushed && last_out_pts != AV_NOPTS_VALUE && last_out_pts < pts && last_fed_key_pts != AV_NOPTS_VALUE &&
               key <= last_fed_key_pts;
    }

    void seek(int64_t key) {
        ++seeks;
        check(av_seek_frame(format, stream, key, AVSEEK_FLAG_BACKWARD), "seek");
        avcodec_flush_buffers(decoder);
        flushed = false;
        last_fed_key_pts = last_out_pts = AV_NOPTS_VALUE;
    }

    // Decodes until the frame of this pts, into `out`.
    void decode_until(int64_t pts, AVFrame* out) {
        for (;;) {
            const int ret = avcodec_receive_frame(decoder, out);
            if (ret == 0) {
                ++decoded;
                last_out_pts = out->pts;
                if (out->pts == pts) return;
                av_frame_unref(out);
                if (last_out_pts > pts) fail("decoding went past pts " + std::to_string(pts));
                continue;
            }
            if (ret != AVERROR(EAGAIN)) fail("no frame at pts " + std::to_string(pts));
            feed();
        }
    }

    // Sends the next packet of the stream, or the end of input.
    void feed() {
        for (;;) {
            if (av_read_frame(format, packet) < 0) {
                avcodec_send_packet(decoder, nullptr);
                flushed = true;
                return;
            }
            const bool ours = packet->stream_index == stream;
            if (ours) {
                if (packet->flags & AV_PKT_FLAG_KEY) last_fed_key_pts = packet->pts;
                check(avcodec_send_packet(decoder, packet), "decode");
            }
            av_packet_unref(packet);
            if (ours) return;
        }
    }
};

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s CLIP FRAME... | %s CLIP middle\n", argv[0], argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    const auto start = std::chrono::steady_clock::now();
    const auto since_start = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };

    Reader reader(argv[1]);
    std::vector<int64_t> frame_pts, key_pts;
    const double scan_start = since_start();
    reader.scan(frame_pts, key_pts);
    const double index_seconds = since_start() - scan_start;
    const long frame_count = static_cast<long>(frame_pts.size());

    std::vector<long> asked;
    if (argc == 3 && std::strcmp(argv[2], "middle") == 0)
        asked.push_back(frame_count / 2);
    else
        for (int i = 2; i < argc; ++i) asked.push_back(std::atol(argv[i]));
    std::map<long, AVFrame*> frames;  // by frame number: the targets in increasing order
    for (long number : asked) {
        if (number < 0 || number >= frame_count) fail("frame " + std::to_string(number) + " out of range");
        frames[number] = nullptr;
    }
    for (auto& [number, frame] : frames) {
        const int64_t pts = frame_pts[number];
        const auto after_key = std::upper_bound(key_pts.begin(), key_pts.end(), pts);
        if (after_key == key_pts.begin()) fail("frame " + std::to_string(number) + " has no key frame before it");
        const int64_t key = *(after_key - 1);
        if (!reader.reaches_without_seeking(pts, key)) reader.seek(key);
        frame = av_frame_alloc();
        reader.decode_until(pts, frame);
    }
    const double seconds = since_start();

    std::string checksums;
    for (long number : asked) checksums += (checksums.empty() ? "\"" : ", \"") + y_md5(frames[number]) + "\"";
    std::printf("{\"frames\": %zu, \"seconds\": %.6f, \"index_seconds\": %.6f, \"frame_count\": %ld, "
                "\"decoded\": %ld, \"seeks\": %ld, \"y_md5\": [%s]}\n",
                asked.size(), seconds, index_seconds, frame_count, reader.decoded, reader.seeks, checksums.c_str());
    for (auto& [number, frame] : frames) av_frame_free(&frame);
    return 0;
}
