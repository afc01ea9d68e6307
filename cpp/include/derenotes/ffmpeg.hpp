// The one header that includes FFmpeg: RAII aliases for every FFmpeg object the core owns, and
// the few version differences between the FFmpeg releases we build against.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>

namespace derenotes {

// Closes a context avio_open2() opened. A context made with avio_alloc_context() (custom read and
// seek callbacks) is freed differently: its maker gives the deleter a `close` of its own.
inline void close_opened_io(AVIOContext* io) { avio_closep(&io); }
struct IoContextDeleter {
    void (*close)(AVIOContext*) = &close_opened_io;
    void operator()(AVIOContext* io) const { close(io); }
};
struct FormatContextDeleter {
    void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
// AVFrame structs are recycled: every decoded picture is handed out in an AVFrame of its own,
// and a malloc and free of one per frame is a measurable share of decoding a small frame.
// alloc_frame() takes a spare struct of this thread's (or allocates one); FrameDeleter drops the
// frame's references and keeps the struct as a spare, up to a few per thread.
AVFrame* alloc_frame();
struct FrameDeleter {
    void operator()(AVFrame* frame) const noexcept;
};
struct ScaleContextDeleter {
    void operator()(SwsContext* context) const { sws_freeContext(context); }
};
struct PacketDeleter {
    void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using ScaleContextPtr = std::unique_ptr<SwsContext, ScaleContextDeleter>;

// The channels of an audio frame (FFmpeg 5.1 moved them into ch_layout).
inline int frame_channels(const AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 24, 100)
    return frame->ch_layout.nb_channels;
#else
    return frame->channels;
#endif
}

// Whether FFmpeg flagged the frame as a key frame (FFmpeg 6.1 moved this into frame->flags).
inline bool frame_is_key(const AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 29, 100)
    return frame->flags & AV_FRAME_FLAG_KEY;
#else
    return frame->key_frame != 0;
#endif
}

}  // namespace derenotes
