#include "derenotes/decoder.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <type_traits>

#include "derenotes/log.hpp"
#include "derenotes/mp4_index.hpp"

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

// "codec avs2", or for a codec FFmpeg does not know at all, the container's tag for it.
std::string codec_description(const AVCodecParameters* parameters) {
    if (parameters->codec_id != AV_CODEC_ID_NONE) return std::string("codec ") + avcodec_get_name(parameters->codec_id);
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {0};
    av_fourcc_make_string(tag, parameters->codec_tag);
    return std::string("an unknown codec (the container calls it '") + tag + "')";
}

// Between interrupt checks: often enough for Ctrl-C to feel immediate, rarely enough to cost
// nothing per frame.
constexpr std::int64_t kInterruptCheckIntervalNs = 20'000'000;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Decoder::Decoder(std::string path, DecoderOptions options)
    : path_(std::move(path)), options_(options), packet_(av_packet_alloc()), received_(alloc_frame()) {
    if (!packet_ || !received_) throw std::bad_alloc();
    if (options_.video_stream < 0) throw Error(AVERROR_STREAM_NOT_FOUND, path_, "stream must be >= 0");
    if (options_.threads < 0) throw Error(AVERROR(EINVAL), path_, "threads must be >= 0");
    if (options_.max_pixels < 0) throw Error(AVERROR(EINVAL), path_, "max_pixels must be >= 0");
    interruptible([this] { open(); });
}

template <typename Work>
auto Decoder::interruptible(Work work) -> decltype(work()) {
    // FFmpeg often takes an interrupted read for damaged data or the end of the file, and
    // probing may even succeed on what it read before: an interrupt wins over all of these.
    try {
        if constexpr (std::is_void_v<decltype(work())>) {
            work();
            if (!interrupted_) return;
        } else {
            auto result = work();
            if (!interrupted_) return result;
        }
    } catch (const Error&) {
        if (!interrupted_) throw;
    }
    throw Error(AVERROR_EXIT, path_, "interrupted");
}

bool Decoder::should_stop() {
    if (interrupted_) return true;  // FFmpeg may ask again while giving up: the answer stands
    if (!options_.interrupted) return false;
    // A blocking read that a signal interrupted leaves EINTR: ask right away, for Ctrl-C.
    const bool signal_arrived = errno == EINTR;
    const std::int64_t now = now_ns();
    if (!signal_arrived && now < next_interrupt_check_ns_) return false;
    next_interrupt_check_ns_ = now + kInterruptCheckIntervalNs;
    interrupted_ = options_.interrupted();
    return interrupted_;
}

// FFmpeg's I/O asks this before and while reading, also after a signal interrupted a read.
int Decoder::on_ffmpeg_interrupt_check(void* decoder) { return static_cast<Decoder*>(decoder)->should_stop(); }

void Decoder::check_interrupt() {
    if (should_stop()) throw Error(AVERROR_EXIT, path_, "interrupted");
}

Error Decoder::failure(int code, const char* context) const {
    // FFmpeg codes an operating-system error as AVERROR(errno), but demuxers and decoders return
    // such codes for bad data too (the y4m demuxer refuses an impossible picture size with
    // EBUSY): an errno is the system's only when our AVIOContext recorded a failed read.
    const bool read_failed = io_ && io_->error < 0 && io_->error != AVERROR_EOF;
    if (kind_of(code) == ErrorKind::Io && !read_failed) return Error(code, path_, context, ErrorKind::InvalidData);
    return Error(code, path_, context);
}

void Decoder::check_ffmpeg(int ret, const char* context) const {
    if (ret < 0) throw failure(ret, context);
}

