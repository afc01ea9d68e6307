// Video decoding from the demuxing and decoding stages (see decoder.hpp).
#include "derenotes/decoder.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <utility>

#include "derenotes/log.hpp"

namespace derenotes {
namespace {

const std::string& name_of(const std::shared_ptr<const Source>& source) {
    static const std::string kNone;
    return source ? source->name() : kNone;
}

// What the container and the codec say of the stream.
StreamInfo describe_stream(const AVFormatContext* format, const AVStream& stream, const AVCodec& codec) {
    StreamInfo info;
    info.stream_index = stream.index;
    info.width = stream.codecpar->width;
    info.height = stream.codecpar->height;
    if (stream.codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        const char* pixel_format = av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream.codecpar->format));
        info.pixel_format = pixel_format ? pixel_format : "";
    }
    info.codec = codec.name;
    if (stream.avg_frame_rate.num > 0 && stream.avg_frame_rate.den > 0) {
        info.fps_num = stream.avg_frame_rate.num;
        info.fps_den = stream.avg_frame_rate.den;
    }
    // (av_guess_frame_rate only reads them, but is declared to take them mutable.)
    const AVRational guessed_rate =
        av_guess_frame_rate(const_cast<AVFormatContext*>(format), const_cast<AVStream*>(&stream), nullptr);
    if (guessed_rate.num > 0 && guessed_rate.den > 0) {
        info.rate_num = guessed_rate.num;
        info.rate_den = guessed_rate.den;
    }
    info.reorder_delay = stream.codecpar->video_delay;
    const AVCodecDescriptor* descriptor = avcodec_descriptor_get(stream.codecpar->codec_id);
    info.intra_only = descriptor && (descriptor->props & AV_CODEC_PROP_INTRA_ONLY);
    info.lossless = descriptor && (descriptor->props & AV_CODEC_PROP_LOSSLESS);
    if (stream.start_time != AV_NOPTS_VALUE) info.start_time = stream.start_time * av_q2d(stream.time_base);
    info.time_base_num = stream.time_base.num;
    info.time_base_den = stream.time_base.den;
    if (stream.duration != AV_NOPTS_VALUE && stream.duration > 0)
        info.duration = stream.duration * av_q2d(stream.time_base);
    else if (format->duration != AV_NOPTS_VALUE && format->duration > 0)
        info.duration = format->duration / static_cast<double>(AV_TIME_BASE);
    if (stream.nb_frames > 0) info.frame_count = stream.nb_frames;
    return info;
}

// 0 for no timeout (and for values check_options() refuses); a century for anything longer.
std::int64_t seconds_to_ns(double seconds) {
    if (!(seconds > 0)) return 0;
    return seconds < 3e9 ? static_cast<std::int64_t>(seconds * 1e9) : std::int64_t{3'000'000'000} * 1'000'000'000;
}

}  // namespace

Decoder::Decoder(std::shared_ptr<const Source> source, DecoderOptions options)
    : source_(std::move(source)),
      options_(options),
      interrupter_(InterruptOptions{options.interrupted, options.cancel, seconds_to_ns(options.timeout)}, name_of(source_)),
      packet_(av_packet_alloc()) {
    if (!packet_) throw std::bad_alloc();
    check_options();
    interrupter_.run([this] { open(); });
}

void Decoder::check_options() const {
    const std::string& name = name_of(source_);
    if (!source_) throw Error(AVERROR(EINVAL), name, "no source to decode");
    if (options_.stream < 0) throw Error(AVERROR_STREAM_NOT_FOUND, name, "stream must be >= 0");
    if (options_.media != AVMEDIA_TYPE_VIDEO && options_.media != AVMEDIA_TYPE_AUDIO)
        throw Error(AVERROR(EINVAL), name, "only video and audio streams are decoded");
    if (options_.threads < 0) throw Error(AVERROR(EINVAL), name, "threads must be >= 0");
    if (options_.max_pixels < 0) throw Error(AVERROR(EINVAL), name, "max_pixels must be >= 0");
    if (options_.max_packets < 0) throw Error(AVERROR(EINVAL), name, "max_packets must be >= 0");
    if (options_.max_probe_bytes < 0) throw Error(AVERROR(EINVAL), name, "max_probe_bytes must be >= 0");
    if (!(options_.timeout >= 0)) throw Error(AVERROR(EINVAL), name, "timeout must be >= 0");
    if (options_.max_nested_opens < 0) throw Error(AVERROR(EINVAL), name, "max_nested_opens must be >= 0");
}

void Decoder::check_probe_not_refused(const AVStream& stream) const {
    const std::string& message = demuxer_->probe_refused_picture();
    if (message.empty() || (stream.codecpar->width > 0 && stream.codecpar->height > 0)) return;
    const std::string refused = message.substr(0, message.find(", see the documentation"));
    throw Error(AVERROR(ERANGE), source_->name(),
                "the stream's frames are larger than max_pixels = " + std::to_string(options_.max_pixels) +
                    " (FFmpeg's probe: \"" + refused + "\"; raise max_pixels to decode them)",
                ErrorKind::LimitExceeded);
}

