// What a file holds, without decoding: every stream's kind, codec, duration, bit rate and tags,
// and for video its frame rates, sample aspect ratio, display matrix (rotation and flip), colour
// description and field order; for audio its sample rate, channels and sample format. probe()
// opens the source with a Demuxer (the same safety options as decoding); stream_description()
// describes one stream of an open file (what VideoReader shows of its stream).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/source.hpp"

namespace derenotes {

struct DecoderOptions;  // decoder.hpp, which includes this header

// FFmpeg's names throughout (ffprobe's); "" where FFmpeg says unknown or unspecified, 0 or a
// negative value where a number is unknown (as commented).
struct StreamDescription {
    int index = 0;               // among all the file's streams
    std::string kind;            // "video", "audio", "subtitle", "data", "attachment"; "unknown"
    std::string codec;           // the codec's name (ffprobe's codec_name, not the decoder's)
    std::string codec_tag;       // the container's fourcc as ffprobe's codec_tag_string ("avc1",
                                 // "tmcd"; "[1][0][0][0]" for unprintable bytes); "" for none
    std::string profile;         // the codec's profile by name
    double duration = -1;        // seconds; negative when the stream has none of its own
    std::int64_t bit_rate = 0;   // bits per second; 0 when unknown
    std::int64_t frame_count = 0;  // the container's count (nb_frames); 0 when unknown
    std::string language, title;   // the stream's tags
    std::string filename, mimetype;  // tags too: an attachment's file name and MIME type
    // Video.
    int width = 0, height = 0;
    std::string pixel_format;
    int avg_rate_num = 0, avg_rate_den = 0;  // the average frame rate; 0/0 when unknown
    int r_rate_num = 0, r_rate_den = 0;      // FFmpeg's real base frame rate (r_frame_rate); 0/0 when none
    int sar_num = 0, sar_den = 1;            // sample aspect ratio (av_guess_sample_aspect_ratio); 0/1 unknown
    // The display matrix as a player applies it: flip the picture top to bottom when `flipped`,
    // then turn it clockwise by `rotation` degrees (0 to 359, rounded as the ffmpeg CLI rounds;
    // ffprobe's "rotation" is the same angle counter-clockwise). A left-right mirror is 180,
    // flipped. No display matrix: 0, not flipped, has_display_matrix false.
    bool has_display_matrix = false;
    int rotation = 0;
    bool flipped = false;
    std::string color_range, color_space, color_primaries, color_transfer;
    std::string field_order;  // "progressive", "tt", "bb", "tb", "bt"
    // Audio.
    int sample_rate = 0, channels = 0;
    std::string channel_layout, sample_format;
};

struct MediaDescription {
    std::string format;            // the demuxer's name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    std::string format_long_name;
    double duration = -1;          // seconds; negative when unknown
    std::int64_t bit_rate = 0;     // bits per second; 0 when unknown
    std::vector<StreamDescription> streams;
};

StreamDescription stream_description(const AVStream& stream);
MediaDescription media_description(const AVFormatContext& format);

// The file's streams for a message: how many of each kind, each stream named by its codec (else
// its container's tag, else an attachment's file name), the streams of kind `first` first, then
// the other kinds in the order they first appear: "2 video streams (h264, mjpeg) and 1 audio
// stream (pcm_s16le)"; "" when there are none.
std::string stream_summary(const AVFormatContext& format, AVMediaType first = AVMEDIA_TYPE_UNKNOWN);

// Opens the source as a Decoder would (the options about streams are ignored) and describes it.
MediaDescription probe(std::shared_ptr<const Source> source, const DecoderOptions& options);

// The turn and flip of a display matrix (see StreamDescription), as the ffmpeg CLI reads it.
struct DisplayTransform {
    int rotation = 0;
    bool flipped = false;
};
DisplayTransform display_transform(const std::int32_t matrix[9]);

}  // namespace derenotes
