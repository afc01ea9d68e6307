// Files whose reads may wait forever: FIFOs and character devices. FFmpeg's file protocol blocks
// in open() (a FIFO without a writer) and in read() (a writer that stalls) without asking the
// interrupt callback, so that neither Ctrl-C from another thread, a cancel nor a timeout could
// reach it. This reader opens without blocking and waits for data with poll() in short slices,
// asking the interrupt callback between them.
#pragma once

#include <string>

#include "derenotes/ffmpeg.hpp"

namespace derenotes {

// Whether a file of this mode (stat's st_mode) is read through open_polled_file().
bool reads_may_wait_forever(unsigned mode);

// A reader of the file at `path` (not seekable). Throws Error (kind Io) when it cannot be opened.
IoContextPtr open_polled_file(const std::string& path, const AVIOInterruptCB& interrupt);

}  // namespace derenotes
