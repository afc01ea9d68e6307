// When to stop (see interrupt.hpp).
#include "derenotes/interrupt.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>

namespace derenotes {
namespace {

// Between interrupt checks: often enough for Ctrl-C to feel immediate, rarely enough to cost
// nothing per frame.
constexpr std::int64_t kInterruptCheckIntervalNs = 20'000'000;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// An address in the caller's stack frame: the stack grows down on every platform we build for.
[[gnu::noinline]] std::uintptr_t stack_position() {
    volatile char marker = 0;
    return reinterpret_cast<std::uintptr_t>(&marker);
}

// "2.5" for 2.5 s.
std::string seconds_text(std::int64_t ns) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(ns) / 1e9);
    return text;
}

}  // namespace

Interrupter::RunScope::RunScope(Interrupter& interrupter)
    : interrupter_(interrupter), outermost_(interrupter.stack_top_ == 0) {
    if (outermost_) {
        interrupter_.stack_top_ = stack_position();
        interrupter_.run_thread_ = std::this_thread::get_id();
    }
    interrupter_.made_progress();
}

Interrupter::RunScope::~RunScope() {
    if (outermost_) interrupter_.stack_top_ = 0;
}

void Interrupter::made_progress() {
    if (options_.stall_timeout_ns > 0) stall_deadline_ns_ = now_ns() + options_.stall_timeout_ns;
}

bool Interrupter::stop(Reason reason) {
    reason_ = reason;
    return true;
}

bool Interrupter::should_stop() {
    if (reason_ != Reason::None) return true;  // FFmpeg may ask again while giving up: the answer stands
    if (options_.cancel && options_.cancel->cancelled()) return stop(Reason::Cancelled);
    // A blocking read that a signal interrupted leaves EINTR: ask right away, for Ctrl-C.
    const bool signal_arrived = errno == EINTR;
    const std::int64_t now = now_ns();
    if (!signal_arrived && now < next_check_ns_) return false;
    next_check_ns_ = now + kInterruptCheckIntervalNs;
    if (options_.check && options_.check()) return stop(Reason::Interrupted);
    if (watched_io_ && watched_io_->bytes_read != watched_bytes_) {
        watched_bytes_ = watched_io_->bytes_read;
        made_progress();
    }
    if (stall_deadline_ns_ > 0 && now > stall_deadline_ns_) return stop(Reason::StalledTooLong);
    return false;
}

bool Interrupter::nested_too_deep() {
    // Only on the thread that entered run(): FFmpeg's own threads have stacks of their own.
    if (stack_top_ == 0 || std::this_thread::get_id() != run_thread_) return false;
    const std::uintptr_t here = stack_position();
    return here < stack_top_ && stack_top_ - here > kNestingStackBudget;
}

// FFmpeg's I/O asks this before and while reading, also after a signal interrupted a read; a
// nested demuxer (concat's) asks it too, which is how its recursion is seen at all.
int Interrupter::on_ffmpeg_check(void* opaque) {
    auto* interrupter = static_cast<Interrupter*>(opaque);
    if (interrupter->reason_ == Reason::None && interrupter->nested_too_deep())
        return interrupter->stop(Reason::NestedTooDeep);
    return interrupter->should_stop();
}

void Interrupter::check() {
    if (should_stop()) throw stop_error();
}

Error Interrupter::stop_error() const {
    switch (reason_) {
        case Reason::Cancelled:
            return Error(AVERROR_EXIT, name_, "cancelled: the reader was closed from another thread",
                         ErrorKind::Cancelled);
        case Reason::StalledTooLong:
            return Error(AVERROR(ETIMEDOUT), name_,
                         "nothing arrived for " + seconds_text(options_.stall_timeout_ns) +
                             " s (raise timeout=, or None to wait forever)",
                         ErrorKind::TimedOut);
        case Reason::NestedTooDeep:
            return Error(AVERROR(ERANGE), name_,
                         "the file's lists of files nest too deep (more than " +
                             std::to_string(kNestingStackBudget / 1024) +
                             " KiB of stack, about 450 levels): a list that names itself?",
                         ErrorKind::LimitExceeded);
        default: return Error(AVERROR_EXIT, name_, "interrupted", ErrorKind::Interrupted);
    }
}

}  // namespace derenotes
