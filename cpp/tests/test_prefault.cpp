// Prefault maps pages while another thread writes them: the writes all stay.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "derenotes/prefault.hpp"

namespace derenotes {
namespace {

TEST(Prefault, LeavesWhatIsWrittenMeanwhileAlone) {
    const std::size_t bytes = Prefault::kMinimumBytes * 2 + 12345;  // not whole pages either
    std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[bytes]);  // fresh: malloc maps it
    {
        Prefault prefault(buffer.get(), bytes);
        for (std::size_t i = 0; i < bytes; ++i) buffer[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    for (std::size_t i = 0; i < bytes; ++i)
        ASSERT_EQ(buffer[i], static_cast<std::uint8_t>(i * 7 + 1)) << "at byte " << i;
}

TEST(Prefault, SmallBuffersAndJoiningTwiceAreFine) {
    std::uint8_t small[64] = {};
    Prefault prefault(small, sizeof small);
    prefault.join();
    prefault.join();
}

}  // namespace
}  // namespace derenotes
