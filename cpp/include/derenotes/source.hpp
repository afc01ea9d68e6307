// Where a stream's bytes come from. Every layer opens its input through a Source, never by name:
// the demuxer, and the MP4 sample-table reader beside it, each get a fresh AVIOContext of their own
// from it, and random access opens its decoders from the same Source.
//
// Only files (and URLs) exist so far. The interface is made for sources whose bytes are not on a
// path too: bytes in memory, or a language's read/seek callbacks (a custom AVIOContext, which
// IoContextPtr's deleter can close with a function of its own), and sources that cannot seek
// (seekable(): random access needs to, and a source that can be read only once may refuse a
// second open_io()).
#pragma once

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
    bool seekable() const override { return true; }  // as today: FFmpeg finds out when it seeks
    IoContextPtr open_io(const AVIOInterruptCB& interrupt) const override;

private:
    std::string path_, url_;
    bool is_url_;
    std::int64_t url_timeout_us_;
};

// A FileSource, shared: what the bindings hand to Decoder and RandomAccess.
std::shared_ptr<const Source> file_source(std::string path, bool urls_allowed = false, std::int64_t url_timeout_us = 0);

}  // namespace derenotes
