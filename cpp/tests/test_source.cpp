// Sources (a file opened once per reader, never reopened by name elsewhere) and the pipeline's
// stages on their own: the Demuxer and the StreamDecoder.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "derenotes/decoder.hpp"
#include "derenotes/demuxer.hpp"
#include "derenotes/error.hpp"
#include "derenotes/interrupt.hpp"
#include "derenotes/probe.hpp"
#include "derenotes/random_access.hpp"
#include "derenotes/source.hpp"
#include "derenotes/stream_decoder.hpp"

namespace derenotes {
namespace {

std::string sample(const std::string& name) { return std::string(DERENOTES_SAMPLES_DIR) + "/" + name; }

std::vector<std::uint8_t> read_bytes(AVIOContext* io, int count) {
    std::vector<std::uint8_t> bytes(count);
    bytes.resize(std::max(0, avio_read(io, bytes.data(), count)));
    return bytes;
}

TEST(FileSource, EachOpenIsAReaderOfItsOwn) {
    const auto source = file_source(sample("h264_bframes.mp4"));
    EXPECT_EQ(source->name(), sample("h264_bframes.mp4"));
    EXPECT_TRUE(source->seekable());
    const IoContextPtr a = source->open_io({});
    const IoContextPtr b = source->open_io({});
    ASSERT_TRUE(a && b);
    const std::vector<std::uint8_t> start = read_bytes(a.get(), 16);
    ASSERT_EQ(start.size(), 16u);
    ASSERT_GE(avio_seek(a.get(), 1000, SEEK_SET), 0);
    const std::vector<std::uint8_t> later = read_bytes(a.get(), 16);
    EXPECT_EQ(avio_tell(a.get()), 1016);
    // The other reader is still at the start, whatever the first did.
    EXPECT_EQ(avio_tell(b.get()), 0);
    EXPECT_EQ(read_bytes(b.get(), 16), start);
    ASSERT_GE(avio_seek(b.get(), 1000, SEEK_SET), 0);
    EXPECT_EQ(read_bytes(b.get(), 16), later);
}

int errno_opening(const std::string& path) {
    try {
        file_source(path)->open_io({});
    } catch (const Error& e) {
        EXPECT_EQ(e.path(), path);
        EXPECT_EQ(e.kind(), ErrorKind::Io);
        return e.posix_errno();
    }
    ADD_FAILURE() << path << " opened";
    return 0;
}

TEST(FileSource, AMissingFileOrADirectoryGetsTheSystemsError) {
    EXPECT_EQ(errno_opening(sample("no-such-file.mp4")), ENOENT);
    EXPECT_EQ(errno_opening(DERENOTES_SAMPLES_DIR), EISDIR);
}

TEST(FileSource, NamesWithAColonArePathsAndURLsArePassedAsTheyAreWhenAllowed) {
    EXPECT_EQ(FileSource("12:30.mp4").url(), "file:12:30.mp4");
    EXPECT_EQ(FileSource("/tmp/a.mp4").url(), "file:/tmp/a.mp4");
    EXPECT_EQ(FileSource("http://example.com/a.mp4").url(), "file:http://example.com/a.mp4");
    EXPECT_EQ(FileSource("pipe:0", true).url(), "file:pipe:0");
    EXPECT_EQ(FileSource("http://example.com/a.mp4", true).url(), "http://example.com/a.mp4");
    EXPECT_EQ(FileSource("file://" + sample("h264_bframes.mp4"), true).url(), "file://" + sample("h264_bframes.mp4"));

    const std::string colon = testing::TempDir() + "/derenotes-12:30.mp4";
    {
        std::ifstream in(sample("h264_bframes.mp4"), std::ios::binary);
        std::ofstream(colon, std::ios::binary) << in.rdbuf();
    }
    Decoder decoder(file_source(colon));
    EXPECT_EQ(decoder.info().codec, "h264");
    EXPECT_TRUE(decoder.next());
    std::remove(colon.c_str());

    Decoder by_url(file_source("file://" + sample("h264_bframes.mp4"), true));
    EXPECT_TRUE(by_url.next());
}

TEST(Demuxer, ChoosesStreamsByTypeAndReadsOnlyTheChosenOnesPackets) {
    Interrupter interrupter(nullptr, "test");
    Demuxer demuxer(file_source(sample("audio_first.mkv")), interrupter);
    EXPECT_EQ(demuxer.count(AVMEDIA_TYPE_VIDEO), 2);
    EXPECT_EQ(demuxer.count(AVMEDIA_TYPE_AUDIO), 1);
    const AVStream& audio = demuxer.choose(AVMEDIA_TYPE_AUDIO, 0);
    EXPECT_EQ(audio.codecpar->codec_type, AVMEDIA_TYPE_AUDIO);
    const PacketPtr packet(av_packet_alloc());
    int packets = 0;
    while (demuxer.read(packet.get())) {
        EXPECT_EQ(packet->stream_index, audio.index);
        av_packet_unref(packet.get());
        ++packets;
    }
    EXPECT_GT(packets, 0);
    try {
        demuxer.choose(AVMEDIA_TYPE_AUDIO, 1);
        ADD_FAILURE() << "chose audio stream 1 of 1";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::StreamNotFound);
        EXPECT_NE(std::string(e.what()).find("no audio stream 1, only 0: the file has 1 audio stream (pcm_s16le) and "
                                             "2 video streams (h264, mjpeg)"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Demuxer, SummarisesTheStreamsOfEveryKind) {
    Interrupter interrupter(nullptr, "test");
    Demuxer tagged(file_source(sample("streams_tagged.mkv")), interrupter);
    EXPECT_EQ(stream_summary(*tagged.format()),
              "1 video stream (h264), 2 audio streams (aac, flac), 2 subtitle streams (subrip, ass) and 1 attachment "
              "(notes.txt)");
    EXPECT_EQ(stream_summary(*tagged.format(), AVMEDIA_TYPE_SUBTITLE),
              "2 subtitle streams (subrip, ass), 1 video stream (h264), 2 audio streams (aac, flac) and 1 attachment "
              "(notes.txt)");
    Demuxer timecode(file_source(sample("streams_timecode.mp4")), interrupter);
    try {
        timecode.choose(AVMEDIA_TYPE_VIDEO, 1);
        ADD_FAILURE() << "chose video stream 1 of 1";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::StreamNotFound);
        EXPECT_NE(std::string(e.what()).find("no video stream 1, only 0: the file has 1 video stream (h264), 1 audio "
                                             "stream (aac), 1 subtitle stream (mov_text) and 1 data stream (tmcd)"),
                  std::string::npos)
            << e.what();
    }
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

int frames_of(const std::shared_ptr<const Source>& source) {
    Decoder decoder(source);
    int frames = 0;
    while (decoder.next()) ++frames;
    return frames;
}

void count_release(void* owner) { ++*static_cast<int*>(owner); }

TEST(MemorySource, ReadersOfTheSameBytesAreIndependentAndTheOwnerIsReleasedOnce) {
    const std::vector<std::uint8_t> bytes = file_bytes(sample("h264_bframes.mp4"));
    int released = 0;
    {
        const auto source = memory_source("<bytes>", bytes.data(), bytes.size(), &released, &count_release);
        EXPECT_EQ(source->name(), "<bytes>");
        EXPECT_TRUE(source->url().empty());  // nothing to resolve other names against
        const IoContextPtr a = source->open_io({});
        const IoContextPtr b = source->open_io({});
        EXPECT_EQ(avio_size(a.get()), static_cast<std::int64_t>(bytes.size()));
        ASSERT_GE(avio_seek(a.get(), 1000, SEEK_SET), 0);
        EXPECT_EQ(read_bytes(a.get(), 16), std::vector<std::uint8_t>(bytes.begin() + 1000, bytes.begin() + 1016));
        EXPECT_EQ(read_bytes(b.get(), 16), std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 16));
        ASSERT_GE(avio_seek(a.get(), static_cast<std::int64_t>(bytes.size()) - 4, SEEK_SET), 0);
        EXPECT_EQ(read_bytes(a.get(), 16).size(), 4u);  // a read at the end is short, then ends
        EXPECT_EQ(frames_of(source), 100);
        RandomAccess random(source, {});
        EXPECT_EQ(random.size(), 100);
        EXPECT_EQ(released, 0);
    }
    EXPECT_EQ(released, 1);
}

// Read callbacks over bytes, as a language binding's file object: short reads of 1000 bytes.
struct Chunks {
    const std::vector<std::uint8_t>* bytes;
    std::int64_t expected_position = 0;  // where a source that cannot seek must read next
    bool out_of_order = false;
};

int read_chunk(void* owner, std::int64_t position, std::uint8_t* buffer, int size) {
    auto* chunks = static_cast<Chunks*>(owner);
    if (position != chunks->expected_position) chunks->out_of_order = true;
    const auto total = static_cast<std::int64_t>(chunks->bytes->size());
    const int count = static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>({size, 1000, total - position})));
    std::copy_n(chunks->bytes->begin() + position, count, buffer);
    chunks->expected_position = position + count;
    return count;
}

TEST(CallbackSource, AStreamIsReadOnceFromStartToEndAndRandomAccessIsRefused) {
    const std::vector<std::uint8_t> bytes = file_bytes(sample("h264.ts"));
    Chunks chunks{&bytes};
    ReadCallbacks callbacks;
    callbacks.owner = &chunks;
    callbacks.read = &read_chunk;
    const auto stream = callback_source("<stream>", callbacks);
    EXPECT_FALSE(stream->seekable());
    EXPECT_EQ(frames_of(stream), 120);
    EXPECT_FALSE(chunks.out_of_order);
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (attempt == 0) frames_of(stream);
            else RandomAccess(stream, {});
            ADD_FAILURE() << "a stream was read twice";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::NotSeekable);
            EXPECT_EQ(e.path(), "<stream>");
        }
    }

    callbacks.seekable = true;  // the same reads, by position: random access works
    Chunks seekable_chunks{&bytes};
    callbacks.owner = &seekable_chunks;
    RandomAccess random(callback_source("<file>", callbacks), {});
    EXPECT_EQ(random.size(), 120);
    EXPECT_TRUE(random.frame(119));
}

