// The one header that includes FFmpeg: RAII aliases for every FFmpeg object the core owns, and
// the version differences between the FFmpeg releases we build against.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/downmix_info.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#if LIBAVCODEC_VERSION_INT < AV_VERSION_INT(58, 91, 100)
#error "derenotes needs FFmpeg 4.3 or newer (libavcodec 58.91)"
#endif

namespace derenotes {

// Closes a context avio_open2() opened. A context made with avio_alloc_context() (custom read and
// seek callbacks) is freed differently: its maker gives the deleter a `close` of its own.
inline void close_opened_io(AVIOContext* io) { avio_closep(&io); }
struct IoContextDeleter {
    void (*close)(AVIOContext*) = &close_opened_io;
    void operator()(AVIOContext* io) const { close(io); }
};
struct FormatContextDeleter {
    void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
// AVFrame structs are recycled: every decoded picture is handed out in an AVFrame of its own,
// and a malloc and free of one per frame is a measurable share of decoding a small frame.
// alloc_frame() takes a spare struct of this thread's (or allocates one); FrameDeleter drops the
// frame's references and keeps the struct as a spare, up to a few per thread.
AVFrame* alloc_frame();
struct FrameDeleter {
    void operator()(AVFrame* frame) const noexcept;
};
struct ScaleContextDeleter {
    void operator()(SwsContext* context) const { sws_freeContext(context); }
};
struct PacketDeleter {
    void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using ScaleContextPtr = std::unique_ptr<SwsContext, ScaleContextDeleter>;

// The FFmpeg that is loaded (not the headers built against): its release as its build names it
// (av_version_info: "7.1.5", "5.1.9-0+deb12u1") and each library's version ("62.11.100"), in
// the order libavutil, libavcodec, libavformat, libswscale, libswresample.
struct LibraryVersion {
    std::string name;
    std::string version;
};
std::string ffmpeg_release();
std::vector<LibraryVersion> library_versions();

// The version differences between the FFmpeg releases derenotes builds against (4.3 to 9.0, see
// docs/ffmpeg_versions.md): every #if on an FFmpeg version is here and nowhere else.

// FFmpeg 5.1 (libavutil 57.24) replaced a frame's channel count and mask with AVChannelLayout.
#define DERENOTES_HAS_CHANNEL_LAYOUT (LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 24, 100))

// The channels of an audio frame.
inline int frame_channels(const AVFrame* frame) {
#if DERENOTES_HAS_CHANNEL_LAYOUT
    return frame->ch_layout.nb_channels;
#else
    return frame->channels;
#endif
}

// Gives an audio frame `channels` channels in FFmpeg's default layout for that count.
inline void set_default_channels(AVFrame* frame, int channels) {
#if DERENOTES_HAS_CHANNEL_LAYOUT
    av_channel_layout_uninit(&frame->ch_layout);
    av_channel_layout_default(&frame->ch_layout, channels);
#else
    frame->channels = channels;
    frame->channel_layout = static_cast<std::uint64_t>(av_get_default_channel_layout(channels));
#endif
}

// Whether FFmpeg flagged the frame as a key frame (FFmpeg 6.1 moved this into frame->flags).
inline bool frame_is_key(const AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 29, 100)
    return frame->flags & AV_FRAME_FLAG_KEY;
#else
    return frame->key_frame != 0;
#endif
}

// Marks the frame progressive (FFmpeg 6.1 moved this flag into frame->flags too).
inline void clear_interlaced(AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 29, 100)
    frame->flags &= ~AV_FRAME_FLAG_INTERLACED;
#else
    frame->interlaced_frame = 0;
#endif
}

// The pixel-format flag of the XYZ formats (FFmpeg 7.0); 0 before it, where nothing that asks for
// it runs (kFilterGraphNegotiatesColours).
#ifdef AV_PIX_FMT_FLAG_XYZ
constexpr std::uint64_t kPixelFormatFlagXyz = AV_PIX_FMT_FLAG_XYZ;
#else
constexpr std::uint64_t kPixelFormatFlagXyz = 0;
#endif

// How the CLI's scale filter converts, which converter.cpp follows. From FFmpeg 7.1 (libavutil
// 59.39, the libraries derenotes links standing for libavfilter's) on, the filter graph negotiates
// colour ranges and matrices: gray and RGB outputs are full range, YUV keeps the input's.
constexpr bool kFilterGraphNegotiatesColours = LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(59, 39, 100);
// From FFmpeg 8 (libswscale 9) on, it hands sws_scale_frame() whole frames that carry their colour
// properties and the output's negotiated range and matrix, and swscale builds its conversion from
// those; before, it called sws_scale() on a context given the matrices and ranges.
constexpr bool kScalerConvertsFrames = LIBSWSCALE_VERSION_MAJOR >= 9;

// From FFmpeg 8 (libavutil 60) on, the CLI's aresample filter downmixes with the levels the first
// frame carries (AV_FRAME_DATA_DOWNMIX_INFO: AC-3's and E-AC-3's centre, surround and LFE levels);
// checked with 8.1 and 9.0 (8.0 is not in Debian's archive).
constexpr bool kResamplerTakesDownmixInfo = LIBAVUTIL_VERSION_MAJOR >= 60;

// sws_scale_frame() as FFmpeg 8 runs it; called only where kScalerConvertsFrames.
inline int scale_frame(SwsContext* context, AVFrame* destination, const AVFrame* source) {
#if LIBSWSCALE_VERSION_MAJOR >= 9
    return sws_scale_frame(context, destination, source);
#else
    (void)context, (void)destination, (void)source;
    return AVERROR(ENOSYS);
#endif
}

// The stream's display matrix (nine int32), or nullptr (FFmpeg 6.1 moved stream side data into
// codecpar).
inline const std::int32_t* stream_display_matrix(const AVStream& stream) {
    constexpr std::size_t kMatrixBytes = 9 * sizeof(std::int32_t);
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
    const AVPacketSideData* data = av_packet_side_data_get(stream.codecpar->coded_side_data,
                                                           stream.codecpar->nb_coded_side_data,
                                                           AV_PKT_DATA_DISPLAYMATRIX);
    if (!data || data->size < kMatrixBytes) return nullptr;
    return reinterpret_cast<const std::int32_t*>(data->data);
#else
#if LIBAVFORMAT_VERSION_MAJOR >= 59
    std::size_t size = 0;
#else
    int size = 0;  // FFmpeg 4's av_stream_get_side_data takes an int
#endif
    const std::uint8_t* data = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!data || static_cast<std::size_t>(size) < kMatrixBytes) return nullptr;
    return reinterpret_cast<const std::int32_t*>(data);
#endif
}

