// Decoding one stream: a Demuxer and a StreamDecoder put together for one of a source's video
// or audio streams, giving its frames in presentation order as Frames (flushing the codec at
// the end of the file), with the stream's description, and the seeking random access needs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "derenotes/demuxer.hpp"
#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame.hpp"
#include "derenotes/frame_index.hpp"
#include "derenotes/interrupt.hpp"
#include "derenotes/plane_layout.hpp"
#include "derenotes/probe.hpp"
#include "derenotes/source.hpp"
#include "derenotes/stream_decoder.hpp"

namespace derenotes {

struct StreamInfo {
    int video_stream_count = 0, audio_stream_count = 0;  // the file's streams of each kind
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
    bool lossless = false;                   // the codec is lossless (PCM, FLAC, ALAC, FFV1 ...)
    double start_time = 0;                   // seconds: the stream's first timestamp (0 when unknown)
    StreamDescription description;           // what probe() says of the stream (rotation, colours)
};

struct DecoderOptions {
    AVMediaType media = AVMEDIA_TYPE_VIDEO;  // the kind of stream decoded: video or audio
    int stream = 0;  // counts the file's streams of that kind only (like ffmpeg's -map 0:v:N, 0:a:N)
    int threads = 0;       // 0: FFmpeg's automatic count, frame and slice threading; N: exactly N
    // Frames (and stream headers) of more pixels than this are refused, so that a hostile header
    // cannot make the decoder allocate gigabytes; 0 leaves only FFmpeg's own limit.
    std::int64_t max_pixels = 0;
    InterruptCheck interrupted = nullptr;  // see interrupt.hpp
    bool allow_nested = false;             // see DemuxerOptions
    int max_streams = 0;                   // see DemuxerOptions
    std::int64_t max_packets = 0;          // see DemuxerOptions
    std::int64_t max_probe_bytes = 0;      // see DemuxerOptions
    std::shared_ptr<const CancelFlag> cancel;  // see interrupt.hpp; may be null
    // Seconds: how long a call may go without anything arriving (a packet, a byte, a nested
    // resource) before it gives up with an Error of kind TimedOut, and the read timeout of the
    // resources the file names (see DemuxerOptions::io_timeout_us); 0: wait forever.
    double timeout = 0;
    int max_nested_opens = 0;  // see DemuxerOptions
};

class Decoder {
public:
    explicit Decoder(std::shared_ptr<const Source> source, DecoderOptions options = {});

    const StreamInfo& info() const { return info_; }
    // The next frame in presentation order, or nullptr once the stream is done.
    std::unique_ptr<Frame> next();
    // Packets the decoder rejected as damaged so far (decoding went on after each).
    std::int64_t decode_errors() const { return codec_->decode_errors(); }
    // The error lines FFmpeg logged about this file's demuxer and this stream's decoder since the
    // file was (re)opened, whatever the log level (log::ErrorLines).
    std::vector<std::string> logged_errors() const { return errors_->lines(); }

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
    // Random access: packets whose pts `unwanted` says yes to (key and damaged ones aside) are
    // sent with leave to drop their picture when no other refers to it: no frame comes of them
    // then. Null: every packet makes its frames.
    void skip_unreferenced(std::function<bool(std::int64_t pts)> unwanted) { unwanted_ = std::move(unwanted); }
    // Gives the packet seek() returned this palette (AV_PKT_DATA_PALETTE) unless it has its own.
    void attach_palette(const std::vector<std::uint8_t>& palette);
    // Throws an Interrupted error when the interrupt check says stop (asked at most every few
    // ms): for callers that decode many frames in one go, between frames.
    void check_interrupt() { interrupter_.check(); }

private:
    void check_options() const;
    // Throws LimitExceeded when the probe found no size for the stream because its decoder
    // refused the picture for max_pixels (a 123-byte SVG of 16000x16000).
    void check_probe_not_refused(const AVStream& stream) const;
    void open();
    std::unique_ptr<Frame> decode_next();  // next() without the last word on interruptions
    // Sends the next packet of our stream to the codec, or the end of input at the end.
    void feed();
    std::shared_ptr<const std::vector<PlaneLayout>> layout_for(const AVFrame* frame);

    std::shared_ptr<const Source> source_;
    DecoderOptions options_;
    Interrupter interrupter_;  // before the stages, which FFmpeg lets ask it: destroyed after them
    std::shared_ptr<log::ErrorLines> errors_ = std::make_shared<log::ErrorLines>();
    std::unique_ptr<Demuxer> demuxer_;
    std::unique_ptr<StreamDecoder> codec_;
    PacketPtr packet_;
    StreamInfo info_;
    bool input_ended_ = false;     // the codec was sent the end of input (or must seek first)
    bool packet_pending_ = false;  // packet_ holds a packet read by seek(), not yet sent
    std::optional<PacketInfo> last_fed_;
    std::function<bool(std::int64_t pts)> unwanted_;  // see skip_unreferenced()
    std::optional<Error> demux_error_;  // raised once the frames before it are out
    std::int64_t frames_out_ = 0;
    std::shared_ptr<const std::vector<PlaneLayout>> layout_;
    int layout_format_ = -1, layout_width_ = -1, layout_height_ = -1;
};

}  // namespace derenotes
