#include "derenotes/decoder.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>

#include "derenotes/log.hpp"

namespace derenotes {
namespace {

// A URL ("http://...", "file://..."): handed to FFmpeg as it is. Anything else is a local path.
bool is_url(const std::string& path) {
    const std::size_t colon = path.find("://");
    if (colon == std::string::npos || colon == 0) return false;
    for (std::size_t i = 0; i < colon; ++i)
        if (!std::isalnum(static_cast<unsigned char>(path[i])) && path[i] != '+' && path[i] != '-' && path[i] != '.')
            return false;
    return true;
}

// What FFmpeg should open. A local path is checked with stat() first, so that a missing file or a
// directory gets the operating system's own error, and gets FFmpeg's "file:" prefix, so that a
// name with a colon ("12:30.mp4") is not taken for a protocol.
std::string ffmpeg_url(const std::string& path) {
    if (is_url(path)) return path;
    struct stat status;
    if (stat(path.c_str(), &status) != 0) throw Error(AVERROR(errno), path, "cannot open file");
    if (S_ISDIR(status.st_mode)) throw Error(AVERROR(EISDIR), path, "cannot open file");
    return "file:" + path;
}

}  // namespace

Decoder::Decoder(std::string path, int video_stream, int threads)
    : path_(std::move(path)), packet_(av_packet_alloc()), received_(alloc_frame()) {
    if (!packet_ || !received_) throw std::bad_alloc();
    if (video_stream < 0) throw Error(AVERROR_STREAM_NOT_FOUND, path_, "stream must be >= 0");
    if (threads < 0) throw Error(AVERROR(EINVAL), path_, "threads must be >= 0");
    open(video_stream, threads);
}

void Decoder::open(int video_stream, int threads) {
    log::clear_last_line();
    const std::string url = ffmpeg_url(path_);

    AVFormatContext* raw_format = nullptr;
    check(avformat_open_input(&raw_format, url.c_str(), nullptr, nullptr), path_, "cannot open file");
    format_.reset(raw_format);
    check(avformat_find_stream_info(format_.get(), nullptr), path_, "cannot read stream information");

    AVStream* stream = nullptr;
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
        AVStream* candidate = format_->streams[i];
        if (candidate->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
        if (info_.video_stream_count++ == video_stream) stream = candidate;
    }
    if (!stream) {
        const std::string count = std::to_string(info_.video_stream_count);
        throw Error(AVERROR_STREAM_NOT_FOUND, path_,
                    info_.video_stream_count == 0
                        ? std::string("the file has no video stream")
                        : "no video stream " + std::to_string(video_stream) + ": the file has " + count +
                              " video stream" + (info_.video_stream_count == 1 ? "" : "s") + " (0 to " +
                              std::to_string(info_.video_stream_count - 1) + ")");
    }
    // The demuxer skips packets of every other stream.
    for (unsigned i = 0; i < format_->nb_streams; ++i)
        if (format_->streams[i] != stream) format_->streams[i]->discard = AVDISCARD_ALL;

    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec)
        throw Error(AVERROR_DECODER_NOT_FOUND, path_,
                    std::string("no decoder for codec ") + avcodec_get_name(stream->codecpar->codec_id));
    codec_.reset(avcodec_alloc_context3(codec));
    if (!codec_) throw std::bad_alloc();
    check(avcodec_parameters_to_context(codec_.get(), stream->codecpar), path_, "cannot set up the decoder");
    codec_->pkt_timebase = stream->time_base;
    codec_->thread_count = threads;
    if (threads == 0) codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    check(avcodec_open2(codec_.get(), codec, nullptr), path_, "cannot open the decoder");

    info_.stream_index = stream->index;
    info_.width = stream->codecpar->width;
    info_.height = stream->codecpar->height;
    const char* pixel_format = av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream->codecpar->format));
    info_.pixel_format = pixel_format ? pixel_format : "";
    info_.codec = codec->name;
    if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0) {
        info_.fps_num = stream->avg_frame_rate.num;
        info_.fps_den = stream->avg_frame_rate.den;
    }
    info_.time_base_num = stream->time_base.num;
    info_.time_base_den = stream->time_base.den;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0)
        info_.duration = stream->duration * av_q2d(stream->time_base);
    else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0)
        info_.duration = format_->duration / static_cast<double>(AV_TIME_BASE);
    if (stream->nb_frames > 0) info_.frame_count = stream->nb_frames;
}

std::unique_ptr<Frame> Decoder::next() {
    log::clear_last_line();
    for (;;) {
        const int ret = avcodec_receive_frame(codec_.get(), received_.get());
        if (ret >= 0) {
            FramePtr frame(alloc_frame());
            if (!frame) throw std::bad_alloc();
            frame.swap(received_);  // the user's frame takes the decoder's reference
            auto layout = layout_for(frame.get());
            auto out = std::make_unique<Frame>(std::move(frame), std::move(layout), frames_out_++,
                                               damaged_since_last_frame_);
            damaged_since_last_frame_ = false;
            return out;
        }
        if (ret == AVERROR_EOF) {
            if (demux_error_) {
                Error error = std::move(*demux_error_);
                demux_error_.reset();
                throw error;
            }
            if (frames_out_ == 0 && decode_errors_ > 0)
                throw Error(AVERROR_INVALIDDATA, path_, "no frame could be decoded");
            return nullptr;
        }
        if (ret != AVERROR(EAGAIN)) {
            // A frame the decoder gave up on (frame threads report errors here): go on.
            if (ret == AVERROR(ENOMEM)) throw Error(ret, path_, "cannot decode");
            ++decode_errors_;
            damaged_since_last_frame_ = true;
            continue;
        }
        feed();
    }
}

void Decoder::feed() {
    if (flushing_) throw Error(AVERROR_BUG, path_, "the decoder asked for input after the flush");
    for (;;) {
        const int read = av_read_frame(format_.get(), packet_.get());
        if (read < 0) {
            // End of input, or a read error: flush what the decoder holds, report the error after.
            if (read != AVERROR_EOF) demux_error_.emplace(read, path_, "cannot read the file");
            check(avcodec_send_packet(codec_.get(), nullptr), path_, "cannot flush the decoder");
            flushing_ = true;
            return;
        }
        if (packet_->stream_index != info_.stream_index) {
            av_packet_unref(packet_.get());
            continue;
        }
        const int sent = avcodec_send_packet(codec_.get(), packet_.get());
        av_packet_unref(packet_.get());
        if (sent >= 0) return;
        // We only feed after the decoder asked for input, so EAGAIN cannot happen; anything else
        // is a damaged packet. Like the ffmpeg CLI, count it and go on with the next one.
        if (sent == AVERROR(ENOMEM)) throw Error(sent, path_, "cannot decode");
        ++decode_errors_;
        damaged_since_last_frame_ = true;
    }
}

std::shared_ptr<const std::vector<PlaneLayout>> Decoder::layout_for(const AVFrame* frame) {
    if (!layout_ || frame->format != layout_format_ || frame->width != layout_width_ ||
        frame->height != layout_height_) {
        layout_ = std::make_shared<const std::vector<PlaneLayout>>(
            describe_planes(static_cast<AVPixelFormat>(frame->format), frame->width, frame->height));
        layout_format_ = frame->format;
        layout_width_ = frame->width;
        layout_height_ = frame->height;
    }
    return layout_;
}

}  // namespace derenotes