// libavformat 59 (FFmpeg 5.0) made input formats const; FFmpeg 4 takes them non-const, and only
// reads them.
#if LIBAVFORMAT_VERSION_MAJOR >= 59
using InputFormatArgument = const AVInputFormat*;
#else
using InputFormatArgument = AVInputFormat*;
#endif

inline int probe_input_buffer(AVIOContext* io, const AVInputFormat** format, const char* url, void* log_context,
                              unsigned offset, unsigned max_probe_size) {
    InputFormatArgument probed = nullptr;
    const int result = av_probe_input_buffer2(io, &probed, url, log_context, offset, max_probe_size);
    *format = probed;
    return result;
}

inline int open_input(AVFormatContext** context, const char* url, const AVInputFormat* format,
                      AVDictionary** options) {
    return avformat_open_input(context, url, const_cast<InputFormatArgument>(format), options);
}

// A stream's index (its entries' count and one of them): FFmpeg 4.4 hid AVStream's fields behind
// these functions.
inline int index_entries_count(AVStream* stream) {
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(58, 78, 100)
    return avformat_index_get_entries_count(stream);
#else
    return stream->nb_index_entries;
#endif
}
inline const AVIndexEntry* index_entry(AVStream* stream, int i) {
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(58, 78, 100)
    return avformat_index_get_entry(stream, i);
#else
    return i >= 0 && i < stream->nb_index_entries ? &stream->index_entries[i] : nullptr;
#endif
}

// A packet's side data of one type, and its size (an int before FFmpeg 5).
inline const std::uint8_t* packet_side_data(const AVPacket* packet, AVPacketSideDataType type, std::size_t* size) {
#if LIBAVCODEC_VERSION_MAJOR >= 59
    std::size_t bytes = 0;
#else
    int bytes = 0;
#endif
    const std::uint8_t* data = av_packet_get_side_data(packet, type, &bytes);
    if (size) *size = static_cast<std::size_t>(bytes);
    return data;
}

// The bytes of each plane of an image (av_image_fill_plane_sizes, from FFmpeg 4.4; before it, the
// offsets av_image_fill_pointers gives from a null base).
inline int image_plane_sizes(std::size_t sizes[4], AVPixelFormat format, int height, const std::ptrdiff_t linesizes[4]) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(56, 66, 100)
    return av_image_fill_plane_sizes(sizes, format, height, linesizes);
#else
    int narrow[4];
    for (int i = 0; i < 4; ++i) narrow[i] = static_cast<int>(linesizes[i]);
    std::uint8_t* data[4] = {nullptr, nullptr, nullptr, nullptr};
    const int total = av_image_fill_pointers(data, format, height, nullptr, narrow);
    if (total < 0) return total;
    const auto offset = [&](int i) { return reinterpret_cast<std::uintptr_t>(data[i]); };  // from the null base
    for (int i = 0; i < 4; ++i) {
        const std::uintptr_t end = i < 3 && data[i + 1] ? offset(i + 1) : static_cast<std::uintptr_t>(total);
        sizes[i] = data[i] || i == 0 ? end - offset(i) : 0;
    }
    return total;