void Decoder::open() {
    log::clear_last_line();
    DemuxerOptions demuxer_options{options_.allow_nested, options_.max_pixels, options_.max_streams,
                                   options_.max_packets, options_.max_probe_bytes};
    demuxer_options.max_nested_opens = options_.max_nested_opens;
    demuxer_options.io_timeout_us = seconds_to_ns(options_.timeout) / 1000;
    errors_->clear();
    demuxer_options.errors = errors_;
    demuxer_ = std::make_unique<Demuxer>(source_, interrupter_, demuxer_options);
    const AVStream& stream = demuxer_->choose(options_.media, options_.stream);
    if (options_.media == AVMEDIA_TYPE_VIDEO) check_probe_not_refused(stream);
    codec_ = std::make_unique<StreamDecoder>(stream, CodecOptions{options_.threads, options_.max_pixels, errors_},
                                             source_->name());
    info_ = describe_stream(demuxer_->format(), stream, codec_->codec());
    info_.video_stream_count = demuxer_->count(AVMEDIA_TYPE_VIDEO);
    info_.audio_stream_count = demuxer_->count(AVMEDIA_TYPE_AUDIO);
    info_.description = stream_description(stream);
}

std::unique_ptr<Frame> Decoder::next() {
    return interrupter_.run([this] { return decode_next(); });
}

std::unique_ptr<Frame> Decoder::decode_next() {
    log::clear_last_line();
    // Reads ask for interrupts themselves (FFmpeg's I/O callback); this is for long stretches
    // without reads, e.g. many damaged packets already buffered. Not every round: a frame
    // usually takes two, and the clock costs more than the rest of a small frame's overhead.
    for (unsigned rounds = 1;; ++rounds) {
        if (rounds % 64 == 0) interrupter_.check();
        StreamDecoder::Output out = codec_->receive();
        switch (out.status) {
            case StreamDecoder::Status::Frame: {
                auto layout = layout_for(out.frame.get());
                return std::make_unique<Frame>(std::move(out.frame), std::move(layout), frames_out_++, out.damaged);
            }
            case StreamDecoder::Status::Ended:
                if (demux_error_) {
                    Error error = std::move(*demux_error_);
                    demux_error_.reset();
                    throw error;
                }
                if (frames_out_ == 0 && codec_->decode_errors() > 0)
                    throw Error(AVERROR_INVALIDDATA, source_->name(), "no frame could be decoded");
                return nullptr;
            case StreamDecoder::Status::Rejected: break;
            case StreamDecoder::Status::NeedsInput: feed(); break;
        }
    }
}

void Decoder::feed() {
    if (input_ended_) throw Error(AVERROR_BUG, source_->name(), "the decoder asked for input after the flush");
    for (;;) {
        bool have_packet = packet_pending_;
        packet_pending_ = false;
        if (!have_packet) {
            try {
                have_packet = demuxer_->read(packet_.get());
            } catch (Error& error) {
                demux_error_.emplace(std::move(error));  // raised after the frames before it
            }
        }
        if (!have_packet) {
            // End of input, or a read error: flush what the codec holds.
            codec_->send_end();
            input_ended_ = true;
            return;
        }
        last_fed_ = describe_packet(packet_.get());
        const AVPacket& packet = *packet_;
        const bool skippable = unwanted_ && packet.pts != AV_NOPTS_VALUE &&
                               !(packet.flags & (AV_PKT_FLAG_KEY | AV_PKT_FLAG_CORRUPT)) && unwanted_(packet.pts);
        const bool accepted = codec_->send(packet_.get(), skippable);
        av_packet_unref(packet_.get());
        if (accepted) return;
    }
}

PacketList Decoder::index_packets() {
    return interrupter_.run([this] {
        input_ended_ = true;  // the decoder must seek before it decodes again
        return demuxer_->index_packets();
    });
}

std::optional<PacketInfo> Decoder::seek(std::int64_t time) {
    return interrupter_.run([&]() -> std::optional<PacketInfo> {
        log::clear_last_line();
        demuxer_->seek(time);
        codec_->reset();
        av_packet_unref(packet_.get());
        input_ended_ = false;
        demux_error_.reset();
        last_fed_.reset();
        packet_pending_ = demuxer_->read(packet_.get());
        if (!packet_pending_) return std::nullopt;
        return describe_packet(packet_.get());
    });
}

void Decoder::attach_palette(const std::vector<std::uint8_t>& palette) {
    if (!packet_pending_ || packet_side_data(packet_.get(), AV_PKT_DATA_PALETTE, nullptr)) return;
    std::uint8_t* data = av_packet_new_side_data(packet_.get(), AV_PKT_DATA_PALETTE, palette.size());
    if (!data) throw std::bad_alloc();
    std::copy(palette.begin(), palette.end(), data);
}

std::shared_ptr<const std::vector<PlaneLayout>> Decoder::layout_for(const AVFrame* frame) {
    const bool audio = options_.media == AVMEDIA_TYPE_AUDIO;
    // Audio: channels and samples in place of width and height.
    const int width = audio ? frame_channels(frame) : frame->width;
    const int height = audio ? frame->nb_samples : frame->height;
    if (!layout_ || frame->format != layout_format_ || width != layout_width_ || height != layout_height_) {
        layout_ = std::make_shared<const std::vector<PlaneLayout>>(
            audio ? describe_audio_planes(static_cast<AVSampleFormat>(frame->format), width, height)
                  : describe_planes(static_cast<AVPixelFormat>(frame->format), width, height));
        layout_format_ = frame->format;
        layout_width_ = width;
        layout_height_ = height;
    }
    return layout_;
}

}  // namespace derenotes