void Decoder::open() {
    log::clear_last_line();
    const std::string url = ffmpeg_url(path_);

    // We open the file ourselves, so that we can tell the operating system's failures (recorded
    // in our AVIOContext) from a demuxer's (see failure()).
    const AVIOInterruptCB interrupt{&Decoder::on_ffmpeg_interrupt_check, this};
    AVIOContext* io = nullptr;
    check(avio_open2(&io, url.c_str(), AVIO_FLAG_READ, &interrupt, nullptr), path_, "cannot open file");
    io_.reset(io);

    format_.reset(avformat_alloc_context());
    if (!format_) throw std::bad_alloc();
    format_->pb = io_.get();
    format_->interrupt_callback = interrupt;  // for files a demuxer opens itself
    AVFormatContext* raw_format = format_.release();  // avformat_open_input frees it on failure
    check_ffmpeg(avformat_open_input(&raw_format, url.c_str(), nullptr, nullptr), "cannot open file");
    format_.reset(raw_format);
    check_ffmpeg(avformat_find_stream_info(format_.get(), nullptr), "cannot read stream information");
    log::clear_last_line();  // warnings of a probe that succeeded are not the reason for what fails next

    AVStream* stream = nullptr;
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
        AVStream* candidate = format_->streams[i];
        if (candidate->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
        if (info_.video_stream_count++ == options_.video_stream) stream = candidate;
    }
    if (!stream) {
        const std::string count = std::to_string(info_.video_stream_count);
        throw Error(AVERROR_STREAM_NOT_FOUND, path_,
                    info_.video_stream_count == 0
                        ? std::string("the file has no video stream")
                        : "no video stream " + std::to_string(options_.video_stream) + ": the file has " + count +
                              " video stream" + (info_.video_stream_count == 1 ? "" : "s") + " (0 to " +
                              std::to_string(info_.video_stream_count - 1) + ")");
    }
    // The demuxer skips packets of every other stream.
    for (unsigned i = 0; i < format_->nb_streams; ++i)
        if (format_->streams[i] != stream) format_->streams[i]->discard = AVDISCARD_ALL;

    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec) throw Error(AVERROR_DECODER_NOT_FOUND, path_, "no decoder for " + codec_description(stream->codecpar));
    codec_.reset(avcodec_alloc_context3(codec));
    if (!codec_) throw std::bad_alloc();
    check_ffmpeg(avcodec_parameters_to_context(codec_.get(), stream->codecpar), "cannot set up the decoder");
    const std::int64_t pixels = std::int64_t{stream->codecpar->width} * stream->codecpar->height;
    if (options_.max_pixels > 0 && pixels > options_.max_pixels)
        throw Error(AVERROR(ERANGE), path_,
                    "the stream's frames are " + std::to_string(stream->codecpar->width) + "x" +
                        std::to_string(stream->codecpar->height) + " = " + std::to_string(pixels) +
                        " pixels, more than max_pixels = " + std::to_string(options_.max_pixels) +
                        " (raise max_pixels to decode them)",
                    ErrorKind::LimitExceeded);
    codec_->pkt_timebase = stream->time_base;
    codec_->thread_count = options_.threads;
    if (options_.threads == 0) codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (options_.max_pixels > 0) codec_->max_pixels = options_.max_pixels;  // frames that grow mid-stream
    check_ffmpeg(avcodec_open2(codec_.get(), codec, nullptr), "cannot open the decoder");

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
    const AVRational guessed_rate = av_guess_frame_rate(format_.get(), stream, nullptr);
    if (guessed_rate.num > 0 && guessed_rate.den > 0) {
        info_.rate_num = guessed_rate.num;
        info_.rate_den = guessed_rate.den;
    }
    info_.reorder_delay = stream->codecpar->video_delay;
    const AVCodecDescriptor* descriptor = avcodec_descriptor_get(stream->codecpar->codec_id);
    info_.intra_only = descriptor && (descriptor->props & AV_CODEC_PROP_INTRA_ONLY);
    info_.time_base_num = stream->time_base.num;
    info_.time_base_den = stream->time_base.den;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0)
        info_.duration = stream->duration * av_q2d(stream->time_base);
    else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0)
        info_.duration = format_->duration / static_cast<double>(AV_TIME_BASE);
    if (stream->nb_frames > 0) info_.frame_count = stream->nb_frames;
}

std::unique_ptr<Frame> Decoder::next() {
    return interruptible([this] { return decode_next(); });
}

