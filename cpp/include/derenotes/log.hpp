// FFmpeg's log, captured. FFmpeg logs from its own worker threads, so the callback must never
// wait on anything a caller may hold (a language's global lock, say): it formats the line and
// queues it under a short private mutex. Bindings drain the queue when they hold their lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace derenotes::log {

struct Message {
    int level;         // FFmpeg's AV_LOG_* level
    std::string text;  // one line, without the trailing newline
};

// Routes FFmpeg's log into the queue (idempotent) and sets FFmpeg's level.
void install(int ffmpeg_level);
void set_level(int ffmpeg_level);
int level();

// Queues a message of derenotes' own at an FFmpeg level (AV_LOG_WARNING ...), when that level is logged.
void message(int ffmpeg_level, std::string text);

// Cheap check for the hot path: is anything queued?
bool pending();
// Takes every queued message; `dropped` tells how many were discarded because the queue was full.
std::vector<Message> drain(std::size_t* dropped);

// The last complete warning-or-worse line logged on the calling thread ("" if none), used in
// error messages; clear_last_line() forgets it before an operation whose failure we report.
std::string last_line();
void clear_last_line();

// FFmpeg's message when it refused a picture for a decoder's max_pixels ("Picture size 16000x16000
// exceeds specified max pixel count ..."), logged on the calling thread since the last call, or
// "". Caught whatever the log level: FFmpeg says in no other way why a probe found no size.
std::string take_pixel_limit_refusal();

// The error lines (AV_LOG_ERROR and worse) FFmpeg logs about one reader's own contexts, as the
// log shows them ("[matroska,webm] File ended prematurely at pos. 2345 (0x929)"), caught whatever
// the log level: how `ffmpeg -v error` tells of damage FFmpeg marks nowhere else (a Matroska file
// cut after its last whole frame; a slice lost where error concealment does not run). The first
// kMax lines are kept.
class ErrorLines {
public:
    static constexpr std::size_t kMax = 100;
    std::vector<std::string> lines() const;
    void clear();

private:
    friend void record_error(const void* context, const std::string& line);
    std::vector<std::string> lines_;  // guarded by the log's one mutex, which a fork leaves unlocked
};

// Attributes FFmpeg's messages about `context` from watch_context() until forget_context() (the
// context is closing): an AVFormatContext, or an AVCodecContext whose opaque is itself (its frame
// threads' copies keep that opaque). Its error lines go to `errors` (may be null); a format
// context's corrupt packets are remembered (take_corrupt_packet). Only watched contexts count, so
// no other context (another library's, or a later one at the same address) is taken for ours.
void watch_context(const void* context, std::shared_ptr<ErrorLines> errors);
void forget_context(const void* context);

// watch_context() for as long as it lives: a member declared after the context it watches is
// destroyed first, also when the owner's constructor throws.
class ContextWatch {
public:
    ContextWatch(const void* context, std::shared_ptr<ErrorLines> errors) : context_(context) {
        watch_context(context, std::move(errors));
    }
    ~ContextWatch() { forget_context(context_); }
    ContextWatch(const ContextWatch&) = delete;
    ContextWatch& operator=(const ContextWatch&) = delete;

private:
    const void* context_;
};

// Whether FFmpeg's demuxing layer logged this packet of that watched format context as corrupt
// ("Packet corrupt (stream = 0, dts = 0)"), caught whatever the log level; each logged packet
// answers once. FFmpeg 4.3 drops a packet's corrupt flag when a parser repacks it (parse_packet
// keeps only the discard flag; 5.1 keeps both): the log still says which packet it was.
bool take_corrupt_packet(const void* format, int stream, std::int64_t dts);

}  // namespace derenotes::log
