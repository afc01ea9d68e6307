// The decoding stage (see stream_decoder.hpp).
#include "derenotes/stream_decoder.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <string>
#include <utility>

namespace derenotes {
namespace {

// "codec avs2", or for a codec FFmpeg does not know at all, the container's tag for it.
std::string codec_description(const AVCodecParameters* parameters) {
    if (parameters->codec_id != AV_CODEC_ID_NONE) return std::string("codec ") + avcodec_get_name(parameters->codec_id);
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {0};
    av_fourcc_make_string(tag, parameters->codec_tag);
    return std::string("an unknown codec (the container calls it '") + tag + "')";
}

}  // namespace

StreamDecoder::StreamDecoder(const AVStream& stream, CodecOptions options, std::string name)
    : options_(options), name_(std::move(name)), received_(alloc_frame()) {
    if (!received_) throw std::bad_alloc();
    set_up(stream);
    check_pixel_limit(stream);
    configure(stream);
    const int opened = avcodec_open2(context_.get(), codec_, nullptr);
    if (opened < 0) throw failure(opened, "cannot open the decoder");
}

Error StreamDecoder::failure(int code, const char* context) const {
    const ErrorKind kind = kind_of(code);
    return Error(code, name_, context, kind == ErrorKind::Io ? ErrorKind::InvalidData : kind);
}

void StreamDecoder::set_up(const AVStream& stream) {
    codec_ = avcodec_find_decoder(stream.codecpar->codec_id);
    if (!codec_) throw Error(AVERROR_DECODER_NOT_FOUND, name_, "no decoder for " + codec_description(stream.codecpar));
    context_.reset(avcodec_alloc_context3(codec_));
    if (!context_) throw std::bad_alloc();
    if (options_.errors) {
        context_->opaque = context_.get();  // what the log knows the codec (and its threads' copies) by
        watch_ = std::make_unique<log::ContextWatch>(context_.get(), options_.errors);
    }
    const int copied = avcodec_parameters_to_context(context_.get(), stream.codecpar);
    if (copied < 0) throw failure(copied, "cannot set up the decoder");
}

void StreamDecoder::check_pixel_limit(const AVStream& stream) const {
    const AVCodecParameters& parameters = *stream.codecpar;
    const std::int64_t pixels = std::int64_t{parameters.width} * parameters.height;
    if (options_.max_pixels > 0 && pixels > options_.max_pixels)
        throw Error(AVERROR(ERANGE), name_,
                    "the stream's frames are " + std::to_string(parameters.width) + "x" +
                        std::to_string(parameters.height) + " = " + std::to_string(pixels) +
                        " pixels, more than max_pixels = " + std::to_string(options_.max_pixels) +
                        " (raise max_pixels to decode them)",
                    ErrorKind::LimitExceeded);
}

void StreamDecoder::configure(const AVStream& stream) {
    context_->pkt_timebase = stream.time_base;
    context_->thread_count = options_.threads;
    if (options_.threads == 0) context_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (options_.max_pixels > 0) context_->max_pixels = options_.max_pixels;  // frames that grow mid-stream
}

void StreamDecoder::count_damage(int code) {
    // Out of memory is ours to raise; any other codec error is damage in the input, which the
    // ffmpeg CLI counts and decodes past.
    if (code == AVERROR(ENOMEM)) throw Error(code, name_, "cannot decode");
    ++decode_errors_;
    damaged_since_last_frame_ = true;
}

bool StreamDecoder::send(const AVPacket* packet, bool skip_if_unreferenced) {
    if (packet->flags & AV_PKT_FLAG_CORRUPT) remember_corrupt_packet(packet);
    // Read per packet: frame threads copy it from this context with each packet they are given.
    context_->skip_frame = skip_if_unreferenced ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    const int sent = avcodec_send_packet(context_.get(), packet);
    if (sent >= 0) return true;
    // We only feed after the decoder asked for input, so EAGAIN cannot happen: a damaged packet.
    count_damage(sent);
    return false;
}

void StreamDecoder::send_end() {
    const int sent = avcodec_send_packet(context_.get(), nullptr);
    if (sent >= 0) return;
    // The codec takes the end of input, then decodes what it holds: an error now is a frame
    // thread's on one of the last packets (with some thread counts it comes here rather than
    // from receive()). Draining goes on, as after a rejected packet.
    count_damage(sent);
}

StreamDecoder::Output StreamDecoder::receive() {
    Output out;
    const int ret = avcodec_receive_frame(context_.get(), received_.get());
    if (ret >= 0) {
        out.frame.reset(alloc_frame());
        if (!out.frame) throw std::bad_alloc();
        out.frame.swap(received_);  // the caller's frame takes the decoder's reference
        out.status = Status::Frame;
        out.damaged = damaged_since_last_frame_ || from_corrupt_packet(out.frame.get());
        damaged_since_last_frame_ = false;
    } else if (ret == AVERROR_EOF) {
        out.status = Status::Ended;
    } else if (ret == AVERROR(EAGAIN)) {
        out.status = Status::NeedsInput;
    } else {
        // A frame the decoder gave up on (frame threads report errors here): go on.
        count_damage(ret);
        out.status = Status::Rejected;
    }
    return out;
}

void StreamDecoder::reset() {
    avcodec_flush_buffers(context_.get());
    av_frame_unref(received_.get());
    damaged_since_last_frame_ = false;
    corrupt_packet_times_.clear();
}

// Demuxers flag a packet they know is damaged (cut short by the end of a truncated file, say), and
// decoders may still make a picture of it (the MJPEG decoder invents the missing end). FFmpeg
// does not carry the flag over to the frame: we match the frame to its packet by time.
void StreamDecoder::remember_corrupt_packet(const AVPacket* packet) {
    const std::int64_t time = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (time == AV_NOPTS_VALUE) {
        damaged_since_last_frame_ = true;  // no way to tell which frame it becomes: the next one
        return;
    }
    if (corrupt_packet_times_.size() == kMaxCorruptPacketsRemembered)
        corrupt_packet_times_.erase(corrupt_packet_times_.begin());
    corrupt_packet_times_.push_back(time);
}

bool StreamDecoder::from_corrupt_packet(const AVFrame* frame) {
    if (corrupt_packet_times_.empty()) return false;
    const std::int64_t time = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->pkt_dts;
    const auto match = std::find(corrupt_packet_times_.begin(), corrupt_packet_times_.end(), time);
    if (match == corrupt_packet_times_.end()) return false;
    corrupt_packet_times_.erase(match);
    return true;
}

}  // namespace derenotes
