// The interrupt check's clock (see interrupt.hpp).
#include "derenotes/interrupt.hpp"

#include <cerrno>
#include <chrono>

namespace derenotes {
namespace {

// Between interrupt checks: often enough for Ctrl-C to feel immediate, rarely enough to cost
// nothing per frame.
constexpr std::int64_t kInterruptCheckIntervalNs = 20'000'000;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

bool Interrupter::should_stop() {
    if (stopped_) return true;  // FFmpeg may ask again while giving up: the answer stands
    if (!check_) return false;
    // A blocking read that a signal interrupted leaves EINTR: ask right away, for Ctrl-C.
    const bool signal_arrived = errno == EINTR;
    const std::int64_t now = now_ns();
    if (!signal_arrived && now < next_check_ns_) return false;
    next_check_ns_ = now + kInterruptCheckIntervalNs;
    stopped_ = check_();
    return stopped_;
}

// FFmpeg's I/O asks this before and while reading, also after a signal interrupted a read.
int Interrupter::on_ffmpeg_check(void* interrupter) { return static_cast<Interrupter*>(interrupter)->should_stop(); }

void Interrupter::check() {
    if (should_stop()) throw interrupted();
}

Error Interrupter::interrupted() const { return Error(AVERROR_EXIT, name_, "interrupted"); }

}  // namespace derenotes
