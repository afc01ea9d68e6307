// Sources read through AVIOContexts of our own: bytes in memory and a language's read callbacks
// (see source.hpp).
#include <cerrno>
#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "derenotes/error.hpp"
#include "derenotes/source.hpp"

namespace derenotes {
namespace {

// AVIO's buffer: larger than FFmpeg's 32 KiB default, so that a source whose every read is a call
// into Python makes few of them (a 1080p H.264 stream takes a few hundred per second).
constexpr int kIoBufferSize = 256 * 1024;

// One reader of a PositionalSource: where it is, and whom to ask whether to stop.
struct Cursor {
    const PositionalSource* source;
    AVIOInterruptCB interrupt;
    std::int64_t position = 0;
};

int read_packet(void* opaque, std::uint8_t* buffer, int size) {
    auto* cursor = static_cast<Cursor*>(opaque);
    // FFmpeg asks the interrupt callback only in its own protocols' reads: ask it here, so that
    // Ctrl-C and cancelling reach a demuxer that reads a long way through memory.
    if (cursor->interrupt.callback && cursor->interrupt.callback(cursor->interrupt.opaque)) return AVERROR_EXIT;
    const int read = cursor->source->read_at(cursor->position, buffer, size);
    if (read < 0) return read;
    if (read == 0) return AVERROR_EOF;
    cursor->position += read;
    return read;
}

std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* cursor = static_cast<Cursor*>(opaque);
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return cursor->source->size();
    std::int64_t target = offset;
    if (whence == SEEK_CUR) {
        target += cursor->position;
    } else if (whence == SEEK_END) {
        const std::int64_t size = cursor->source->size();
        if (size < 0) return size;
        target += size;
    } else if (whence != SEEK_SET) {
        return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    cursor->position = target;
    return target;
}

void close_positional_io(AVIOContext* io) {
    delete static_cast<Cursor*>(io->opaque);
    av_freep(&io->buffer);
    avio_context_free(&io);
}

class MemorySource final : public PositionalSource {
public:
    MemorySource(std::string name, const std::uint8_t* data, std::size_t size, void* owner, ReleaseOwner release)
        : name_(std::move(name)), data_(data), size_(size), owner_(owner), release_(release) {}
    ~MemorySource() override {
        if (release_) release_(owner_);
    }
    MemorySource(const MemorySource&) = delete;
    MemorySource& operator=(const MemorySource&) = delete;

    const std::string& name() const override { return name_; }
    bool seekable() const override { return true; }
    std::int64_t size() const override { return static_cast<std::int64_t>(size_); }
    int read_at(std::int64_t position, std::uint8_t* buffer, int size) const override {
        if (position >= static_cast<std::int64_t>(size_)) return 0;
        const std::size_t count = std::min<std::size_t>(size, size_ - static_cast<std::size_t>(position));
        std::memcpy(buffer, data_ + position, count);
        return static_cast<int>(count);
    }

private:
    std::string name_;
    const std::uint8_t* data_;
    std::size_t size_;
    void* owner_;
    ReleaseOwner release_;
};

class CallbackSource final : public PositionalSource {
public:
    CallbackSource(std::string name, ReadCallbacks callbacks) : name_(std::move(name)), callbacks_(callbacks) {}
    ~CallbackSource() override {
        if (callbacks_.release) callbacks_.release(callbacks_.owner);
    }
    CallbackSource(const CallbackSource&) = delete;
    CallbackSource& operator=(const CallbackSource&) = delete;

    const std::string& name() const override { return name_; }
    bool seekable() const override { return callbacks_.seekable; }
    std::int64_t size() const override { return callbacks_.size ? callbacks_.size(callbacks_.owner) : AVERROR(ENOSYS); }
    int read_at(std::int64_t position, std::uint8_t* buffer, int size) const override {
        const int read = callbacks_.read(callbacks_.owner, position, buffer, size);
        return read > size ? AVERROR_BUG : read;  // the callback promises never more than asked
    }

private:
    std::string name_;
    ReadCallbacks callbacks_;
};

// Makes a source that releases its owner, releasing the owner also when it cannot be made.
template <typename Made, typename... Arguments>
std::shared_ptr<const Source> make_owning(void* owner, ReleaseOwner release, Arguments&&... arguments) {
    try {
        return std::make_shared<const Made>(std::forward<Arguments>(arguments)...);
    } catch (...) {
        if (release) release(owner);
        throw;
    }
}

}  // namespace

const std::string& PositionalSource::url() const {
    static const std::string kNoUrl;
    return kNoUrl;
}

IoContextPtr PositionalSource::open_io(const AVIOInterruptCB& interrupt) const {
    if (!seekable() && opened_.exchange(true))
        throw Error(AVERROR(ESPIPE), name(), "the source cannot seek, so it can be read only once, from start to end",
                    ErrorKind::NotSeekable);
    auto cursor = std::make_unique<Cursor>(Cursor{this, interrupt});
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
    if (!buffer) throw std::bad_alloc();
    AVIOContext* io = avio_alloc_context(buffer, kIoBufferSize, 0, cursor.get(), &read_packet,
                                         nullptr, seekable() ? &seek : nullptr);
    if (!io) {
        av_free(buffer);
        throw std::bad_alloc();
    }
    cursor.release();  // io->opaque: close_positional_io deletes it
    io->seekable = seekable() ? AVIO_SEEKABLE_NORMAL : 0;
    return IoContextPtr(io, IoContextDeleter{&close_positional_io});
}

void require_seekable(const Source& source, const char* what) {
    if (!source.seekable())
        throw Error(AVERROR(ESPIPE), source.name(),
                    std::string(what) + " needs a source that can seek, and this one can be read only from start to "
                    "end (a pipe or a stream): iterate it, or give the reader bytes, a path or a seekable file",
                    ErrorKind::NotSeekable);
}

std::shared_ptr<const Source> memory_source(std::string name, const std::uint8_t* data, std::size_t size, void* owner,
                                            ReleaseOwner release) {
    return make_owning<MemorySource>(owner, release, std::move(name), data, size, owner, release);
}

std::shared_ptr<const Source> callback_source(std::string name, ReadCallbacks callbacks) {
    return make_owning<CallbackSource>(callbacks.owner, callbacks.release, std::move(name), callbacks);
}

}  // namespace derenotes