// Decodes every frame of the chosen video stream with the two stages alone.
struct Decoded {
    int frames = 0, damaged = 0;
    std::int64_t decode_errors = 0;
};
Decoded decode_with_stages(const std::string& name) {
    Interrupter interrupter(nullptr, name);
    Demuxer demuxer(file_source(sample(name)), interrupter);
    StreamDecoder codec(demuxer.choose(AVMEDIA_TYPE_VIDEO, 0), CodecOptions{1, 0}, name);
    const PacketPtr packet(av_packet_alloc());
    Decoded decoded;
    for (bool ended_input = false;;) {
        StreamDecoder::Output out = codec.receive();
        if (out.status == StreamDecoder::Status::Ended) break;
        if (out.status == StreamDecoder::Status::Frame) {
            EXPECT_TRUE(out.frame && out.frame->width > 0);
            ++decoded.frames;
            decoded.damaged += out.damaged;
        } else if (out.status == StreamDecoder::Status::NeedsInput) {
            EXPECT_FALSE(ended_input);
            for (bool sent = false; !sent;) {
                if (!demuxer.read(packet.get())) {
                    codec.send_end();
                    ended_input = true;
                    break;
                }
                sent = codec.send(packet.get());
                av_packet_unref(packet.get());
            }
        }
    }
    decoded.decode_errors = codec.decode_errors();
    return decoded;
}

TEST(StreamDecoder, CountsTheDamageItMeetsAsTheDecoderReportsIt) {
    const Decoded clean = decode_with_stages("h264_bframes.mp4");
    EXPECT_EQ(clean.frames, 100);
    EXPECT_EQ(clean.damaged, 0);
    EXPECT_EQ(clean.decode_errors, 0);

    const Decoded damaged = decode_with_stages("h264_damaged.mp4");
    EXPECT_EQ(damaged.frames, 59);
    EXPECT_GT(damaged.decode_errors, 0);
    EXPECT_GT(damaged.damaged, 0);
    DecoderOptions one_thread;
    one_thread.threads = 1;
    Decoder decoder(file_source(sample("h264_damaged.mp4")), one_thread);
    int frames = 0, corrupt = 0;
    while (auto frame = decoder.next()) {
        ++frames;
        corrupt += frame->corrupt();
    }
    EXPECT_EQ(frames, damaged.frames);
    EXPECT_EQ(decoder.decode_errors(), damaged.decode_errors);
    EXPECT_GE(corrupt, damaged.damaged);  // corrupt() also says what FFmpeg flagged itself
}

}  // namespace
}  // namespace derenotes
