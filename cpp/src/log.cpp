// FFmpeg's log callback, the per-thread line assembly and the bounded queue the bindings drain
// (see log.hpp).
#include "derenotes/log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <pthread.h>
#include <utility>

#include "derenotes/ffmpeg.hpp"

namespace derenotes::log {

// A line about a watched context to its ErrorLines (ErrorLines' friend, defined below).
void record_error(const void* context, const std::string& line);

namespace {

constexpr std::size_t kMaxQueued = 1000;

std::mutex queue_mutex;
std::deque<Message> queue;
std::size_t dropped_count = 0;
std::atomic<bool> queue_pending{false};

// FFmpeg may log one line in several calls; each thread assembles its own lines.
thread_local std::string partial_line;
thread_local std::string last_warning;
thread_local std::string pixel_limit_refusal;

// av_image_check_size2's message (libavutil/imgutils.c) when a picture is over max_pixels.
constexpr const char* kPixelLimitMessage = "exceeds specified max pixel count";

// ff_read_packet's warning (libavformat) for a packet the demuxer flagged as corrupt.
constexpr const char* kCorruptPacketMessage = "Packet corrupt (stream = ";
constexpr std::size_t kMaxCorruptPackets = 64;

struct CorruptPacket {
    const void* format;
    int stream;
    std::int64_t dts;
};
struct WatchedContext {
    const void* context;
    std::shared_ptr<ErrorLines> errors;
};
// Global, not per thread: a reader's probe and its reads may run on different threads, and a
// decoder's frame threads log for it. watch_mutex guards these and every ErrorLines.
std::mutex watch_mutex;
std::vector<WatchedContext> watched_contexts;
std::deque<CorruptPacket> corrupt_packets;
std::atomic<bool> corrupt_pending{false};
std::atomic<bool> watching_errors{false};

bool is_watched(const void* context) {
    return std::any_of(watched_contexts.begin(), watched_contexts.end(),
                       [&](const WatchedContext& watched) { return watched.context == context; });
}

// The watched context a message is about: a codec context stands for itself through its opaque,
// which its frame threads' copies share (see watch_context).
const void* watched_key(void* avcl) {
    if (!avcl) return nullptr;
    const AVClass* av_class = *static_cast<AVClass**>(avcl);
    if (av_class == avcodec_get_class()) return static_cast<AVCodecContext*>(avcl)->opaque;
    return avcl;
}

void remember_corrupt_packet(const void* format, const char* line) {
    const char* found = std::strstr(line, kCorruptPacketMessage);
    int stream = 0;
    char dts[32] = {};
    if (!found || std::sscanf(found + std::strlen(kCorruptPacketMessage), "%d, dts = %31[^)]", &stream, dts) != 2) return;
    const std::int64_t time = std::strcmp(dts, "NOPTS") == 0 ? AV_NOPTS_VALUE : std::strtoll(dts, nullptr, 10);
    std::lock_guard<std::mutex> lock(watch_mutex);
    if (!is_watched(format)) return;
    if (corrupt_packets.size() == kMaxCorruptPackets) corrupt_packets.pop_front();
    corrupt_packets.push_back(CorruptPacket{format, stream, time});
    corrupt_pending.store(true, std::memory_order_release);
}

void enqueue(int level, std::string text) {
    std::lock_guard<std::mutex> lock(queue_mutex);
    if (queue.size() >= kMaxQueued) {
        queue.pop_front();
        ++dropped_count;
    }
    queue.push_back(Message{level, std::move(text)});
    queue_pending.store(true, std::memory_order_release);
}

// "[h264] message": the context's name without FFmpeg's "@ 0x55d2..." address.
std::string context_prefix(void* avcl) {
    if (!avcl) return "";
    const AVClass* av_class = *static_cast<AVClass**>(avcl);
    if (!av_class || !av_class->item_name) return "";
    return std::string("[") + av_class->item_name(avcl) + "] ";
}

void callback(void* avcl, int level, const char* fmt, va_list args) {
    const bool pixel_limit = level <= AV_LOG_ERROR && fmt && std::strstr(fmt, kPixelLimitMessage);
    const bool corrupt_packet = fmt && std::strncmp(fmt, kCorruptPacketMessage, std::strlen(kCorruptPacketMessage)) == 0;
    const bool logged = level <= av_log_get_level();
    const void* error_key = level <= AV_LOG_ERROR && watching_errors.load(std::memory_order_acquire)
                                ? watched_key(avcl) : nullptr;
    if (!logged && !pixel_limit && !corrupt_packet && !error_key) return;
    char chunk[1024];
    int no_prefix = 0;
    av_log_format_line2(avcl, level, fmt, args, chunk, sizeof chunk, &no_prefix);
    if (corrupt_packet) remember_corrupt_packet(avcl, chunk);
    if (pixel_limit) {
        pixel_limit_refusal = chunk;
        while (!pixel_limit_refusal.empty() && pixel_limit_refusal.back() == '\n') pixel_limit_refusal.pop_back();
    }
    if (!logged && !error_key) return;
    if (partial_line.empty()) partial_line = context_prefix(avcl);
    partial_line += chunk;
    std::size_t newline;
    while ((newline = partial_line.find('\n')) != std::string::npos) {
        std::string line = partial_line.substr(0, newline);
        partial_line.erase(0, newline + 1);
        if (line.empty()) continue;
        if (error_key) record_error(error_key, line);
        if (!logged) continue;
        if (level <= AV_LOG_WARNING) last_warning = line;
        enqueue(level, std::move(line));
    }
}

}  // namespace

void install(int ffmpeg_level) {
    static std::once_flag installed;
    std::call_once(installed, [] {
        av_log_set_callback(callback);
        // A fork while a decoding thread holds the queue (or the corrupt packets) would leave the
        // child's copy locked for ever: the forking thread holds both across the fork instead,
        // and both sides let go.
        pthread_atfork([] { queue_mutex.lock(); watch_mutex.lock(); },
                       [] { watch_mutex.unlock(); queue_mutex.unlock(); },
                       [] { watch_mutex.unlock(); queue_mutex.unlock(); });
    });
    set_level(ffmpeg_level);
}

void set_level(int ffmpeg_level) { av_log_set_level(ffmpeg_level); }
int level() { return av_log_get_level(); }

void message(int ffmpeg_level, std::string text) {
    if (ffmpeg_level <= av_log_get_level()) enqueue(ffmpeg_level, std::move(text));
}

bool pending() { return queue_pending.load(std::memory_order_acquire); }

std::vector<Message> drain(std::size_t* dropped) {
    std::lock_guard<std::mutex> lock(queue_mutex);
    std::vector<Message> out(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
    queue.clear();
    if (dropped) *dropped = dropped_count;
    dropped_count = 0;
    queue_pending.store(false, std::memory_order_release);
    return out;
}

std::string last_line() { return last_warning; }
void clear_last_line() { last_warning.clear(); }

std::string take_pixel_limit_refusal() { return std::exchange(pixel_limit_refusal, {}); }

void record_error(const void* context, const std::string& line) {
    std::lock_guard<std::mutex> lock(watch_mutex);
    for (const WatchedContext& watched : watched_contexts)
        if (watched.context == context && watched.errors && watched.errors->lines_.size() < ErrorLines::kMax)
            watched.errors->lines_.push_back(line);
}

std::vector<std::string> ErrorLines::lines() const {
    std::lock_guard<std::mutex> lock(watch_mutex);
    return lines_;
}

void ErrorLines::clear() {
    std::lock_guard<std::mutex> lock(watch_mutex);
    lines_.clear();
}

void watch_context(const void* context, std::shared_ptr<ErrorLines> errors) {
    std::lock_guard<std::mutex> lock(watch_mutex);
    if (errors) watching_errors.store(true, std::memory_order_release);
    watched_contexts.push_back(WatchedContext{context, std::move(errors)});
}

bool take_corrupt_packet(const void* format, int stream, std::int64_t dts) {
    if (!corrupt_pending.load(std::memory_order_acquire)) return false;  // the read path's usual answer
    std::lock_guard<std::mutex> lock(watch_mutex);
    const auto match = std::find_if(corrupt_packets.begin(), corrupt_packets.end(), [&](const CorruptPacket& packet) {
        return packet.format == format && packet.stream == stream && packet.dts == dts;
    });
    if (match == corrupt_packets.end()) return false;
    corrupt_packets.erase(match);
    corrupt_pending.store(!corrupt_packets.empty(), std::memory_order_release);
    return true;
}

void forget_context(const void* context) {
    std::lock_guard<std::mutex> lock(watch_mutex);
    watched_contexts.erase(std::remove_if(watched_contexts.begin(), watched_contexts.end(),
                                          [&](const WatchedContext& watched) { return watched.context == context; }),
                           watched_contexts.end());
    watching_errors.store(std::any_of(watched_contexts.begin(), watched_contexts.end(),
                                      [](const WatchedContext& watched) { return watched.errors != nullptr; }),
                          std::memory_order_release);
    corrupt_packets.erase(std::remove_if(corrupt_packets.begin(), corrupt_packets.end(),
                                         [&](const CorruptPacket& packet) { return packet.format == context; }),
                          corrupt_packets.end());
    corrupt_pending.store(!corrupt_packets.empty(), std::memory_order_release);
}

}  // namespace derenotes::log
