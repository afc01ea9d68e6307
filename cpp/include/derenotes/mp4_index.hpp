// MP4 and MOV: every packet of a stream, described from the file's sample tables without reading
// the media data. FFmpeg's demuxer indexes each sample when it opens the file (file position,
// decode time, key and discard flags) but keeps to itself the composition offsets (the ctts box)
// that turn decode times into presentation times: these are read from the moov box here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame_index.hpp"
#include "derenotes/interrupt.hpp"
#include "derenotes/source.hpp"

namespace derenotes {

// The stream's packets in decode order as the mov demuxer will return them, or nothing when the
// file is not MP4/MOV, is fragmented, or FFmpeg's index is not one entry per sample (edit lists
// it had to rewrite): then only reading the packets tells. `format` is the demuxer's, opened on
// `source`; the tables are read through a reader of the source of their own (asking `interrupter`,
// which may throw Interrupted).
std::optional<std::vector<PacketInfo>> mp4_packets(const Source& source, Interrupter& interrupter,
                                                   const AVFormatContext* format, AVStream* stream);

// How many samples the sample tables of an MP4/MOV's tracks list together (their stsz or stz2
// counts): FFmpeg's mov demuxer indexes every one when it opens the file, 24 bytes each whether
// the file holds them or not. Nothing when the source is not seekable or has no moov box. Tracks
// of uncompressed audio are left out: FFmpeg indexes those by the chunk, not by the sample.
std::optional<std::int64_t> mp4_declared_samples(const Source& source, Interrupter& interrupter);

}  // namespace derenotes
