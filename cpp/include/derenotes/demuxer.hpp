// The demuxing stage: opens a Source with FFmpeg (probing its format), chooses one of its
// streams, reads that stream's packets, seeks, and describes every packet without decoding
// (index_packets(), from an MP4's sample tables where they can be trusted). Knows nothing of
// codecs or of the kind of media.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame_index.hpp"
#include "derenotes/interrupt.hpp"
#include "derenotes/log.hpp"
#include "derenotes/source.hpp"

namespace derenotes {

// The packets of the stream as index_packets() reads them, and the palettes the demuxer attached
// to some of them. A demuxer attaches a palette only where it starts or changes (MOV and AVI to the
// first packet), so a decoder that resumes after a seek needs the last one before that point.
struct PacketList {
    std::vector<PacketInfo> packets;                                            // decode order
    std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> palettes;  // (packet number, bytes)
};

// What the demuxer says of a packet it read.
PacketInfo describe_packet(const AVPacket* packet);

struct DemuxerOptions {
    // Whether the demuxer may open resources other than the source: the entries of a playlist
    // (HLS), a manifest (DASH), a concat list, an image sequence, a MOV's references. Off, any
    // such open is refused and reading fails with an Error of kind Refused naming what the file
    // asked for: a reader reads the one source it was given, so a file from a stranger cannot
    // make it read another file on the machine or a URL.
    bool allow_nested = false;
    // The largest picture, in pixels, that the decoders probing the streams may allocate
    // (avformat_find_stream_info decodes a few frames); 0: only FFmpeg's own limit.
    std::int64_t max_pixels = 0;
    // Files of more streams than this are refused before their streams are probed (each costs a
    // decoder and its buffers there: 999 streams in 1 MB took 1.5 GB); 0: only FFmpeg's limit.
    int max_streams = 0;
    // Indexes of more packets than this are refused: the samples an MP4's tables list (checked
    // before FFmpeg indexes them: 40 million in 1 KB took 1 GB there), the entries of any
    // demuxer's index once the file is open, and the packets index_packets() reads; 0: no limit.
    std::int64_t max_packets = 0;
    // The bytes FFmpeg's probe of the streams may read (its probesize; the format's probe reads
    // no more either); 0: FFmpeg's defaults.
    std::int64_t max_probe_bytes = 0;
    // With nested opens allowed: the most resources FFmpeg may open for the file in one step
    // (opening it, reading one packet, one seek); past it, reading fails with an Error of kind
    // LimitExceeded. A master playlist naming itself made FFmpeg open it again and again (4 GB in
    // 20 s). 0: no limit. How deep lists may nest is bounded by the Interrupter's stack budget.
    int max_nested_opens = 0;
    // With nested opens allowed: FFmpeg's read and connect timeout (rw_timeout, timeout) for the
    // resources the file names, in microseconds; 0: none.
    std::int64_t io_timeout_us = 0;
    // Where the format context's error lines go (log.hpp); may be null.
    std::shared_ptr<log::ErrorLines> errors = nullptr;
};

class Demuxer {
public:
    // Opens the source and reads its stream information. `interrupter` is asked while reading
    // and must outlive the demuxer.
    Demuxer(std::shared_ptr<const Source> source, Interrupter& interrupter, DemuxerOptions options = {});
    ~Demuxer();
    Demuxer(const Demuxer&) = delete;
    Demuxer& operator=(const Demuxer&) = delete;

    const AVFormatContext* format() const { return format_.get(); }
    // How many of the file's streams are of this type.
    int count(AVMediaType type) const;
    // Chooses stream `number` among the file's streams of `type` (like ffmpeg's -map 0:v:N): the
    // demuxer skips the packets of every other stream from now on. Throws StreamNotFound.
    const AVStream& choose(AVMediaType type, int number);
    const AVStream& stream() const { return *format_->streams[stream_index_]; }  // the chosen one

    // The next packet of the chosen stream into `packet`; false at the end of the file.
    bool read(AVPacket* packet);
    // Seeks so that reading resumes at the last key packet at or before `time` (stream time
    // base), as far as the demuxer can tell (see Decoder::seek).
    void seek(std::int64_t time);
    // Every packet of the chosen stream in decode order (see Decoder::index_packets). Reads to
    // the end of the file: seek before reading again.
    PacketList index_packets();

    // The Error for an FFmpeg call's failure, of kind Io only when the operating system failed.
    Error failure(int code, const char* context) const;
    // What FFmpeg said when its probe refused a picture for the pixel limit (the picture's size),
    // or "" when it did not: the stream is then of unknown size.
    const std::string& probe_refused_picture() const { return probe_refused_picture_; }

private:
    void open_input();       // our reader of the source, and the format probed through it
    // The LimitExceeded error: `what` the file has, more than `limit` (an option's name) allows.
    Error limit_exceeded(const std::string& what, const char* limit, std::int64_t value) const;
    void check_stream_count() const;  // throws LimitExceeded past max_streams
    // The format of the source, probed as avformat_open_input would (nullptr when none fits).
    const AVInputFormat* probe_format();
    // Throws LimitExceeded past max_packets: the samples an MP4's tables list, before FFmpeg reads
    // them (`format` probed), and the entries of every stream's index once it has (no format).
    void check_declared_packets(const AVInputFormat* format);
    void check_indexed_packets() const;
    void read_stream_info();
    void check_ffmpeg(int ret, const char* context) const;  // throws failure() when ret < 0
    // FFmpeg's io_open while nested opens are not allowed: refuses, remembering what was asked.
    static int refuse_nested_open(AVFormatContext* format, AVIOContext** io, const char* url, int flags,
                                  AVDictionary** options);
    // FFmpeg's io_open while nested opens are allowed: counts them (see max_nested_opens), and
    // opens with FFmpeg's own opener.
    static int counted_nested_open(AVFormatContext* format, AVIOContext** io, const char* url, int flags,
                                   AVDictionary** options);
    void start_step();  // a new step for max_nested_opens: opening, reading a packet, seeking
    // Throws Refused once a nested open was refused, LimitExceeded once there were too many.
    void check_not_refused() const;
    Error refusal(const std::string& what) const;  // the Refused error: `what` and how to allow it
    // Throws Refused when the format (probed again when null) is a playlist, manifest or list.
    void check_not_a_list_of_files(const AVInputFormat* format);
    // Reads and describes packets until `list` holds `count` (or the end, or damaged data).
    void describe_packets(PacketList& list, std::size_t count, AVPacket* packet);

    // The first packets index_packets() reads to check an MP4's sample tables against the demuxer.
    static constexpr std::size_t kPacketsCheckedAgainstTables = 64;

    std::shared_ptr<const Source> source_;
    Interrupter& interrupter_;
    DemuxerOptions options_;
    std::optional<std::string> refused_;  // the first resource the file asked for and was refused
    std::string probe_refused_picture_;
    int nested_opens_in_step_ = 0;
    std::optional<std::string> opened_too_many_;  // the resource past max_nested_opens
    IoContextPtr io_;  // declared before format_, which uses it: closed after it
    FormatContextPtr format_;
    int stream_index_ = -1;
};

}  // namespace derenotes
