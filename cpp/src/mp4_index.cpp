// Reading an MP4's sample tables (see mp4_index.hpp): walking the box tree of moov with a reader
// of our own, and combining the composition offsets with FFmpeg's index of the samples.
#include "derenotes/mp4_index.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "derenotes/error.hpp"

namespace derenotes {
namespace {

// Entries of a sample table walked between interrupt checks (a few hundred microseconds' work).
constexpr std::int64_t kEntriesBetweenInterruptChecks = 1 << 16;

struct Box {
    std::uint32_t type = 0;
    std::int64_t body = 0, end = 0;  // file offsets of the payload and of the next box
};

// The box starting where io is, if it lies whole before `limit`.
std::optional<Box> read_box(AVIOContext* io, std::int64_t limit) {
    const std::int64_t start = avio_tell(io);
    if (start < 0 || start + 8 > limit) return std::nullopt;
    std::uint64_t size = avio_rb32(io);
    Box box;
    box.type = avio_rb32(io);
    if (size == 1) size = avio_rb64(io);
    if (size == 0) size = limit - start;  // to the end of the parent
    box.body = avio_tell(io);
    if (io->eof_reached || size < static_cast<std::uint64_t>(box.body - start) ||
        size > static_cast<std::uint64_t>(limit - start))
        return std::nullopt;
    box.end = start + static_cast<std::int64_t>(size);
    return box;
}

// The first child of type `type` within [body, end).
std::optional<Box> find_child(AVIOContext* io, std::int64_t body, std::int64_t end, std::uint32_t type) {
    for (std::int64_t at = body; at < end;) {
        if (avio_seek(io, at, SEEK_SET) < 0) return std::nullopt;
        const std::optional<Box> box = read_box(io, end);
        if (!box) return std::nullopt;
        if (box->type == type) return box;
        at = box->end;
    }
    return std::nullopt;
}

std::optional<Box> find_path(AVIOContext* io, Box box, std::initializer_list<std::uint32_t> path) {
    for (std::uint32_t type : path) {
        const std::optional<Box> child = find_child(io, box.body, box.end, type);
        if (!child) return std::nullopt;
        box = *child;
    }
    return box;
}

std::optional<Box> stbl_of(AVIOContext* io, const Box& trak) {
    return find_path(io, trak, {MKBETAG('m', 'd', 'i', 'a'), MKBETAG('m', 'i', 'n', 'f'), MKBETAG('s', 't', 'b', 'l')});
}

// The track's sample table (stbl) in moov, found by the track ID FFmpeg gives the stream.
std::optional<Box> sample_table(AVIOContext* io, const Box& moov, int track_id) {
    for (std::int64_t at = moov.body; at < moov.end;) {
        if (avio_seek(io, at, SEEK_SET) < 0) return std::nullopt;
        const std::optional<Box> box = read_box(io, moov.end);
        if (!box) return std::nullopt;
        at = box->end;
        if (box->type != MKBETAG('t', 'r', 'a', 'k')) continue;
        const std::optional<Box> tkhd = find_child(io, box->body, box->end, MKBETAG('t', 'k', 'h', 'd'));
        if (!tkhd || avio_seek(io, tkhd->body, SEEK_SET) < 0) return std::nullopt;
        const int version = avio_r8(io);
        avio_skip(io, 3 + (version == 1 ? 16 : 8));  // flags, creation and modification times
        if (static_cast<int>(avio_rb32(io)) == track_id) return stbl_of(io, *box);
    }
    return std::nullopt;
}

// Per sample, the composition offset of the ctts box (all 0 without one) and the shift FFmpeg adds
// to every presentation time when offsets are negative; as FFmpeg 5.1's mov demuxer reads them.
struct CompositionOffsets {
    std::vector<std::int64_t> per_sample;
    std::int64_t shift = 0;
};

std::optional<CompositionOffsets> composition_offsets(AVIOContext* io, const Box& stbl, std::int64_t samples,
                                                     Interrupter& interrupter) {
    CompositionOffsets offsets;
    const std::optional<Box> ctts = find_child(io, stbl.body, stbl.end, MKBETAG('c', 't', 't', 's'));
    if (!ctts) {
        offsets.per_sample.assign(samples, 0);
        return offsets;
    }
    if (avio_seek(io, ctts->body + 4, SEEK_SET) < 0) return std::nullopt;  // after version and flags
    const std::int64_t entries = avio_rb32(io);
    if (entries > samples || ctts->body + 8 + entries * 8 > ctts->end) return std::nullopt;
    offsets.per_sample.reserve(samples);
    for (std::int64_t i = 0; i < entries; ++i) {
        if (i % kEntriesBetweenInterruptChecks == 0) interrupter.check();
        const int count = static_cast<int>(avio_rb32(io));
        const int offset = static_cast<int>(avio_rb32(io));
        if (count <= 0) continue;  // FFmpeg skips these
        if (offset < -(1 << 28) && i + 2 < entries) return std::nullopt;  // FFmpeg drops the whole table
        if (offset < 0 && i + 2 < entries) {
            if (offset == INT_MIN) return std::nullopt;
            offsets.shift = std::max<std::int64_t>(offsets.shift, -static_cast<std::int64_t>(offset));
        }
        if (static_cast<std::int64_t>(offsets.per_sample.size()) + count > samples) return std::nullopt;
        offsets.per_sample.insert(offsets.per_sample.end(), count, offset);
    }
    if (io->eof_reached || static_cast<std::int64_t>(offsets.per_sample.size()) != samples) return std::nullopt;
    return offsets;
}

std::optional<std::int64_t> sample_count(AVIOContext* io, const Box& stbl) {
    for (std::uint32_t type : {MKBETAG('s', 't', 's', 'z'), MKBETAG('s', 't', 'z', '2')}) {
        const std::optional<Box> box = find_child(io, stbl.body, stbl.end, type);
        if (!box) continue;
        if (avio_seek(io, box->body + 8, SEEK_SET) < 0) return std::nullopt;  // version, flags, size fields
        return static_cast<std::int64_t>(avio_rb32(io));
    }
    return std::nullopt;
}

// Whether FFmpeg indexes the track by the chunk rather than by the sample: uncompressed audio,
// whose one time-to-sample entry gives every sample a duration of 1 (mov_build_index).
bool indexed_by_chunk(AVIOContext* io, const Box& trak, const Box& stbl) {
    const std::optional<Box> hdlr = find_path(io, trak, {MKBETAG('m', 'd', 'i', 'a'), MKBETAG('h', 'd', 'l', 'r')});
    if (!hdlr || avio_seek(io, hdlr->body + 8, SEEK_SET) < 0 || avio_rb32(io) != MKBETAG('s', 'o', 'u', 'n'))
        return false;  // after version, flags and pre_defined: the handler type
    const std::optional<Box> stts = find_child(io, stbl.body, stbl.end, MKBETAG('s', 't', 't', 's'));
    if (!stts || avio_seek(io, stts->body + 4, SEEK_SET) < 0) return false;
    const std::uint32_t entries = avio_rb32(io);
    avio_rb32(io);  // the first entry's sample count
    return entries == 1 && avio_rb32(io) == 1 && !io->eof_reached;
}

// A reader of our own of a seekable source, and the source's size in bytes.
struct OwnReader {
    IoContextPtr io;
    std::int64_t size = 0;
};

// Nothing when the source cannot seek, cannot be opened or has no size: the tables are then not
// read, and the demuxer's own reading says what is wrong.
std::optional<OwnReader> open_own_reader(const Source& source, Interrupter& interrupter) {
    if (!source.seekable()) return std::nullopt;
    OwnReader reader;
    try {
        reader.io = source.open_io(interrupter.callback());
    } catch (const Error&) {
        return std::nullopt;
    }
    reader.size = avio_size(reader.io.get());
    if (reader.size <= 0) return std::nullopt;
    return reader;
}

}  // namespace

std::optional<std::int64_t> mp4_declared_samples(const Source& source, Interrupter& interrupter) {
    std::optional<OwnReader> reader = open_own_reader(source, interrupter);
    if (!reader) return std::nullopt;
    const IoContextPtr io = std::move(reader->io);
    const std::int64_t file_size = reader->size;
    const std::optional<Box> moov = find_child(io.get(), 0, file_size, MKBETAG('m', 'o', 'o', 'v'));
    if (!moov) return std::nullopt;
    std::int64_t samples = 0;
    for (std::int64_t at = moov->body; at < moov->end;) {
        interrupter.check();
        if (avio_seek(io.get(), at, SEEK_SET) < 0) break;
        const std::optional<Box> trak = read_box(io.get(), moov->end);
        if (!trak) break;
        at = trak->end;
        if (trak->type != MKBETAG('t', 'r', 'a', 'k')) continue;
        const std::optional<Box> stbl = stbl_of(io.get(), *trak);
        if (!stbl || indexed_by_chunk(io.get(), *trak, *stbl)) continue;
        samples += sample_count(io.get(), *stbl).value_or(0);
    }
    return samples;
}

std::optional<std::vector<PacketInfo>> mp4_packets(const Source& source, Interrupter& interrupter,
                                                   const AVFormatContext* format, AVStream* stream) {
    if (!format->iformat || std::strncmp(format->iformat->name, "mov,", 4) != 0) return std::nullopt;
    const int entries = index_entries_count(stream);
    if (entries <= 0) return std::nullopt;
    std::optional<OwnReader> reader = open_own_reader(source, interrupter);
    if (!reader) return std::nullopt;
    const IoContextPtr io = std::move(reader->io);
    const std::int64_t file_size = reader->size;
    // A file cut short lists samples it does not hold: the demuxer reads them damaged or not at
    // all. Checked first, before anything is allocated per sample (a hostile file may list
    // millions of samples in a few bytes).
    for (int i = 0; i < entries; ++i) {
        if (i % kEntriesBetweenInterruptChecks == 0) interrupter.check();
        const AVIndexEntry* entry = index_entry(stream, i);
        if (entry->pos < 0 || entry->pos + entry->size > file_size) return std::nullopt;
    }
    const std::optional<Box> moov = find_child(io.get(), 0, file_size, MKBETAG('m', 'o', 'o', 'v'));
    if (!moov || find_child(io.get(), moov->body, moov->end, MKBETAG('m', 'v', 'e', 'x')))
        return std::nullopt;  // no index, or a fragmented file whose index grows as it is read
    const std::optional<Box> stbl = sample_table(io.get(), *moov, stream->id);
    if (!stbl) return std::nullopt;
    const std::optional<std::int64_t> samples = sample_count(io.get(), *stbl);
    if (!samples || *samples != entries) return std::nullopt;
    const std::optional<CompositionOffsets> offsets = composition_offsets(io.get(), *stbl, *samples, interrupter);
    if (!offsets) return std::nullopt;

    std::vector<PacketInfo> packets(entries);
    for (int i = 0; i < entries; ++i) {
        if (i % kEntriesBetweenInterruptChecks == 0) interrupter.check();
        const AVIndexEntry* entry = index_entry(stream, i);
        PacketInfo& packet = packets[i];
        packet.dts = entry->timestamp;
        packet.pts = entry->timestamp + offsets->shift + offsets->per_sample[i];
        packet.pos = entry->pos;
        packet.size = entry->size;
        packet.key = entry->flags & AVINDEX_KEYFRAME;
        packet.discard = entry->flags & AVINDEX_DISCARD_FRAME;
        if (i) packets[i - 1].duration = packet.dts - packets[i - 1].dts;
    }
    return packets;
}

}  // namespace derenotes
