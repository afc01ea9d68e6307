// Memory made ready for writing in the background (see prefault.hpp).
#include "derenotes/prefault.hpp"

#include <cstdint>
#include <system_error>

#include <sys/mman.h>
#include <unistd.h>

namespace derenotes {

Prefault::Prefault(void* data, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    if (bytes < kMinimumBytes) return;
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto start = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;  // whole pages inside
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / page * page;
    if (end <= start) return;
    try {
        thread_ = std::thread([start, end] {
            // In slices from the front, so that the writer, which also starts there, soon stops
            // meeting unmapped pages. An error (an old kernel: EINVAL) just ends it.
            constexpr std::uintptr_t kSlice = 4 << 20;
            for (std::uintptr_t at = start; at < end; at += kSlice) {
                std::uintptr_t size = end - at < kSlice ? end - at : kSlice;
                if (madvise(reinterpret_cast<void*>(at), size, MADV_POPULATE_WRITE) != 0) return;
            }
        });
    } catch (const std::system_error&) {
        // No thread to be had: the writer maps its pages itself.
    }
#else
    (void)data;
    (void)bytes;
#endif
}

void Prefault::join() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace derenotes
