// FileSource: files by path, URLs as they are when allowed (see source.hpp).
#include "derenotes/source.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <utility>

#include "derenotes/error.hpp"
#include "derenotes/polled_file.hpp"

namespace derenotes {
namespace {

// A URL ("http://...", "file://..."): handed to FFmpeg as it is. Anything else is a local path.
bool is_url(const std::string& path) {
    const std::size_t colon = path.find("://");
    if (colon == std::string::npos || colon == 0) return false;
    for (std::size_t i = 0; i < colon; ++i)
        if (!std::isalnum(static_cast<unsigned char>(path[i])) && path[i] != '+' && path[i] != '-' && path[i] != '.')
            return false;
    return true;
}

}  // namespace

FileSource::FileSource(std::string path, bool urls_allowed, std::int64_t url_timeout_us)
    : path_(std::move(path)), is_url_(urls_allowed && is_url(path_)), url_timeout_us_(url_timeout_us) {
    url_ = is_url_ ? path_ : "file:" + path_;
}

bool FileSource::seekable() const {
    struct stat status;
    return is_url_ || stat(path_.c_str(), &status) != 0 || !reads_may_wait_forever(status.st_mode);
}

IoContextPtr FileSource::open_io(const AVIOInterruptCB& interrupt) const {
    if (!is_url_) {
        struct stat status;
        if (stat(path_.c_str(), &status) != 0) throw Error(AVERROR(errno), path_, "cannot open file");
        if (S_ISDIR(status.st_mode)) throw Error(AVERROR(EISDIR), path_, "cannot open file");
        if (reads_may_wait_forever(status.st_mode)) return open_polled_file(path_, interrupt);
    }
    AVDictionary* options = nullptr;
    if (is_url_ && url_timeout_us_ > 0) {
        av_dict_set_int(&options, "rw_timeout", url_timeout_us_, 0);  // every protocol's reads
        av_dict_set_int(&options, "timeout", url_timeout_us_, 0);     // TCP's connect and reads
    }
    AVIOContext* io = nullptr;
    const int opened = avio_open2(&io, url_.c_str(), AVIO_FLAG_READ, &interrupt, &options);
    av_dict_free(&options);
    check(opened, path_, "cannot open file");
    return IoContextPtr(io);
}

std::shared_ptr<const Source> file_source(std::string path, bool urls_allowed, std::int64_t url_timeout_us) {
    return std::make_shared<const FileSource>(std::move(path), urls_allowed, url_timeout_us);
}

}  // namespace derenotes
