// The decoder on real sample clips (see samples/manifest.json).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "derenotes/decoder.hpp"
#include "derenotes/error.hpp"
#include "derenotes/log.hpp"
#include "derenotes/source.hpp"

namespace derenotes {
namespace {

std::string sample(const std::string& name) { return std::string(DERENOTES_SAMPLES_DIR) + "/" + name; }

DecoderOptions stream(int video_stream) {
    DecoderOptions options;
    options.stream = video_stream;
    return options;
}

std::vector<std::unique_ptr<Frame>> decode_all(Decoder& decoder) {
    std::vector<std::unique_ptr<Frame>> frames;
    while (auto frame = decoder.next()) frames.push_back(std::move(frame));
    return frames;
}

// A checksum of a plane's pixel rows, padding excluded.
std::uint64_t plane_sum(const Frame& frame, int plane) {
    const PlaneLayout& layout = frame.planes().at(plane);
    const PlaneSpan span = frame.span(plane);
    std::uint64_t sum = 0;
    for (int row = 0; row < layout.height; ++row) {
        const std::uint8_t* bytes = span.first_row + span.row_stride * row;
        sum = std::accumulate(bytes, bytes + layout.row_bytes, sum);
    }
    return sum;
}

TEST(Decoder, DecodesEveryFrameOfTheDemoClipInPresentationOrder) {
    Decoder decoder(file_source(sample("h264_bframes.mp4")));
    EXPECT_EQ(decoder.info().codec, "h264");
    EXPECT_EQ(decoder.info().pixel_format, "yuv420p");
    EXPECT_EQ(decoder.info().width, 640);
    EXPECT_EQ(decoder.info().frame_count, 100);
    const auto frames = decode_all(decoder);
    ASSERT_EQ(frames.size(), 100u);
    EXPECT_TRUE(frames[0]->key_frame());
    EXPECT_EQ(frames[0]->picture_type(), 'I');
    bool saw_b_frame = false;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(frames[i]->index(), static_cast<std::int64_t>(i));
        if (i) EXPECT_GT(frames[i]->pts(), frames[i - 1]->pts());
        saw_b_frame |= frames[i]->picture_type() == 'B';
        EXPECT_FALSE(frames[i]->corrupt());
    }
    EXPECT_TRUE(saw_b_frame);
    EXPECT_EQ(decoder.next(), nullptr);  // stays at the end
}

TEST(Decoder, FramesOutliveTheDecoderAndStayUnchanged) {
    std::vector<std::unique_ptr<Frame>> kept;
    std::vector<std::uint64_t> sums;
    {
        Decoder decoder(file_source(sample("h264_bframes.mp4")));
        for (int i = 0; i < 5; ++i) {
            kept.push_back(decoder.next());
            sums.push_back(plane_sum(*kept.back(), 0));
        }
        decode_all(decoder);
    }
    for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(plane_sum(*kept[i], 0), sums[i]);
}

TEST(Decoder, OneThreadAndAutomaticThreadsGiveTheSamePixels) {
    DecoderOptions one_thread;
    one_thread.threads = 1;
    const auto source = file_source(sample("h264_bframes.mp4"));
    Decoder single(source, one_thread), automatic(source);  // one source, two independent readers
    const auto a = decode_all(single), b = decode_all(automatic);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        for (int p = 0; p < 3; ++p) EXPECT_EQ(plane_sum(*a[i], p), plane_sum(*b[i], p));
}

TEST(Decoder, BottomUpFramesHaveANegativeStride) {
    Decoder decoder(file_source(sample("bgr24_bottomup.avi")));
    const auto frame = decoder.next();
    ASSERT_TRUE(frame);
    const PlaneSpan span = frame->span(0);
    EXPECT_LT(span.row_stride, 0);
    EXPECT_EQ(span.lowest, span.first_row + span.row_stride * (frame->height() - 1));
    EXPECT_GE(span.raw_bytes, static_cast<std::size_t>(-span.row_stride) * (frame->height() - 1) + 96 * 3);
}

TEST(Decoder, PicksVideoStreamsAmongVideoStreamsOnly) {
    Decoder first(file_source(sample("audio_first.mkv")));
    EXPECT_EQ(first.info().video_stream_count, 2);
    EXPECT_EQ(first.info().audio_stream_count, 1);
    EXPECT_EQ(first.info().stream_index, 1);
    EXPECT_EQ(first.info().codec, "h264");
    EXPECT_EQ(decode_all(first).size(), 10u);
    Decoder second(file_source(sample("audio_first.mkv")), stream(1));
    EXPECT_EQ(second.info().codec, "mjpeg");
    EXPECT_EQ(decode_all(second).size(), 5u);
}

ErrorKind kind_of_failure(const std::string& path, int video_stream = 0) {
    try {
        Decoder decoder(file_source(path), stream(video_stream));
        decode_all(decoder);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        return e.kind();
    }
    ADD_FAILURE() << path << " opened";
    return ErrorKind::Other;
}

TEST(Decoder, KeepsTheErrorLinesFFmpegLogsAboutItsOwnFileAndStreamWhateverTheLevel) {
    // A Matroska file cut mid-cluster: the demuxer drops the cut block and says so in its log only.
    std::ifstream whole_file(sample("h264_nocues.mkv"), std::ios::binary);
    std::vector<char> bytes(std::istreambuf_iterator<char>(whole_file), {});
    const std::string cut_path = testing::TempDir() + "derenotes_cut.mkv";
    std::ofstream(cut_path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    log::install(AV_LOG_QUIET);
    Decoder cut(file_source(cut_path));
    Decoder whole(file_source(sample("h264_nocues.mkv")));
    while (true) {  // side by side: each line goes to the decoder whose file it is about
        const bool more_cut = cut.next() != nullptr;
        const bool more_whole = whole.next() != nullptr;
        if (!more_cut && !more_whole) break;
    }
    log::set_level(AV_LOG_WARNING);
    std::remove(cut_path.c_str());
    const std::vector<std::string> lines = cut.logged_errors();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].rfind("[matroska,webm] File ended prematurely", 0), 0u) << lines[0];
    EXPECT_TRUE(whole.logged_errors().empty());
}

