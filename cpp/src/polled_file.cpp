// Reading FIFOs and character devices with poll() (see polled_file.hpp).
#include "derenotes/polled_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <new>

#include "derenotes/error.hpp"

namespace derenotes {
namespace {

// How long one poll() waits before the interrupt callback is asked again: a cancel from another
// thread lands within this (Ctrl-C at once: its signal interrupts poll()).
constexpr int kPollSliceMs = 20;
constexpr int kBufferSize = 32768;

struct PolledFile {
    int fd;
    AVIOInterruptCB interrupt;
};

bool asked_to_stop(const AVIOInterruptCB& interrupt) { return interrupt.callback && interrupt.callback(interrupt.opaque); }

int read_polled(void* opaque, std::uint8_t* buffer, int size) {
    auto* file = static_cast<PolledFile*>(opaque);
    for (;;) {
        // (errno is EINTR here after a signal: the callback then asks the user's check at once.)
        if (asked_to_stop(file->interrupt)) return AVERROR_EXIT;
        // Poll before reading: a FIFO that never had a writer reads as its end, but does not poll
        // readable until a writer came and wrote or went.
        pollfd ready = {file->fd, POLLIN, 0};
        const int polled = poll(&ready, 1, kPollSliceMs);
        if (polled < 0 && errno != EINTR) return AVERROR(errno);
        if (polled <= 0) continue;
        const ssize_t got = read(file->fd, buffer, size);
        if (got > 0) return static_cast<int>(got);
        if (got == 0) return AVERROR_EOF;
        if (errno != EAGAIN && errno != EINTR) return AVERROR(errno);
    }
}

void close_polled_file(AVIOContext* io) {
    if (!io) return;
    auto* file = static_cast<PolledFile*>(io->opaque);
    av_freep(&io->buffer);  // avio may have replaced the buffer it was given
    avio_context_free(&io);
    close(file->fd);
    delete file;
}

}  // namespace

bool reads_may_wait_forever(unsigned mode) { return S_ISFIFO(mode) || S_ISCHR(mode); }

IoContextPtr open_polled_file(const std::string& path, const AVIOInterruptCB& interrupt) {
    // Without O_NONBLOCK, opening a FIFO waits for a writer, asking no one.
    const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw Error(AVERROR(errno), path, "cannot open file");
    auto* file = new (std::nothrow) PolledFile{fd, interrupt};
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
    AVIOContext* io = file && buffer ? avio_alloc_context(buffer, kBufferSize, 0, file, &read_polled, nullptr, nullptr)
                                     : nullptr;
    if (!io) {
        av_free(buffer);
        delete file;
        close(fd);
        throw std::bad_alloc();
    }
    return IoContextPtr(io, IoContextDeleter{&close_polled_file});
}

}  // namespace derenotes
