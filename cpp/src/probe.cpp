// Describing a file's streams without decoding (see probe.hpp).
#include "derenotes/probe.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
}

#include "derenotes/decoder.hpp"
#include "derenotes/demuxer.hpp"
#include "derenotes/interrupt.hpp"
#include "derenotes/log.hpp"

namespace derenotes {
namespace {

std::string text(const char* value) { return value ? value : ""; }

std::string tag(const AVDictionary* tags, const char* key) {
    const AVDictionaryEntry* entry = av_dict_get(tags, key, nullptr, 0);
    return entry ? text(entry->value) : "";
}

// FFmpeg's name of a colour property, "" for unspecified (FFmpeg's "unknown").
template <typename Value>
std::string color_name(const char* (*name_of)(Value), Value value, Value unspecified) {
    return value == unspecified ? "" : text(name_of(value));
}

std::string field_order_name(AVFieldOrder order) {
    switch (order) {
        case AV_FIELD_PROGRESSIVE: return "progressive";
        case AV_FIELD_TT: return "tt";
        case AV_FIELD_BB: return "bb";
        case AV_FIELD_TB: return "tb";
        case AV_FIELD_BT: return "bt";
        default: return "";
    }
}

void describe_video(const AVStream& stream, StreamDescription& out) {
    const AVCodecParameters& par = *stream.codecpar;
    out.width = par.width;
    out.height = par.height;
    out.pixel_format = text(av_get_pix_fmt_name(static_cast<AVPixelFormat>(par.format)));
    out.avg_rate_num = stream.avg_frame_rate.num;
    out.avg_rate_den = stream.avg_frame_rate.den;
    out.r_rate_num = stream.r_frame_rate.num;
    out.r_rate_den = stream.r_frame_rate.den;
    // (It reads the stream only, but is declared to take it, and the format, mutable.)
    const AVRational sar = av_guess_sample_aspect_ratio(nullptr, const_cast<AVStream*>(&stream), nullptr);
    if (sar.num > 0 && sar.den > 0) {
        out.sar_num = sar.num;
        out.sar_den = sar.den;
    }
    if (const std::int32_t* matrix = stream_display_matrix(stream)) {
        out.has_display_matrix = true;
        const DisplayTransform transform = display_transform(matrix);
        out.rotation = transform.rotation;
        out.flipped = transform.flipped;
    }
    out.color_range = color_name(av_color_range_name, par.color_range, AVCOL_RANGE_UNSPECIFIED);
    out.color_space = color_name(av_color_space_name, par.color_space, AVCOL_SPC_UNSPECIFIED);
    out.color_primaries = color_name(av_color_primaries_name, par.color_primaries, AVCOL_PRI_UNSPECIFIED);
    out.color_transfer = color_name(av_color_transfer_name, par.color_trc, AVCOL_TRC_UNSPECIFIED);
    out.field_order = field_order_name(par.field_order);
}

void describe_audio(const AVStream& stream, StreamDescription& out) {
    const AVCodecParameters& par = *stream.codecpar;
    out.sample_rate = par.sample_rate;
    const ChannelLayout layout = ChannelLayout::of(par);
    out.channels = layout.channels();
    out.channel_layout = layout.name();
    out.sample_format = text(av_get_sample_fmt_name(static_cast<AVSampleFormat>(par.format)));
}

// A stream's name in a message: an attachment's file name; else its codec; else the container's
// tag (a timecode track: "tmcd"); else "unknown". (FFmpeg 4 gives a text attachment the codec
// "text", later releases none: the file name says more, and the same in every release.)
std::string stream_name(const AVStream& stream) {
    const std::string filename = tag(stream.metadata, "filename");
    if (stream.codecpar->codec_type == AVMEDIA_TYPE_ATTACHMENT && !filename.empty()) return filename;
    if (const AVCodecDescriptor* descriptor = avcodec_descriptor_get(stream.codecpar->codec_id)) return descriptor->name;
    if (stream.codecpar->codec_tag) {
        char fourcc[AV_FOURCC_MAX_STRING_SIZE] = {0};
        return av_fourcc_make_string(fourcc, stream.codecpar->codec_tag);
    }
    return "unknown";
}

// "1 video stream", "2 subtitle streams", "1 attachment".
std::string count_of(AVMediaType type, std::size_t count) {
    const char* kind = av_get_media_type_string(type);
    const std::string noun = type == AVMEDIA_TYPE_ATTACHMENT ? "attachment" : std::string(kind ? kind : "unknown") + " stream";
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// 0 for no timeout; a century for anything longer (as the Decoder's).
std::int64_t seconds_to_ns(double seconds) {
    if (!(seconds > 0)) return 0;
    return seconds < 3e9 ? static_cast<std::int64_t>(seconds * 1e9) : std::int64_t{3'000'000'000} * 1'000'000'000;
}

}  // namespace

DisplayTransform display_transform(const std::int32_t matrix[9]) {
    DisplayTransform transform;
    // As the ffmpeg CLI's autorotate (get_rotation): the angle rounded to a degree, in [0, 360).
    const double angle = av_display_rotation_get(matrix);
    if (std::isnan(angle)) return transform;  // a degenerate matrix: nothing a player can do
    double theta = -std::round(angle);
    theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
    transform.rotation = static_cast<int>(theta) % 360;
    // A mirror image when the matrix's 2x2 part turns the axes' order around (its determinant is
    // negative): the decoded x axis is where `rotation` says, the y axis on the other side of it.
    const double determinant = static_cast<double>(matrix[0]) * matrix[4] - static_cast<double>(matrix[1]) * matrix[3];
    transform.flipped = determinant < 0;
    return transform;
}

StreamDescription stream_description(const AVStream& stream) {
    const AVCodecParameters& par = *stream.codecpar;
    StreamDescription out;
    out.index = stream.index;
    const char* kind = av_get_media_type_string(par.codec_type);
    out.kind = kind ? kind : "unknown";
    if (const AVCodecDescriptor* descriptor = avcodec_descriptor_get(par.codec_id)) out.codec = descriptor->name;
    if (par.codec_tag) {
        char fourcc[AV_FOURCC_MAX_STRING_SIZE] = {0};
        out.codec_tag = av_fourcc_make_string(fourcc, par.codec_tag);
    }
    out.profile = text(avcodec_profile_name(par.codec_id, par.profile));
    if (stream.duration != AV_NOPTS_VALUE && stream.duration >= 0 && stream.time_base.den > 0)
        out.duration = stream.duration * av_q2d(stream.time_base);
    out.bit_rate = par.bit_rate > 0 ? par.bit_rate : 0;
    out.frame_count = stream.nb_frames > 0 ? stream.nb_frames : 0;
    out.language = tag(stream.metadata, "language");
    out.title = tag(stream.metadata, "title");
    out.filename = tag(stream.metadata, "filename");
    out.mimetype = tag(stream.metadata, "mimetype");
    if (par.codec_type == AVMEDIA_TYPE_VIDEO) describe_video(stream, out);
    if (par.codec_type == AVMEDIA_TYPE_AUDIO) describe_audio(stream, out);
    return out;
}

MediaDescription media_description(const AVFormatContext& format) {
    MediaDescription out;
    if (format.iformat) {
        out.format = text(format.iformat->name);
        out.format_long_name = text(format.iformat->long_name);
    }
    if (format.duration != AV_NOPTS_VALUE && format.duration >= 0)
        out.duration = format.duration / static_cast<double>(AV_TIME_BASE);
    out.bit_rate = format.bit_rate > 0 ? format.bit_rate : 0;
    out.streams.reserve(format.nb_streams);
    for (unsigned i = 0; i < format.nb_streams; ++i) out.streams.push_back(stream_description(*format.streams[i]));
    return out;
}

std::string stream_summary(const AVFormatContext& format, AVMediaType first) {
    constexpr std::size_t kMostNames = 8;  // of one kind; then "..."
    std::vector<std::pair<AVMediaType, std::vector<std::string>>> kinds;  // in the order they first appear
    for (unsigned i = 0; i < format.nb_streams; ++i) {
        const AVStream& stream = *format.streams[i];
        const AVMediaType type = stream.codecpar->codec_type;
        auto kind = std::find_if(kinds.begin(), kinds.end(), [type](const auto& kind) { return kind.first == type; });
        if (kind == kinds.end()) kind = kinds.insert(kinds.end(), {type, {}});
        kind->second.push_back(stream_name(stream));
    }
    std::stable_partition(kinds.begin(), kinds.end(), [first](const auto& kind) { return kind.first == first; });
    std::string summary;
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        if (k > 0) summary += k + 1 == kinds.size() ? " and " : ", ";
        const std::vector<std::string>& names = kinds[k].second;
        summary += count_of(kinds[k].first, names.size()) + " (";
        for (std::size_t n = 0; n < names.size() && n < kMostNames; ++n) summary += (n ? ", " : "") + names[n];
        summary += names.size() > kMostNames ? ", ...)" : ")";
    }
    return summary;
}

MediaDescription probe(std::shared_ptr<const Source> source, const DecoderOptions& options) {
    if (!source) throw Error(AVERROR(EINVAL), "", "no source to probe");
    Interrupter interrupter(InterruptOptions{options.interrupted, options.cancel, seconds_to_ns(options.timeout)},
                            source->name());
    return interrupter.run([&] {
        log::clear_last_line();
        DemuxerOptions demuxer_options{options.allow_nested, options.max_pixels, options.max_streams,
                                       options.max_packets, options.max_probe_bytes};
        demuxer_options.max_nested_opens = options.max_nested_opens;
        demuxer_options.io_timeout_us = seconds_to_ns(options.timeout) / 1000;
        Demuxer demuxer(source, interrupter, demuxer_options);
        return media_description(*demuxer.format());
    });
}

}  // namespace derenotes
