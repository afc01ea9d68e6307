// Opens a file, picks one of its video streams, and decodes it frame by frame in presentation
// order, flushing the decoder at end of file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame.hpp"
#include "derenotes/frame_index.hpp"

namespace derenotes {

struct StreamInfo {
    int video_stream_count = 0;
    int stream_index = 0;  // among all the file's streams
    int width = 0, height = 0;
    std::string pixel_format;  // FFmpeg's name, "" if unknown
    std::string codec;         // the decoder's name
    int fps_num = 0, fps_den = 0;            // average frame rate; 0/0 when unknown
    int rate_num = 0, rate_den = 0;          // FFmpeg's guess of the frame rate (r_frame_rate); 0/0 when none
    int time_base_num = 0, time_base_den = 1;
    double duration = -1;                    // seconds; negative when unknown
    std::int64_t frame_count = -1;           // the container's count; negative when unknown
    int reorder_delay = 0;                   // frames the decoder holds back to reorder (video_delay)
    bool intra_only = false;                 // the codec codes every frame on its own
};

// The packets of the stream as index_packets() reads them, and the palettes the demuxer attached
// to some of them. A demuxer attaches a palette only where it starts or changes (MOV and AVI to the
// first packet), so a decoder that resumes after a seek needs the last one before that point.
struct PacketList {
    std::vector<PacketInfo> packets;                                            // decode order
    std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> palettes;  // (packet number, bytes)
};

// What the demuxer says of a packet it read.
PacketInfo describe_packet(const AVPacket* packet);

// Asked now and then while opening, reading and decoding (at most every few milliseconds, and
// whenever a blocking read is interrupted by a signal), on the thread using the decoder:
// returning true abandons the operation with an Error of kind Interrupted.
using InterruptCheck = bool (*)();

struct DecoderOptions {
    int video_stream = 0;  // counts the file's video streams only (like ffmpeg's -map 0:v:N)
    int threads = 0;       // 0: FFmpeg's automatic count, frame and slice threading; N: exactly N
    // Frames (and stream headers) of more pixels than this are refused, so that a hostile header
    // cannot make the decoder allocate gigabytes; 0 leaves only FFmpeg's own limit.
    std::int64_t max_pixels = 0;
    InterruptCheck interrupted = nullptr;
};

class Decoder {
public:
    explicit Decoder(std::string path, DecoderOptions options = {});

    const StreamInfo& info() const { return info_; }
    // The next frame in presentation order, or nullptr once the stream is done.
    std::unique_ptr<Frame> next();
    // Packets the decoder rejected as damaged so far (decoding went on after each).
    std::int64_t decode_errors() const { return decode_errors_; }

    // Random access (see RandomAccess). Every packet of the stream in decode order, without
    // decoding: from an MP4's sample tables when the first packets read agree with them and the
    // file holds every sample they list, else by reading them all. Call before decoding; the
    // decoder must then seek before it decodes.
    PacketList index_packets();
    // Seeks so that decoding resumes at the last key packet at or before `time` (stream time
    // base), as far as the demuxer can tell: returns the first packet there (fed to the decoder
    // next), or nothing at the end of the file. Demuxers differ in what time they look up (MP4's
    // index holds decode times before the edit list's shift, Matroska's presentation times,
    // MPEG-TS decode times): the caller checks where it landed.
    std::optional<PacketInfo> seek(std::int64_t time);
    // The last packet sent to the decoder since the last seek (nothing right after one).
    const std::optional<PacketInfo>& last_fed() const { return last_fed_; }
    // Gives the packet seek() returned this palette (AV_PKT_DATA_PALETTE) unless it has its own.
    void attach_palette(const std::vector<std::uint8_t>& palette);
    // Throws an Interrupted error when the interrupt check says stop (asked at most every few
    // ms): for callers that decode many frames in one go, between frames.
    void check_interrupt();

private:
    void open();
    std::unique_ptr<Frame> decode_next();  // next() without the last word on interruptions
    bool read_packet();  // the next packet of our stream into packet_; false at the end
    // Runs work(); once the interrupt check has said stop, throws Interrupted whatever it did.
    template <typename Work>
    auto interruptible(Work work) -> decltype(work());
    // Whether options_.interrupted said stop: asked at most every few ms, and once it said yes
    // the answer stays yes (the decoder's state is then undefined: open a new one).
    bool should_stop();
    static int on_ffmpeg_interrupt_check(void* decoder);
    // The Error for an FFmpeg call's failure, of kind Io only when the operating system failed.
    Error failure(int code, const char* context) const;
    void check_ffmpeg(int ret, const char* context) const;  // throws failure() when ret < 0
    // Sends the next packet of our stream to the decoder, or the flush signal at end of input.
    void feed();
    std::shared_ptr<const std::vector<PlaneLayout>> layout_for(const AVFrame* frame);
    // Frames made from packets the demuxer flagged as corrupt are reported corrupt.
    void remember_corrupt_packet(const AVPacket* packet);
    bool from_corrupt_packet(const AVFrame* frame);  // forgets the packet once matched

    // The first packets index_packets() reads to check an MP4's sample tables against the demuxer.
    static constexpr std::size_t kPacketsCheckedAgainstTables = 64;

    std::string path_;
    DecoderOptions options_;
    std::int64_t next_interrupt_check_ns_ = 0;
    bool interrupted_ = false;
    IoContextPtr io_;          // declared before format_, which uses it: closed after it
    FormatContextPtr format_;
    CodecContextPtr codec_;
    PacketPtr packet_;
    FramePtr received_;
    StreamInfo info_;
    bool flushing_ = false;
    bool packet_pending_ = false;  // packet_ holds a packet read by seek(), not yet sent
    std::optional<PacketInfo> last_fed_;
    std::optional<Error> demux_error_;  // raised once the frames before it are out
    std::int64_t frames_out_ = 0;
    std::int64_t decode_errors_ = 0;
    bool damaged_since_last_frame_ = false;
    static constexpr std::size_t kMaxCorruptPacketsRemembered = 16;  // more than any reorder delay
    std::vector<std::int64_t> corrupt_packet_times_;                   // pts (or dts) of such packets
    std::shared_ptr<const std::vector<PlaneLayout>> layout_;
    int layout_format_ = -1, layout_width_ = -1, layout_height_ = -1;
};

}  // namespace derenotes