TEST(Decoder, ReportsBadInputWithTheFileAndFFmpegsReason) {
    const std::string missing = sample("no-such-file.mp4");
    EXPECT_EQ(kind_of_failure(missing), ErrorKind::Io);
    try {
        Decoder decoder(file_source(missing));
        ADD_FAILURE() << "opened a file that does not exist";
    } catch (const Error& e) {
        EXPECT_EQ(e.posix_errno(), ENOENT);
        EXPECT_EQ(e.path(), missing);
    }
    EXPECT_EQ(kind_of_failure(DERENOTES_SAMPLES_DIR), ErrorKind::Io);

    const std::string text = testing::TempDir() + "/derenotes-text.mp4";
    std::ofstream(text) << "this is not a video file\n";
    EXPECT_EQ(kind_of_failure(text), ErrorKind::InvalidData);
    std::remove(text.c_str());

    // A demuxer's errno-coded refusal (EBUSY from the y4m demuxer) is about the data, not the OS.
    const std::string impossible = testing::TempDir() + "/derenotes-impossible.y4m";
    std::ofstream(impossible) << "YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" << std::string(1000, '\0');
    EXPECT_EQ(kind_of_failure(impossible), ErrorKind::InvalidData);
    std::remove(impossible.c_str());

    EXPECT_EQ(kind_of_failure(sample("audio_first.mkv"), 2), ErrorKind::StreamNotFound);
    try {
        Decoder decoder(file_source(sample("audio_first.mkv")), stream(2));
        ADD_FAILURE() << "opened video stream 2 of 2";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::StreamNotFound);
        EXPECT_NE(std::string(e.what()).find("2 video streams"), std::string::npos) << e.what();
    }
}

TEST(Decoder, RefusesStreamsOfMorePixelsThanTheLimit) {
    DecoderOptions limited;
    limited.max_pixels = 640 * 360 - 1;  // the demo clip is 640x360
    try {
        Decoder decoder(file_source(sample("h264_bframes.mp4")), limited);
        ADD_FAILURE() << "opened";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::LimitExceeded);
        EXPECT_NE(std::string(e.what()).find("640x360"), std::string::npos) << e.what();
    }
    limited.max_pixels = 640 * 360;
    Decoder decoder(file_source(sample("h264_bframes.mp4")), limited);
    EXPECT_EQ(decode_all(decoder).size(), 100u);
}

bool always_interrupted() { return true; }

TEST(Decoder, AnInterruptCheckThatSaysStopStopsOpening) {
    DecoderOptions options;
    options.interrupted = &always_interrupted;
    try {
        Decoder decoder(file_source(sample("h264_bframes.mp4")), options);
        ADD_FAILURE() << "opened";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Interrupted) << e.what();
    }
}

int checks_until_stop = 0;
bool stop_after_some_checks() { return --checks_until_stop < 0; }

TEST(Decoder, AnInterruptCheckThatSaysStopStopsDecoding) {
    DecoderOptions options;
    options.interrupted = &stop_after_some_checks;
    checks_until_stop = 1000;  // enough to open the file
    Decoder decoder(file_source(sample("h264_bframes.mp4")), options);
    checks_until_stop = 0;
    try {
        decode_all(decoder);
        ADD_FAILURE() << "decoded to the end";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Interrupted) << e.what();
    }
}

}  // namespace
}  // namespace derenotes
