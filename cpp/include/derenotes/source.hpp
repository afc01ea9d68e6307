// Where a stream's bytes come from. Every layer opens its input through a Source, never by name:
// the demuxer, and the MP4 sample-table reader beside it, each get a fresh AVIOContext of their own
// from it, and random access opens its decoders from the same Source.
//
// Three kinds: files (and URLs) by name, bytes in memory, and a language's read callbacks (a
// Python file object). The last two are read through AVIOContexts of our own (PositionalSource).
// A source that cannot seek (a pipe, a socket-like object) can be read once, from start to end:
// a second open_io() is refused, and so is random access (require_seekable()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "derenotes/ffmpeg.hpp"

namespace derenotes {

class Source {
public:
    virtual ~Source() = default;

    // What messages and errors call the source (Error::path()): the path of a file.
    virtual const std::string& name() const = 0;
    // The URL given to FFmpeg's avformat_open_input (probing looks at its extension, and
    // demuxers that open further files resolve their names against it); may be empty.
    virtual const std::string& url() const = 0;
    // Whether a reader of it can seek (random access and the MP4 sample tables need to).
    virtual bool seekable() const = 0;
    // A new reader of the source, independent of every other (its own position and buffer).
    // FFmpeg asks `interrupt` while it waits for data. Throws Error when the source cannot be
    // opened (kind Io with the operating system's errno for a missing file).
    virtual IoContextPtr open_io(const AVIOInterruptCB& interrupt) const = 0;
};

// A file by its path, or, when URLs are allowed, a URL with a scheme ("http://...", "file://...")
// handed to FFmpeg as it is. Otherwise every string is a path: "tcp://host:1" or "pipe:0" name
// files, so that a name from a stranger cannot make the reader connect or read stdin. A local
// path is checked with stat() on each open, so that a missing file or a directory gets the
// operating system's own error, and gets FFmpeg's "file:" prefix, so that a name with a colon
// ("12:30.mp4") is not taken for a protocol. FIFOs and character devices are read with poll(), so
// that a stalled writer cannot block a reader beyond the interrupt callback's reach
// (polled_file.hpp). url_timeout_us: FFmpeg's connect and read timeout for a URL; 0: none.
class FileSource : public Source {
public:
    explicit FileSource(std::string path, bool urls_allowed = false, std::int64_t url_timeout_us = 0);

    const std::string& name() const override { return path_; }
    const std::string& url() const override { return url_; }
    // False for FIFOs and character devices; true otherwise (a URL: FFmpeg finds out when it seeks).
    bool seekable() const override;
    IoContextPtr open_io(const AVIOInterruptCB& interrupt) const override;

private:
    std::string path_, url_;
    bool is_url_;
    std::int64_t url_timeout_us_;
};

// A FileSource, shared: what the bindings hand to Decoder and RandomAccess.
std::shared_ptr<const Source> file_source(std::string path, bool urls_allowed = false, std::int64_t url_timeout_us = 0);

// Throws an Error of kind NotSeekable, naming what needs to seek, unless the source can seek.
void require_seekable(const Source& source, const char* what);

// A source read by position (read_at) through an AVIOContext of our own per open_io(): each has
// its own position, so that several readers of one source never disturb each other. Its URL is
// empty: FFmpeg probes the bytes alone, and no name can make a demuxer look for neighbours.
class PositionalSource : public Source {
public:
    const std::string& url() const override;
    IoContextPtr open_io(const AVIOInterruptCB& interrupt) const override;

    // Reads up to `size` bytes at `position` into `buffer`: how many (0 at the end of the
    // source), or a negative AVERROR code. Never more than `size`.
    virtual int read_at(std::int64_t position, std::uint8_t* buffer, int size) const = 0;
    // The size in bytes, or a negative AVERROR code when it is not known.
    virtual std::int64_t size() const = 0;

private:
    mutable std::atomic<bool> opened_{false};  // a source that cannot seek is opened once
};

// What owns the memory or the callbacks' state of the sources below (a Python object): released
// once, when the source is destroyed.
using ReleaseOwner = void (*)(void* owner);

// Bytes in memory, read where they are: the owner keeps them alive and unchanged until released.
std::shared_ptr<const Source> memory_source(std::string name, const std::uint8_t* data, std::size_t size, void* owner,
                                            ReleaseOwner release);

// A language's reading functions. read: as PositionalSource::read_at (position is where the
// previous read ended unless the source is seekable). size: the size in bytes, or a negative
// AVERROR code when unknown. Called on the thread that uses the reader, one call at a time per
// reader; the functions take the language's locks themselves.
struct ReadCallbacks {
    void* owner = nullptr;
    int (*read)(void* owner, std::int64_t position, std::uint8_t* buffer, int size) = nullptr;
    std::int64_t (*size)(void* owner) = nullptr;
    ReleaseOwner release = nullptr;
    bool seekable = false;
};
std::shared_ptr<const Source> callback_source(std::string name, ReadCallbacks callbacks);

}  // namespace derenotes
