// libFuzzer target: the input bytes as a media file, decoded by derenotes::Decoder, every plane
// of every frame read according to our own layout description and converted to RGB, then a few
// frames by random access. Built with AddressSanitizer and UndefinedBehaviorSanitizer (`make fuzz`): an
// out-of-bounds plane description, a leak, undefined behaviour or any exception other than
// derenotes::Error is a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/converter.hpp"
#include "derenotes/decoder.hpp"
#include "derenotes/log.hpp"
#include "derenotes/random_access.hpp"
#include "derenotes/source.hpp"

namespace {

// Small enough that a mutated header cannot make one input take seconds; the samples are
// at most 640x360.
constexpr std::int64_t kMaxPixels = 1024 * 1024;
constexpr int kMaxFrames = 50;

volatile std::uint8_t sink;

// Reads every byte in [data, data + size): ASan reports any of them outside a live allocation.
void read_bytes(const std::uint8_t* data, std::size_t size) {
    std::uint8_t sum = 0;
    for (std::size_t i = 0; i < size; ++i) sum += data[i];
    sink = sum;
}

void require(bool condition) {
    if (!condition) std::abort();
}

// The two ways the bindings export a plane: row by row (the image-shaped view) and as one raw
// range from its lowest address (numpy.frombuffer).
void read_planes(const derenotes::Frame& frame) {
    for (const derenotes::PlaneLayout& layout : frame.planes()) {
        const derenotes::PlaneSpan span = frame.span(layout.index);
        require(layout.height > 0 && layout.row_bytes > 0 && layout.view_row_extent() <= layout.row_bytes);
        for (int row = 0; row < layout.height; ++row)
            read_bytes(span.first_row + row * span.row_stride, layout.row_bytes);
        read_bytes(span.lowest, span.raw_bytes);
    }
}

// frame.to_ndarray()'s default: swscale reads every plane of the frame; into an array of exactly
// the image's size, as NumPy's, so that a write past it is a heap overflow.
void convert_to_rgb24(const derenotes::Frame& frame) {
    const std::size_t size = static_cast<std::size_t>(frame.width()) * frame.height() * 3;
    std::vector<std::uint8_t> rgb(size);
    std::uint8_t* data[4] = {rgb.data(), nullptr, nullptr, nullptr};
    const int linesize[4] = {frame.width() * 3, 0, 0, 0};
    derenotes::convert_frame(frame, AV_PIX_FMT_RGB24, frame.width(), frame.height(),
                             derenotes::scale_flags_named(""), data, linesize);
    read_bytes(rgb.data(), size);
}

// The input is a file source: an in-memory file, reached through /proc, rewritten for each input.
int input_file() {
    static const int fd = memfd_create("decoder_fuzzer_input", MFD_CLOEXEC);
    require(fd >= 0);
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Through our log queue rather than to stderr: quiet, and it exercises log.cpp as well.
    derenotes::log::install(AV_LOG_WARNING);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = input_file();
    require(ftruncate(fd, 0) == 0);
    require(pwrite(fd, data, size, 0) == static_cast<ssize_t>(size));

    const std::shared_ptr<const derenotes::Source> source = derenotes::file_source("/proc/self/fd/" + std::to_string(fd));
    derenotes::DecoderOptions options;
    options.threads = 1;  // one thread: reproducible runs
    options.max_pixels = kMaxPixels;
    try {
        derenotes::Decoder decoder(source, options);
        for (int i = 0; i < kMaxFrames; ++i) {
            std::unique_ptr<derenotes::Frame> frame = decoder.next();
            if (!frame) break;
            read_planes(*frame);
            convert_to_rgb24(*frame);
            frame->make_writable();  // a copy in buffers FFmpeg allocates itself: another layout to check
            read_planes(*frame);
        }
    } catch (const derenotes::Error&) {
        // What bad input is meant to produce.
    }
    try {
        // Random access: the frame index (an MP4's sample tables are parsed here) and seeks.
        derenotes::RandomAccess random(source, options);
        const std::int64_t frames = random.size();
        for (std::int64_t number : {frames / 2, std::int64_t{0}, frames - 1}) {
            if (number < 0 || number >= frames) continue;
            read_planes(*random.frame(number));
        }
    } catch (const derenotes::Error&) {
    }
    derenotes::log::drain(nullptr);  // as the bindings do after each call
    return 0;
}
