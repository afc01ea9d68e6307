// The decoding stage: one codec, set up from a stream's parameters, that takes packets and hands
// out decoded AVFrames, and keeps account of the damage on the way (packets the codec rejected,
// packets the demuxer flagged corrupt, matched to the frames made of them). Knows nothing of
// files, nor of the kind of media: audio can use it as video does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"
#include "derenotes/log.hpp"

namespace derenotes {

struct CodecOptions {
    int threads = 0;  // 0: FFmpeg's automatic count, frame and slice threading; N: exactly N
    // Frames (and stream headers) of more pixels than this are refused; 0: only FFmpeg's limit.
    std::int64_t max_pixels = 0;
    std::shared_ptr<log::ErrorLines> errors = nullptr;  // where the codec's error lines go (log.hpp); may be null
};

class StreamDecoder {
public:
    // Sets up and opens the codec for `stream`. name: what errors name (the source's name).
    StreamDecoder(const AVStream& stream, CodecOptions options, std::string name);
    StreamDecoder(const StreamDecoder&) = delete;
    StreamDecoder& operator=(const StreamDecoder&) = delete;

    const AVCodec& codec() const { return *codec_; }

    // Hands the packet to the codec; false when the codec rejected it as damaged (counted in
    // decode_errors(); decoding goes on with the next packet). Call only when receive() said
    // NeedsInput. skip_if_unreferenced: the codec may drop the packet's picture, making no frame of
    // it, when no other picture refers to it (AVDISCARD_NONREF, for this packet alone).
    bool send(const AVPacket* packet, bool skip_if_unreferenced = false);
    // The end of the input: the codec then gives out the frames it holds back.
    void send_end();

    enum class Status {
        Frame,       // `frame` holds the next frame
        Rejected,    // the codec gave up on a frame (counted in decode_errors()): receive again
        NeedsInput,  // send a packet (or the end), then receive again
        Ended,       // every frame is out (after send_end())
    };
    struct Output {
        Status status = Status::NeedsInput;
        FramePtr frame;        // for Status::Frame
        bool damaged = false;  // the frame comes of damaged input (see below)
    };
    // The next frame: damaged when the codec rejected input since the previous frame, or when
    // the frame is made of a packet the demuxer flagged corrupt.
    Output receive();
    // Forgets everything sent so far (after a seek).
    void reset();

    // Packets and frames the codec rejected as damaged so far.
    std::int64_t decode_errors() const { return decode_errors_; }

private:
    void set_up(const AVStream& stream);  // the codec context from the stream's parameters
    void check_pixel_limit(const AVStream& stream) const;
    void configure(const AVStream& stream);  // threads, time base, limits
    // The Error for the codec's failure: a codec reads no file, so an errno code is about the data.
    Error failure(int code, const char* context) const;
    void count_damage(int code);  // a codec error: raises ENOMEM, counts anything else as damage
    // Frames made from packets the demuxer flagged as corrupt are reported damaged.
    void remember_corrupt_packet(const AVPacket* packet);
    bool from_corrupt_packet(const AVFrame* frame);  // forgets the packet once matched

    CodecOptions options_;
    std::string name_;
    const AVCodec* codec_ = nullptr;
    CodecContextPtr context_;
    std::unique_ptr<log::ContextWatch> watch_;  // after context_: forgotten before the codec is freed
    FramePtr received_;
    std::int64_t decode_errors_ = 0;
    bool damaged_since_last_frame_ = false;
    static constexpr std::size_t kMaxCorruptPacketsRemembered = 16;  // more than any reorder delay
    std::vector<std::int64_t> corrupt_packet_times_;                   // pts (or dts) of such packets
};

}  // namespace derenotes
