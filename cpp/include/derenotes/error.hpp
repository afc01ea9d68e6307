// One error type for the whole core: FFmpeg's AVERROR code, FFmpeg's message for it, the file,
// what we were doing, and the last line FFmpeg logged on this thread (often the real reason).
#pragma once

#include <stdexcept>
#include <string>

namespace derenotes {

// What kind of failure this is, so that the language binding can pick a fitting exception
// class without knowing FFmpeg's codes.
enum class ErrorKind {
    Io,               // an operating-system error with an errno (missing file, permission, ...)
    InvalidData,      // FFmpeg cannot make sense of the data
    StreamNotFound,   // no such (video) stream in the file
    Unsupported,      // no decoder for this codec, or a format we cannot export
    OutOfMemory,
    LimitExceeded,    // larger than the limit the user set (e.g. pixels per frame)
    Interrupted,      // the user asked to stop (the interrupt check said so)
    OutOfRange,       // no such frame: the stream has fewer
    Refused,          // the file asks for something a reader does not do unless allowed (open another resource)
    NotSeekable,      // the operation needs to seek, and the source (a pipe, a stream) cannot
    Cancelled,        // another thread cancelled the work (closed the reader)
    TimedOut,         // nothing arrived within the timeout the user set (connecting, reading, waiting)
    Other,
};

class Error : public std::runtime_error {
public:
    // code: a negative AVERROR. context: what we were doing, e.g. "cannot open file".
    Error(int code, std::string path, std::string context, ErrorKind kind);
    Error(int code, std::string path, std::string context);

    int code() const { return code_; }
    ErrorKind kind() const { return kind_; }
    // The POSIX errno behind an AVERROR(errno) code, or 0 for FFmpeg's own codes.
    int posix_errno() const;
    const std::string& path() const { return path_; }
    // The message without the path: context, FFmpeg's reason and log line.
    const std::string& detail() const { return detail_; }
    const std::string& reason() const { return reason_; }      // av_strerror(code)
    const std::string& log_line() const { return log_line_; }  // may be empty

private:
    Error(int code, std::string path, std::string context, ErrorKind kind, std::string reason, std::string log_line);

    int code_;
    ErrorKind kind_;
    std::string path_, detail_, reason_, log_line_;
};

// The kind an AVERROR code stands for on its own: any errno value counts as Io, except the few
// (EINVAL, ENOMEM, ENOSYS) FFmpeg uses for data, memory and missing features.
ErrorKind kind_of(int code);

// Throws Error when an FFmpeg call returned a negative code.
inline void check(int ret, const std::string& path, const char* context) {
    if (ret < 0) throw Error(ret, path, context);
}

// A plain copy of the exception in flight, for language bindings that translate C++ exceptions
// inside a catch block: derenotes::Error keeps all its fields, std::bad_alloc becomes
// OutOfMemory, any other std::exception becomes Other with its what().
struct ErrorInfo {
    ErrorKind kind = ErrorKind::Other;
    int code = 0;
    int posix_errno = 0;
    std::string detail, path, reason, log_line;  // as the Error's accessors
};
ErrorInfo current_error_info();

}  // namespace derenotes
