// The per-thread spare AVFrame structs behind alloc_frame() and FrameDeleter, and the versions of
// the FFmpeg libraries loaded (see ffmpeg.hpp).
#include "derenotes/ffmpeg.hpp"

#include <cstddef>

namespace derenotes {
namespace {

// A decoder has a few frames in flight; more are spare only when the user keeps frames, and
// then the allocation is not what counts.
constexpr std::size_t kSpareFramesPerThread = 16;

struct SpareFrames {
    AVFrame* frames[kSpareFramesPerThread];
    std::size_t count = 0;
    ~SpareFrames() {
        while (count > 0) av_frame_free(&frames[--count]);
    }
};

thread_local SpareFrames spare;

std::string dotted(unsigned version) {
    return std::to_string(AV_VERSION_MAJOR(version)) + "." + std::to_string(AV_VERSION_MINOR(version)) + "." +
           std::to_string(AV_VERSION_MICRO(version));
}

}  // namespace

std::string ffmpeg_release() { return av_version_info(); }

std::vector<LibraryVersion> library_versions() {
    return {{"libavutil", dotted(avutil_version())},     {"libavcodec", dotted(avcodec_version())},
            {"libavformat", dotted(avformat_version())}, {"libswscale", dotted(swscale_version())},
            {"libswresample", dotted(swresample_version())}};
}

AVFrame* alloc_frame() { return spare.count > 0 ? spare.frames[--spare.count] : av_frame_alloc(); }

void FrameDeleter::operator()(AVFrame* frame) const noexcept {
    if (spare.count < kSpareFramesPerThread) {
        av_frame_unref(frame);  // leaves the struct as av_frame_alloc() makes it
        spare.frames[spare.count++] = frame;
    } else {
        av_frame_free(&frame);
    }
}

}  // namespace derenotes
