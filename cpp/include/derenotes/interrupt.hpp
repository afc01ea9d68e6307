// Interrupting long operations. The Interrupter is asked now and then, both by FFmpeg's I/O
// (through the AVIOInterruptCB this hands out) and by loops of our own, and says stop when:
// - the user's interrupt check says so (Ctrl-C; asked never more than every few milliseconds, and
//   at once when a signal interrupted a blocking read),
// - another thread cancelled the work (a CancelFlag, asked on every call),
// - nothing arrived for longer than the stall timeout (a packet, a byte, a nested resource), or
// - FFmpeg's nested demuxers recursed deeper than the stack budget (a list naming itself).
// Once it has said stop, the answer stays stop: the state of whatever was interrupted is
// undefined, open it again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"

namespace derenotes {

// Asked now and then while opening, reading and decoding (at most every few milliseconds, and
// whenever a blocking read is interrupted by a signal), on the thread using the decoder:
// returning true abandons the operation with an Error of kind Interrupted.
using InterruptCheck = bool (*)();

// Set from any thread to stop the work of every decoder given it: the work in progress ends
// with an Error of kind Cancelled, and so does all work after. Never cleared.
class CancelFlag {
public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> cancelled_{false};
};

// Whether an error says that the Interrupter stopped the work (rather than that it failed).
inline bool stopped_by_interrupter(ErrorKind kind) {
    return kind == ErrorKind::Interrupted || kind == ErrorKind::Cancelled || kind == ErrorKind::TimedOut;
}

struct InterruptOptions {
    InterruptCheck check = nullptr;             // the user's check (Ctrl-C)
    std::shared_ptr<const CancelFlag> cancel;   // another thread's cancel; may be null
    // Stop when nothing arrived for this long (see Interrupter::made_progress); 0: never.
    std::int64_t stall_timeout_ns = 0;
};

class Interrupter {
public:
    // name: what the errors name (the source's name).
    Interrupter(InterruptOptions options, std::string name) : options_(std::move(options)), name_(std::move(name)) {}
    Interrupter(InterruptCheck check, std::string name) : Interrupter(InterruptOptions{check, nullptr, 0}, std::move(name)) {}
    // FFmpeg keeps a pointer to this (callback()): it stays where it is.
    Interrupter(const Interrupter&) = delete;
    Interrupter& operator=(const Interrupter&) = delete;

    // Whether to stop (see the top of this file); once yes, always yes.
    bool should_stop();
    // Throws the error for the reason to stop when should_stop() says so.
    void check();
    // For FFmpeg's I/O and demuxers: asks should_stop() on this object, and checks how deep
    // nested demuxers have recursed.
    AVIOInterruptCB callback() { return {&Interrupter::on_ffmpeg_check, this}; }
    // Something arrived (a packet, a nested resource opened): the stall timeout starts again.
    void made_progress();
    // Counts the bytes read through `io` as progress too (null: none). It must outlive the work.
    void watch_reads(const AVIOContext* io) { watched_io_ = io; }

    // Runs work(); once the interrupter has said stop, throws its error whatever work did.
    // FFmpeg often takes an interrupted read for damaged data or the end of the file, and probing
    // may even succeed on what it read before: a stop wins over all of these. The stall timeout
    // starts again with each run.
    template <typename Work>
    auto run(Work work) -> decltype(work());

    // The most stack FFmpeg's demuxers may use below run() while FFmpeg asks this object: a
    // concat list naming itself recursed 19,400 opens deep (a segfault on a 2 MiB thread stack).
    // Each level takes about 290 bytes: this admits about 450, any honest nesting, before the
    // 1024 files a process may open by default run out.
    static constexpr std::uintptr_t kNestingStackBudget = 128 * 1024;

private:
    enum class Reason { None, Interrupted, Cancelled, StalledTooLong, NestedTooDeep };

    static int on_ffmpeg_check(void* interrupter);
    bool stop(Reason reason);
    bool nested_too_deep();
    Error stop_error() const;

    // Marks where run() was entered (the outermost run), for nested_too_deep().
    class RunScope {
    public:
        explicit RunScope(Interrupter& interrupter);
        ~RunScope();
        RunScope(const RunScope&) = delete;
        RunScope& operator=(const RunScope&) = delete;

    private:
        Interrupter& interrupter_;
        bool outermost_;
    };

    InterruptOptions options_;
    std::string name_;
    std::int64_t next_check_ns_ = 0;
    std::int64_t stall_deadline_ns_ = 0;  // 0: no deadline
    const AVIOContext* watched_io_ = nullptr;
    std::int64_t watched_bytes_ = 0;
    std::uintptr_t stack_top_ = 0;  // where the outermost run() was entered; 0: not in run()
    std::thread::id run_thread_;
    Reason reason_ = Reason::None;
};

template <typename Work>
auto Interrupter::run(Work work) -> decltype(work()) {
    RunScope scope(*this);
    try {
        if constexpr (std::is_void_v<decltype(work())>) {
            work();
            if (reason_ == Reason::None) return;
        } else {
            auto result = work();
            if (reason_ == Reason::None) return result;
        }
    } catch (const Error&) {
        if (reason_ == Reason::None) throw;
    }
    throw stop_error();
}

}  // namespace derenotes
