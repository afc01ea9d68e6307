// MP4 and MOV: every packet of a stream, described from the file's sample tables without reading
// the media data. FFmpeg's demuxer indexes each sample when it opens the file (file position,
// decode time, key and discard flags) but keeps to itself the composition offsets (the ctts box)
// that turn decode times into presentation times: these are read from the moov box here.
#pragma once

#include <optional>
#include <vector>

#include "derenotes/ffmpeg.hpp"
#include "derenotes/frame_index.hpp"
#include "derenotes/source.hpp"

namespace derenotes {

// The stream's packets in decode order as the mov demuxer will return them, or nothing when the
// file is not MP4/MOV, is fragmented, or FFmpeg's index is not one entry per sample (edit lists
// it had to rewrite): then only reading the packets tells. `format` is the demuxer's, opened on
// `source`; the tables are read through a reader of the source of their own (asking `interrupt`).
std::optional<std::vector<PacketInfo>> mp4_packets(const Source& source, const AVIOInterruptCB& interrupt,
                                                   const AVFormatContext* format, AVStream* stream);

}  // namespace derenotes
