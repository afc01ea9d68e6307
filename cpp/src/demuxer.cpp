// The demuxing stage (see demuxer.hpp).
#include "derenotes/demuxer.hpp"

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "derenotes/log.hpp"
#include "derenotes/mp4_index.hpp"
#include "derenotes/probe.hpp"

namespace derenotes {
namespace {

// A protocol whitelist no protocol is on (FFmpeg has no protocol of this name).
constexpr const char* kNoProtocol = "derenotes-refuses-every-protocol";

// Demuxers whose files hold no media of their own, only the names of resources that do.
bool lists_other_resources(const AVInputFormat* format) {
    if (!format) return false;
    const std::string name = format->name;
    return name == "hls" || name == "dash" || name == "concat" || name == "imf";
}

// FFmpeg's own io_open, which every new AVFormatContext starts with.
decltype(AVFormatContext::io_open) ffmpeg_io_open() {
    static const auto opener = [] {
        AVFormatContext* format = avformat_alloc_context();
        if (!format) throw std::bad_alloc();
        const auto io_open = format->io_open;
        avformat_free_context(format);
        return io_open;
    }();
    return opener;
}

}  // namespace

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

Demuxer::Demuxer(std::shared_ptr<const Source> source, Interrupter& interrupter, DemuxerOptions options)
    : source_(std::move(source)), interrupter_(interrupter), options_(options) {
    try {
        open_input();
        check_stream_count();
        check_indexed_packets();
        read_stream_info();
        check_stream_count();  // streams some formats find only by reading (MPEG-TS)
        check_indexed_packets();
    } catch (...) {
        log::forget_context(format_.get());
        throw;
    }
}

Error Demuxer::limit_exceeded(const std::string& what, const char* limit, std::int64_t value) const {
    return Error(AVERROR(ERANGE), source_->name(),
                 what + ", more than " + limit + " = " + std::to_string(value) + " (raise " + limit + " to read it)",
                 ErrorKind::LimitExceeded);
}

Demuxer::~Demuxer() {
    interrupter_.watch_reads(nullptr);  // io_ goes with us
    log::forget_context(format_.get());
}

void Demuxer::check_stream_count() const {
    if (options_.max_streams <= 0 || format_->nb_streams <= static_cast<unsigned>(options_.max_streams)) return;
    throw limit_exceeded("the file has " + std::to_string(format_->nb_streams) + " streams", "max_streams",
                         options_.max_streams);
}

const AVInputFormat* Demuxer::probe_format() {
    const AVInputFormat* format = nullptr;
    const std::string& url = source_->url();
    // The bytes read stay in the reader's buffer: avformat_open_input reads them again from there.
    if (probe_input_buffer(io_.get(), &format, url.empty() ? nullptr : url.c_str(), format_.get(), 0,
                               format_->format_probesize) < 0)
        return nullptr;
    return format;
}

void Demuxer::check_declared_packets(const AVInputFormat* format) {
    if (options_.max_packets <= 0 || !format || std::strncmp(format->name, "mov,", 4) != 0) return;
    const std::optional<std::int64_t> samples = mp4_declared_samples(*source_, interrupter_);
    if (samples && *samples > options_.max_packets)
        throw limit_exceeded("the file's sample tables list " + std::to_string(*samples) + " packets", "max_packets",
                             options_.max_packets);
}

void Demuxer::check_indexed_packets() const {
    if (options_.max_packets <= 0) return;
    std::int64_t entries = 0;
    for (unsigned i = 0; i < format_->nb_streams; ++i) entries += index_entries_count(format_->streams[i]);
    if (entries > options_.max_packets)
        throw limit_exceeded("the file's index lists " + std::to_string(entries) + " packets", "max_packets",
                             options_.max_packets);
}

// Demuxers open the resources a file names through AVFormatContext::io_open; those that open a
// whole demuxer of their own for it (concat) give it the protocol whitelist instead, which
// open_input() sets to nothing at all.
int Demuxer::refuse_nested_open(AVFormatContext* format, AVIOContext**, const char* url, int, AVDictionary**) {
    auto* self = static_cast<Demuxer*>(format->opaque);
    if (self && !self->refused_) self->refused_ = url ? url : "";
    return AVERROR(EPERM);
}

int Demuxer::counted_nested_open(AVFormatContext* format, AVIOContext** io, const char* url, int flags,
                                 AVDictionary** options) {
    // A nested demuxer that copied our opener has no opaque: it opens uncounted.
    if (auto* self = static_cast<Demuxer*>(format->opaque)) {
        if (self->interrupter_.should_stop()) return AVERROR_EXIT;  // HLS opens in loops that ask nothing else
        const int limit = self->options_.max_nested_opens;
        if (limit > 0 && ++self->nested_opens_in_step_ > limit) {
            if (!self->opened_too_many_) self->opened_too_many_ = url ? url : "";
            return AVERROR(EPERM);
        }
        self->interrupter_.made_progress();
        const std::int64_t timeout = self->options_.io_timeout_us;
        if (options && timeout > 0) {
            av_dict_set_int(options, "rw_timeout", timeout, AV_DICT_DONT_OVERWRITE);  // every protocol's reads
            av_dict_set_int(options, "timeout", timeout, AV_DICT_DONT_OVERWRITE);     // TCP's connect and reads
        }
    }
    return ffmpeg_io_open()(format, io, url, flags, options);
}

void Demuxer::start_step() { nested_opens_in_step_ = 0; }

Error Demuxer::refusal(const std::string& what) const {
    return Error(AVERROR(EPERM), source_->name(),
                 what + ": a reader reads only the source it was given unless nested opens are allowed",
                 ErrorKind::Refused);
}

void Demuxer::check_not_a_list_of_files(const AVInputFormat* format) {
    // Some of these demuxers open what they list through the protocol whitelist rather than our
    // io_open (concat with a demuxer of its own, DASH), and fail to open: the file, probed again
    // (on this error path only), tells whether it was one of them.
    if (!format && (avio_seek(io_.get(), 0, SEEK_SET) < 0 ||
                    probe_input_buffer(io_.get(), &format, nullptr, nullptr, 0, 0) < 0))
        return;
    if (!lists_other_resources(format)) return;
    const std::string asked = refused_ ? " ('" + *refused_ + "')" : " (the log says which)";
    throw refusal(std::string("the file is a list of other resources for FFmpeg's ") + format->name +
                  " demuxer, which opens what it names" + asked);
}

void Demuxer::check_not_refused() const {
    if (opened_too_many_)
        throw Error(AVERROR(ERANGE), source_->name(),
                    "the file made the reader open more than max_nested_opens = " +
                        std::to_string(options_.max_nested_opens) + " other resources in one step (the last '" +
                        *opened_too_many_ + "'): a playlist that names itself? (raise max_nested_opens to read it)",
                    ErrorKind::LimitExceeded);
    if (refused_)
        throw refusal("the file asks to open another resource ('" + *refused_ +
                      "'): it is a playlist, manifest or list of files");
}

Error Demuxer::failure(int code, const char* context) const {
    // FFmpeg codes an operating-system error as AVERROR(errno), but demuxers and decoders return
    // such codes for bad data too (the y4m demuxer refuses an impossible picture size with
    // EBUSY): an errno is the system's only when our AVIOContext recorded a failed read.
    const bool read_failed = io_ && io_->error < 0 && io_->error != AVERROR_EOF;
    // A demuxer that needs to seek back (an MP4 whose index follows its data) fails on a stream.
    const std::string what = source_->seekable() ? context : std::string(context) + " (from a source that cannot seek)";
    if (kind_of(code) == ErrorKind::Io && !read_failed) return Error(code, source_->name(), what, ErrorKind::InvalidData);
    return Error(code, source_->name(), what);
}

void Demuxer::check_ffmpeg(int ret, const char* context) const {
    check_not_refused();  // whatever the demuxer made of the refusal, it is the reason
    if (ret < 0) throw failure(ret, context);
}

void Demuxer::open_input() {
    // We open the input ourselves, so that we can tell the operating system's failures (recorded
    // in our AVIOContext) from a demuxer's (see failure()).
    const AVIOInterruptCB interrupt = interrupter_.callback();
    start_step();
    io_ = source_->open_io(interrupt);
    interrupter_.watch_reads(io_.get());
    format_.reset(avformat_alloc_context());
    if (!format_) throw std::bad_alloc();
    format_->pb = io_.get();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;  // ours to close, also when we give up before avformat_open_input
    format_->interrupt_callback = interrupt;  // for files a demuxer opens itself
    if (!options_.allow_nested) {
        format_->opaque = this;
        format_->io_open = &Demuxer::refuse_nested_open;
        // Nested demuxers (concat's) open with the whitelist they inherit: no protocol at all.
        check_ffmpeg(av_opt_set(format_.get(), "protocol_whitelist", kNoProtocol, 0), "cannot set up the demuxer");
    } else {
        format_->opaque = this;
        format_->io_open = &Demuxer::counted_nested_open;
    }
    if (options_.max_probe_bytes > 0) {
        // probesize bounds the probe of the streams; the format's probe reads up to 1 MiB of its own.
        const std::int64_t format_probe = std::min<std::int64_t>(format_->format_probesize, options_.max_probe_bytes);
        check_ffmpeg(av_opt_set_int(format_.get(), "probesize", options_.max_probe_bytes, 0), "cannot set up the demuxer");
        check_ffmpeg(av_opt_set_int(format_.get(), "formatprobesize", format_probe, 0), "cannot set up the demuxer");
    }
    // Probed here rather than by avformat_open_input when the file may be an MP4, whose sample
    // tables FFmpeg indexes while opening it: they are counted first.
    const AVInputFormat* format = options_.max_packets > 0 ? probe_format() : nullptr;
    check_declared_packets(format);
    AVFormatContext* raw_format = format_.release();  // avformat_open_input frees it on failure
    const std::string& url = source_->url();
    const int opened = derenotes::open_input(&raw_format, url.empty() ? nullptr : url.c_str(), format, nullptr);
    if (opened < 0 && !options_.allow_nested) check_not_a_list_of_files(nullptr);
    check_ffmpeg(opened, "cannot open file");
    format_.reset(raw_format);
    log::watch_context(format_.get(), options_.errors);
    if (!options_.allow_nested) check_not_a_list_of_files(format_->iformat);
}

void Demuxer::read_stream_info() {
    // The probe decodes frames of every stream: the pixel limit holds there too, or a 123-byte
    // SVG of 16000x16000 takes a gigabyte before anyone checks its size.
    std::vector<AVDictionary*> codec_options(format_->nb_streams, nullptr);
    if (options_.max_pixels > 0)
        for (AVDictionary*& options : codec_options) av_dict_set_int(&options, "max_pixels", options_.max_pixels, 0);
    log::take_pixel_limit_refusal();
    const int probed = avformat_find_stream_info(format_.get(), codec_options.empty() ? nullptr : codec_options.data());
    for (AVDictionary*& options : codec_options) av_dict_free(&options);
    probe_refused_picture_ = log::take_pixel_limit_refusal();
    check_ffmpeg(probed, "cannot read stream information");
    log::clear_last_line();  // warnings of a probe that succeeded are not the reason for what fails next
}

int Demuxer::count(AVMediaType type) const {
    int count = 0;
    for (unsigned i = 0; i < format_->nb_streams; ++i) count += format_->streams[i]->codecpar->codec_type == type;
    return count;
}

const AVStream& Demuxer::choose(AVMediaType type, int number) {
    int seen = 0;
    stream_index_ = -1;
    for (unsigned i = 0; i < format_->nb_streams && stream_index_ < 0; ++i)
        if (format_->streams[i]->codecpar->codec_type == type && seen++ == number) stream_index_ = static_cast<int>(i);
    if (stream_index_ < 0) {
        // Says what the file has instead: "the file has no audio stream, only 1 video stream
        // (h264) and 1 subtitle stream (subrip)"; "no video stream 2, only 0 to 1: the file has
        // 2 video streams (h264, mjpeg) and 1 audio stream (pcm_s16le)".
        const std::string kind = av_get_media_type_string(type) ? av_get_media_type_string(type) : "such";
        const int available = count(type);
        const std::string streams = stream_summary(*format_, type);
        const std::string numbers = available > 1 ? "0 to " + std::to_string(available - 1) : "0";
        throw Error(AVERROR_STREAM_NOT_FOUND, source_->name(),
                    available == 0 ? "the file has no " + kind + " stream" +
                                         (streams.empty() ? ", nor any other stream" : ", only " + streams)
                                   : "no " + kind + " stream " + std::to_string(number) + ", only " + numbers +
                                         ": the file has " + streams);
    }
    // The demuxer skips packets of every other stream.
    for (unsigned i = 0; i < format_->nb_streams; ++i)
        if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
    return stream();
}

bool Demuxer::read(AVPacket* packet) {
    for (;;) {
        start_step();
        const int read = av_read_frame(format_.get(), packet);
        check_not_refused();
        // A demuxer takes a failed read for the end of the file: it is not the end.
        if (read == AVERROR_EOF && io_->error < 0 && io_->error != AVERROR_EOF) throw failure(io_->error, "cannot read the file");
        if (read == AVERROR_EOF) return false;
        if (read < 0) throw failure(read, "cannot read the file");
        interrupter_.made_progress();
        if (log::take_corrupt_packet(format_.get(), packet->stream_index, packet->dts))
            packet->flags |= AV_PKT_FLAG_CORRUPT;  // lost by FFmpeg 4.3's parser (see log.hpp)
        if (packet->stream_index == stream_index_) return true;
        av_packet_unref(packet);
    }
}

void Demuxer::seek(std::int64_t time) {
    start_step();
    check_ffmpeg(av_seek_frame(format_.get(), stream_index_, time, AVSEEK_FLAG_BACKWARD), "cannot seek");
}

void Demuxer::describe_packets(PacketList& list, std::size_t count, AVPacket* packet) {
    std::vector<PacketInfo>& packets = list.packets;
    for (unsigned rounds = 1; packets.size() < count; ++rounds) {
        if (rounds % 256 == 0) interrupter_.check();
        try {
            if (!read(packet)) break;
        } catch (const Error& error) {
            // Damaged data iteration stops at too, after the frames before: those are the stream's.
            if (error.kind() != ErrorKind::InvalidData) throw;
            break;
        }
        if (options_.max_packets > 0 && packets.size() >= static_cast<std::size_t>(options_.max_packets)) {
            av_packet_unref(packet);
            throw limit_exceeded("the stream has more than " + std::to_string(options_.max_packets) + " packets",
                                 "max_packets", options_.max_packets);
        }
        std::size_t palette_size = 0;
        if (const std::uint8_t* palette = packet_side_data(packet, AV_PKT_DATA_PALETTE, &palette_size))
            list.palettes.emplace_back(packets.size(), std::vector<std::uint8_t>(palette, palette + palette_size));
        packets.push_back(describe_packet(packet));
        av_packet_unref(packet);
    }
}

PacketList Demuxer::index_packets() {
    const PacketPtr packet(av_packet_alloc());
    if (!packet) throw std::bad_alloc();
    PacketList list;
    std::vector<PacketInfo>& packets = list.packets;
    std::optional<std::vector<PacketInfo>> from_tables =
        mp4_packets(*source_, interrupter_, format_.get(), format_->streams[stream_index_]);
    if (from_tables) {
        const std::size_t to_check = std::min(from_tables->size(), kPacketsCheckedAgainstTables);
        describe_packets(list, to_check, packet.get());
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
    describe_packets(list, SIZE_MAX, packet.get());  // no tables, or they say otherwise than the demuxer: believe the demuxer
    return list;
}

}  // namespace derenotes