std::unique_ptr<Frame> Decoder::decode_next() {
    log::clear_last_line();
    // Reads ask for interrupts themselves (FFmpeg's I/O callback); this is for long stretches
    // without reads, e.g. many damaged packets already buffered. Not every round: a frame
    // usually takes two, and the clock costs more than the rest of a small frame's overhead.
    for (unsigned rounds = 1;; ++rounds) {
        if (rounds % 64 == 0) check_interrupt();
        const int ret = avcodec_receive_frame(codec_.get(), received_.get());
        if (ret >= 0) {
            FramePtr frame(alloc_frame());
            if (!frame) throw std::bad_alloc();
            frame.swap(received_);  // the user's frame takes the decoder's reference
            auto layout = layout_for(frame.get());
            const bool damaged = damaged_since_last_frame_ || from_corrupt_packet(frame.get());
            auto out = std::make_unique<Frame>(std::move(frame), std::move(layout), frames_out_++, damaged);
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

PacketInfo describe_packet(const AVPacket* packet) {
    PacketInfo info;
    info.pts = packet->pts;
    info.dts = packet->dts;
    info.duration = packet->duration;
    info.pos = packet->pos;
    info.size = packet->size;
    info.key = packet->flags & AV_PKT_FLAG_KEY;
    info.discard = packet->flags & AV_PKT_FLAG_DISCARD;
    info.corrupt = packet->flags & AV_PKT_FLAG_CORRUPT;
    return info;
}

bool Decoder::read_packet() {
    for (;;) {
        const int read = av_read_frame(format_.get(), packet_.get());
        if (read == AVERROR_EOF) return false;
        if (read < 0) throw failure(read, "cannot read the file");
        if (packet_->stream_index == info_.stream_index) return true;
        av_packet_unref(packet_.get());
    }
}

PacketList Decoder::index_packets() {
    return interruptible([this] {
        flushing_ = true;  // the decoder must seek before it decodes again
        PacketList list;
        std::vector<PacketInfo>& packets = list.packets;
        // Reads packets until `count` are described (or the end), asking for interrupts now and then.
        const auto read_until = [&](std::size_t count) {
            for (unsigned rounds = 1; packets.size() < count; ++rounds) {
                if (rounds % 256 == 0) check_interrupt();
                try {
                    if (!read_packet()) break;
                } catch (const Error& error) {
                    // Damaged data iteration stops at too, after the frames before: those are the stream's.
                    if (error.kind() != ErrorKind::InvalidData) throw;
                    break;
                }
                std::size_t palette_size = 0;
                if (const std::uint8_t* palette = av_packet_get_side_data(packet_.get(), AV_PKT_DATA_PALETTE, &palette_size))
                    list.palettes.emplace_back(packets.size(), std::vector<std::uint8_t>(palette, palette + palette_size));
                packets.push_back(describe_packet(packet_.get()));
                av_packet_unref(packet_.get());
            }
        };
        std::optional<std::vector<PacketInfo>> from_tables = mp4_packets(format_.get(), format_->streams[info_.stream_index]);
        if (from_tables) {
            const std::size_t to_check = std::min(from_tables->size(), kPacketsCheckedAgainstTables);
            read_until(to_check);
            const bool agree = packets.size() == to_check &&
                               std::equal(packets.begin(), packets.end(), from_tables->begin(), [](const auto& a, const auto& b) {
                                   return a.pts == b.pts && a.dts == b.dts && a.pos == b.pos && a.size == b.size && a.key == b.key &&
                                          a.discard == b.discard;
                               });
            if (agree) {
                // The packets read carry what the tables cannot know (flags of damage).
                std::copy(packets.begin(), packets.end(), from_tables->begin());
                packets = std::move(*from_tables);
                return list;
            }
        }
        read_until(SIZE_MAX);  // no tables, or they say otherwise than the demuxer: believe the demuxer
        return list;
    });
}

std::optional<PacketInfo> Decoder::seek(std::int64_t time) {
    return interruptible([&]() -> std::optional<PacketInfo> {
        log::clear_last_line();
        check_ffmpeg(av_seek_frame(format_.get(), info_.stream_index, time, AVSEEK_FLAG_BACKWARD), "cannot seek");
        avcodec_flush_buffers(codec_.get());
        av_frame_unref(received_.get());
        av_packet_unref(packet_.get());
        flushing_ = false;
        demux_error_.reset();
        damaged_since_last_frame_ = false;
        corrupt_packet_times_.clear();
        last_fed_.reset();
        packet_pending_ = read_packet();
        if (!packet_pending_) return std::nullopt;
        return describe_packet(packet_.get());
    });
}

void Decoder::attach_palette(const std::vector<std::uint8_t>& palette) {
    if (!packet_pending_ || av_packet_get_side_data(packet_.get(), AV_PKT_DATA_PALETTE, nullptr)) return;
    std::uint8_t* data = av_packet_new_side_data(packet_.get(), AV_PKT_DATA_PALETTE, palette.size());
    if (!data) throw std::bad_alloc();
    std::copy(palette.begin(), palette.end(), data);
}

void Decoder::feed() {
    if (flushing_) throw Error(AVERROR_BUG, path_, "the decoder asked for input after the flush");
    for (;;) {
        bool have_packet = packet_pending_;
        packet_pending_ = false;
        if (!have_packet) {
            try {
                have_packet = read_packet();
            } catch (Error& error) {
                demux_error_.emplace(std::move(error));  // raised after the frames before it
            }
        }
        if (!have_packet) {
            // End of input, or a read error: flush what the decoder holds.
            check_ffmpeg(avcodec_send_packet(codec_.get(), nullptr), "cannot flush the decoder");
            flushing_ = true;
            return;
        }
        last_fed_ = describe_packet(packet_.get());
        if (packet_->flags & AV_PKT_FLAG_CORRUPT) remember_corrupt_packet(packet_.get());
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

// Demuxers flag a packet they know is damaged (cut short by the end of a truncated file, say), and
// decoders may still make a picture of it (the MJPEG decoder invents the missing end). FFmpeg
// does not carry the flag over to the frame: we match the frame to its packet by time.
void Decoder::remember_corrupt_packet(const AVPacket* packet) {
    const std::int64_t time = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (time == AV_NOPTS_VALUE) {
        damaged_since_last_frame_ = true;  // no way to tell which frame it becomes: the next one
        return;
    }
    if (corrupt_packet_times_.size() == kMaxCorruptPacketsRemembered)
        corrupt_packet_times_.erase(corrupt_packet_times_.begin());
    corrupt_packet_times_.push_back(time);
}

bool Decoder::from_corrupt_packet(const AVFrame* frame) {
    if (corrupt_packet_times_.empty()) return false;
    const std::int64_t time = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->pkt_dts;
    const auto match = std::find(corrupt_packet_times_.begin(), corrupt_packet_times_.end(), time);
    if (match == corrupt_packet_times_.end()) return false;
    corrupt_packet_times_.erase(match);
    return true;
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
