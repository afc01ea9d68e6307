// The one error type (see error.hpp): its message, its kind, and its copy for bindings.
#include "derenotes/error.hpp"

#include <cerrno>
#include <new>
#include <utility>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/log.hpp"

namespace derenotes {
namespace {

// FFmpeg encodes errno values as AVERROR(e) == -e; its own codes are large tagged negatives.
constexpr int kMaxErrno = 4095;

int errno_of(int code) { return (code < 0 && code >= -kMaxErrno) ? -code : 0; }

}  // namespace

ErrorKind kind_of(int code) {
    switch (code) {
        case AVERROR_STREAM_NOT_FOUND: return ErrorKind::StreamNotFound;
        case AVERROR_DECODER_NOT_FOUND:
        case AVERROR_DEMUXER_NOT_FOUND:
        case AVERROR_PATCHWELCOME:
        case AVERROR(ENOSYS): return ErrorKind::Unsupported;
        case AVERROR(ENOMEM): return ErrorKind::OutOfMemory;
        case AVERROR(EINVAL): return ErrorKind::InvalidData;
        case AVERROR_EXIT: return ErrorKind::Interrupted;
        case AVERROR(ETIMEDOUT): return ErrorKind::TimedOut;
        default: break;
    }
    return errno_of(code) ? ErrorKind::Io : ErrorKind::InvalidData;
}

namespace {

std::string ffmpeg_reason(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, text, sizeof text);
    return text;
}

std::string compose_detail(const std::string& context, const std::string& reason, const std::string& log_line) {
    std::string message = context;
    if (!reason.empty()) message += ": " + reason;
    if (!log_line.empty() && log_line != reason) message += " (FFmpeg: " + log_line + ")";
    return message;
}

std::string compose(const std::string& path, const std::string& detail) {
    return path.empty() ? detail : "'" + path + "': " + detail;
}

}  // namespace

Error::Error(int code, std::string path, std::string context, ErrorKind kind)
    : Error(code, std::move(path), std::move(context), kind, ffmpeg_reason(code), log::last_line()) {}

Error::Error(int code, std::string path, std::string context, ErrorKind kind, std::string reason,
             std::string log_line)
    : std::runtime_error(compose(path, compose_detail(context, reason, log_line))),
      code_(code),
      kind_(kind),
      path_(std::move(path)),
      detail_(compose_detail(context, reason, log_line)),
      reason_(std::move(reason)),
      log_line_(std::move(log_line)) {}

Error::Error(int code, std::string path, std::string context)
    : Error(code, std::move(path), std::move(context), kind_of(code)) {}

int Error::posix_errno() const { return errno_of(code_); }

ErrorInfo current_error_info() {
    ErrorInfo info;
    try {
        throw;
    } catch (const Error& e) {
        info.kind = e.kind();
        info.code = e.code();
        info.posix_errno = e.posix_errno();
        info.path = e.path();
        info.detail = e.detail();
        info.reason = e.reason();
        info.log_line = e.log_line();
    } catch (const std::bad_alloc& e) {
        info.kind = ErrorKind::OutOfMemory;
        info.detail = e.what();
    } catch (const std::exception& e) {
        info.detail = e.what();
    } catch (...) {
        info.detail = "unknown C++ exception";
    }
    return info;
}

}  // namespace derenotes
