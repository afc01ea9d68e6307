// libFuzzer target: the input bytes as a media file, decoded by derenotes::Decoder (video, then
// audio), every plane of every frame read according to our own layout description, video
// converted to RGB and audio with libswresample, then a few frames by random access; the input
// given as bytes in memory and through read callbacks, as the bindings give bytes and file objects. Built with
// AddressSanitizer and UndefinedBehaviorSanitizer (`make fuzz`): an out-of-bounds plane
// description, a leak, undefined behaviour or any exception other than derenotes::Error is a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/audio_converter.hpp"
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
        require((layout.height > 0 || layout.is_audio) && layout.row_bytes > 0 && layout.view_row_extent() <= layout.row_bytes);
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

// The input as a language binding's file object would give it: read callbacks over the bytes,
// returning at most a few kilobytes per call (short reads), seekable or not.
struct CallbackInput {
    const std::uint8_t* data;
    std::size_t size;
};

int read_short(void* owner, std::int64_t position, std::uint8_t* buffer, int size) {
    const auto* input = static_cast<const CallbackInput*>(owner);
    if (position < 0 || static_cast<std::size_t>(position) >= input->size) return 0;
    const std::size_t count = std::min<std::size_t>({static_cast<std::size_t>(size), input->size - position, 4096});
    std::memcpy(buffer, input->data + position, count);
    return static_cast<int>(count);
}

std::int64_t input_size(void* owner) { return static_cast<std::int64_t>(static_cast<const CallbackInput*>(owner)->size); }

std::shared_ptr<const derenotes::Source> callback_input(CallbackInput& input, bool seekable) {
    derenotes::ReadCallbacks callbacks;
    callbacks.owner = &input;
    callbacks.read = &read_short;
    callbacks.size = &input_size;
    callbacks.seekable = seekable;
    return derenotes::callback_source("<fuzz input>", callbacks);
}

derenotes::DecoderOptions fuzz_options() {
    derenotes::DecoderOptions options;
    options.threads = 1;  // one thread: reproducible runs
    options.max_pixels = kMaxPixels;
    return options;
}

// Iteration: every plane of the first frames read, converted, made writable and read again.
void decode(const std::shared_ptr<const derenotes::Source>& source) {
    try {
        derenotes::Decoder decoder(source, fuzz_options());
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
}

// Every sample of the converter's output, read (as AudioReader.read copies them).
void read_converted(const derenotes::AudioConverter& converter) {
    std::uint8_t sum = 0;
    for (int channel = 0; channel < converter.channels(); ++channel)
        for (int i = 0; i < converter.samples() * converter.bytes_per_sample(); ++i) sum ^= converter.plane(channel)[i];
    volatile std::uint8_t keep = sum;
    (void)keep;
}

// Audio: every plane of the first frames read (the sample layouts, as the bindings export them),
// and the frames converted as AudioReader.read converts them: s16, mono, resampled to 16 kHz,
// with the times reckoned (a hostile stream may change its rate and layout from frame to frame).
void decode_audio(const std::shared_ptr<const derenotes::Source>& source) {
    try {
        derenotes::DecoderOptions options = fuzz_options();
        options.media = AVMEDIA_TYPE_AUDIO;
        derenotes::Decoder decoder(source, options);
        derenotes::AudioConverter converter({AV_SAMPLE_FMT_S16, 16000, 1, ""});
        const AVRational time_base{decoder.info().time_base_num, decoder.info().time_base_den};
        for (int i = 0; i < kMaxFrames; ++i) {
            std::unique_ptr<derenotes::Frame> frame = decoder.next();
            if (!frame) {
                converter.flush();
                break;
            }
            read_planes(*frame);
            converter.convert(*frame, time_base);
            read_converted(converter);
            converter.clear_output();
        }
        read_converted(converter);
    } catch (const derenotes::Error&) {
    }
}

// Random access: the frame index (an MP4's sample tables are parsed here) and seeks.
void access_randomly(const std::shared_ptr<const derenotes::Source>& source) {
    try {
        derenotes::RandomAccess random(source, fuzz_options());
        const std::int64_t frames = random.size();
        for (std::int64_t number : {frames / 2, std::int64_t{0}, frames - 1}) {
            if (number < 0 || number >= frames) continue;
            read_planes(*random.frame(number));
        }
    } catch (const derenotes::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Through our log queue rather than to stderr: quiet, and it exercises log.cpp as well.
    derenotes::log::install(AV_LOG_WARNING);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The bytes in memory as they are (what bytes given to a reader become), and the same bytes
    // through read callbacks (a file object): seekable for random access, and not, read once.
    const auto in_memory = derenotes::memory_source("<fuzz input>", data, size, nullptr, nullptr);
    decode(in_memory);
    decode_audio(in_memory);
    CallbackInput input{data, size};
    access_randomly(callback_input(input, true));
    decode(callback_input(input, false));
    derenotes::log::drain(nullptr);  // as the bindings do after each call
    return 0;
}