#endif
}

// A channel layout, as the FFmpeg built against holds one: an AVChannelLayout, or before 5.1 a
// channel count and a mask (0: the order unspecified).
class ChannelLayout {
  public:
    ChannelLayout() = default;
    ChannelLayout(const ChannelLayout& other) { *this = other; }
    ChannelLayout& operator=(const ChannelLayout& other) {
        if (this == &other) return *this;
#if DERENOTES_HAS_CHANNEL_LAYOUT
        av_channel_layout_uninit(&layout_);
        if (av_channel_layout_copy(&layout_, &other.layout_) < 0) throw std::bad_alloc();
#else
        mask_ = other.mask_;
        channels_ = other.channels_;
#endif
        return *this;
    }
    ~ChannelLayout() {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        av_channel_layout_uninit(&layout_);
#endif
    }

    // FFmpeg's default layout for `channels` channels (unspecified order where it has none).
    static ChannelLayout default_for(int channels) {
        ChannelLayout out;
#if DERENOTES_HAS_CHANNEL_LAYOUT
        av_channel_layout_default(&out.layout_, channels);
#else
        out.mask_ = static_cast<std::uint64_t>(av_get_default_channel_layout(channels));
        out.channels_ = channels;
#endif
        return out;
    }
    // A frame's or a stream's (AVCodecParameters) layout, as stored: its order may be unspecified.
    template <typename WithLayout>
    static ChannelLayout of(const WithLayout& owner) {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        return ChannelLayout(owner.ch_layout);
#else
        return ChannelLayout(owner.channel_layout, owner.channels);
#endif
    }
    // Becomes the layout FFmpeg calls `name` ("stereo", "5.1(side)", "FL+FR"); false if none.
    bool parse(const std::string& name) {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        av_channel_layout_uninit(&layout_);
        return av_channel_layout_from_string(&layout_, name.c_str()) >= 0;
#else
        mask_ = av_get_channel_layout(name.c_str());
        channels_ = av_get_channel_layout_nb_channels(mask_);
        return mask_ != 0;
#endif
    }

    int channels() const {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        return layout_.nb_channels;
#else
        return channels_;
#endif
    }
    bool specified() const {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        return layout_.order != AV_CHANNEL_ORDER_UNSPEC;
#else
        return mask_ != 0;
#endif
    }
    // FFmpeg's description ("stereo", "5.1(side)"); "" for an unspecified order, as in ffprobe.
    std::string name() const {
        char text[128] = {0};
        if (!specified()) return "";
#if DERENOTES_HAS_CHANNEL_LAYOUT
        if (av_channel_layout_describe(&layout_, text, sizeof text) < 0) return "";
#else
        av_get_channel_layout_string(text, sizeof text, channels_, mask_);
#endif
        return text;
    }
    bool operator==(const ChannelLayout& other) const {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        return av_channel_layout_compare(&layout_, &other.layout_) == 0;
#else
        return mask_ == other.mask_ && channels_ == other.channels_;
#endif
    }
    bool operator!=(const ChannelLayout& other) const { return !(*this == other); }

    // A resampler from `in` to `out` (swr_alloc_set_opts2's), not yet initialised: its error code.
    friend int alloc_resampler(SwrContext** context, const ChannelLayout& out, AVSampleFormat out_format,
                               int out_rate, const ChannelLayout& in, AVSampleFormat in_format, int in_rate) {
#if DERENOTES_HAS_CHANNEL_LAYOUT
        // (Some releases take the layouts as non-const pointers; they only read them.)
        return swr_alloc_set_opts2(context, const_cast<AVChannelLayout*>(&out.layout_), out_format, out_rate,
                                   const_cast<AVChannelLayout*>(&in.layout_), in_format, in_rate, 0, nullptr);
#else
        *context = swr_alloc_set_opts(nullptr, static_cast<std::int64_t>(out.mask_), out_format, out_rate,
                                      static_cast<std::int64_t>(in.mask_), in_format, in_rate, 0, nullptr);
        if (!*context) return AVERROR(ENOMEM);
        // The counts too, for a layout whose order is unspecified (a mask of 0).
        av_opt_set_int(*context, "ich", in.channels_, 0);
        av_opt_set_int(*context, "och", out.channels_, 0);
        return 0;
#endif
    }

  private:
#if DERENOTES_HAS_CHANNEL_LAYOUT
    explicit ChannelLayout(const AVChannelLayout& layout) {
        if (av_channel_layout_copy(&layout_, &layout) < 0) throw std::bad_alloc();
    }
    AVChannelLayout layout_{};
#else
    ChannelLayout(std::uint64_t mask, int channels) : mask_(mask), channels_(channels) {}
    std::uint64_t mask_ = 0;
    int channels_ = 0;
#endif
};

}  // namespace derenotes
