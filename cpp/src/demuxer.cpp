// The demuxing stage (see demuxer.hpp).
#include "derenotes/demuxer.hpp"

#include <algorithm>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "derenotes/log.hpp"
#include "derenotes/mp4_index.hpp"

namespace derenotes {

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

Demuxer::Demuxer(std::shared_ptr<const Source> source, Interrupter& interrupter)
    : source_(std::move(source)), interrupter_(interrupter) {
    open_input();
    read_stream_info();
}

Error Demuxer::failure(int code, const char* context) const {
    // FFmpeg codes an operating-system error as AVERROR(errno), but demuxers and decoders return
    // such codes for bad data too (the y4m demuxer refuses an impossible picture size with
    // EBUSY): an errno is the system's only when our AVIOContext recorded a failed read.
    const bool read_failed = io_ && io_->error < 0 && io_->error != AVERROR_EOF;
    if (kind_of(code) == ErrorKind::Io && !read_failed) return Error(code, source_->name(), context, ErrorKind::InvalidData);
    return Error(code, source_->name(), context);
}

void Demuxer::check_ffmpeg(int ret, const char* context) const {
    if (ret < 0) throw failure(ret, context);
}

void Demuxer::open_input() {
    // We open the input ourselves, so that we can tell the operating system's failures (recorded
    // in our AVIOContext) from a demuxer's (see failure()).
    const AVIOInterruptCB interrupt = interrupter_.callback();
    io_ = source_->open_io(interrupt);
    format_.reset(avformat_alloc_context());
    if (!format_) throw std::bad_alloc();
    format_->pb = io_.get();
    format_->interrupt_callback = interrupt;  // for files a demuxer opens itself
    AVFormatContext* raw_format = format_.release();  // avformat_open_input frees it on failure
    const std::string& url = source_->url();
    check_ffmpeg(avformat_open_input(&raw_format, url.empty() ? nullptr : url.c_str(), nullptr, nullptr),
                 "cannot open file");
    format_.reset(raw_format);
}

void Demuxer::read_stream_info() {
    check_ffmpeg(avformat_find_stream_info(format_.get(), nullptr), "cannot read stream information");
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
        const std::string kind = av_get_media_type_string(type) ? av_get_media_type_string(type) : "such";
        const int available = count(type);
        throw Error(AVERROR_STREAM_NOT_FOUND, source_->name(),
                    available == 0 ? "the file has no " + kind + " stream"
                                   : "no " + kind + " stream " + std::to_string(number) + ": the file has " +
                                         std::to_string(available) + " " + kind + " stream" + (available == 1 ? "" : "s") +
                                         " (0 to " + std::to_string(available - 1) + ")");
    }
    // The demuxer skips packets of every other stream.
    for (unsigned i = 0; i < format_->nb_streams; ++i)
        if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
    return stream();
}

bool Demuxer::read(AVPacket* packet) {
    for (;;) {
        const int read = av_read_frame(format_.get(), packet);
        if (read == AVERROR_EOF) return false;
        if (read < 0) throw failure(read, "cannot read the file");
        if (packet->stream_index == stream_index_) return true;
        av_packet_unref(packet);
    }
}

void Demuxer::seek(std::int64_t time) {
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
        std::size_t palette_size = 0;
        if (const std::uint8_t* palette = av_packet_get_side_data(packet, AV_PKT_DATA_PALETTE, &palette_size))
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
        mp4_packets(*source_, interrupter_.callback(), format_.get(), format_->streams[stream_index_]);
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
