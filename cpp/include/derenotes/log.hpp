// FFmpeg's log, captured. FFmpeg logs from its own worker threads, so the callback must never
// wait on anything a caller may hold (a language's global lock, say): it formats the line and
// queues it under a short private mutex. Bindings drain the queue when they hold their lock.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Whether FFmpeg's demuxing layer logged this packet of that format context as corrupt ("Packet
// corrupt (stream = 0, dts = 0)"), caught whatever the log level; each logged packet answers once.
// FFmpeg 4.3 drops a packet's corrupt flag when a parser repacks it (parse_packet keeps only the
// discard flag; 5.1 keeps both): the log still says which packet it was. Only the contexts
// watched, from watch_corrupt_packets() until forget_corrupt_packets(), are remembered: no
// other's packets can be taken for those of a later context at the same address.
void watch_corrupt_packets(const void* format);
bool take_corrupt_packet(const void* format, int stream, std::int64_t dts);
void forget_corrupt_packets(const void* format);  // the context is closing

}  // namespace derenotes::log
