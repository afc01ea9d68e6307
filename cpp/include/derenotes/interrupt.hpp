// Interrupting long operations: the user's interrupt check, asked now and then (never more than
// every few milliseconds, and at once when a signal interrupted a blocking read), both by FFmpeg's
// I/O (through the AVIOInterruptCB this hands out) and by loops of our own. Once it has said stop,
// the answer stays stop: the state of whatever was interrupted is undefined, open it again.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"

namespace derenotes {

// Asked now and then while opening, reading and decoding (at most every few milliseconds, and
// whenever a blocking read is interrupted by a signal), on the thread using the decoder:
// returning true abandons the operation with an Error of kind Interrupted.
using InterruptCheck = bool (*)();

class Interrupter {
public:
    // name: what the Interrupted error names (the source's name).
    Interrupter(InterruptCheck check, std::string name) : check_(check), name_(std::move(name)) {}
    // FFmpeg keeps a pointer to this (callback()): it stays where it is.
    Interrupter(const Interrupter&) = delete;
    Interrupter& operator=(const Interrupter&) = delete;

    // Whether the check said stop: asked at most every few ms; once yes, always yes.
    bool should_stop();
    // Throws an Interrupted error when should_stop() says so.
    void check();
    // For FFmpeg's I/O and demuxers: asks should_stop() on this object.
    AVIOInterruptCB callback() { return {&Interrupter::on_ffmpeg_check, this}; }

    // Runs work(); once the check has said stop, throws Interrupted whatever work did. FFmpeg
    // often takes an interrupted read for damaged data or the end of the file, and probing may
    // even succeed on what it read before: an interrupt wins over all of these.
    template <typename Work>
    auto run(Work work) -> decltype(work());

private:
    static int on_ffmpeg_check(void* interrupter);
    Error interrupted() const;

    InterruptCheck check_;
    std::string name_;
    std::int64_t next_check_ns_ = 0;
    bool stopped_ = false;
};

template <typename Work>
auto Interrupter::run(Work work) -> decltype(work()) {
    try {
        if constexpr (std::is_void_v<decltype(work())>) {
            work();
            if (!stopped_) return;
        } else {
            auto result = work();
            if (!stopped_) return result;
        }
    } catch (const Error&) {
        if (!stopped_) throw;
    }
    throw interrupted();
}

}  // namespace derenotes
