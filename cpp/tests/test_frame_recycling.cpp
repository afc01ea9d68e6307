// AVFrame structs are recycled (ffmpeg.hpp): a recycled struct must be as good as a new one.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "derenotes/ffmpeg.hpp"

namespace derenotes {
namespace {

FramePtr frame_with_picture() {
    FramePtr frame(alloc_frame());
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = 64;
    frame->height = 48;
    frame->pts = 1234;
    frame->pict_type = AV_PICTURE_TYPE_P;
    EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
    return frame;
}

TEST(FrameRecycling, AFreedFrameComesBackEmpty) {
    AVFrame* first = nullptr;
    {
        FramePtr frame = frame_with_picture();
        first = frame.get();
    }
    FramePtr again(alloc_frame());
    EXPECT_EQ(again.get(), first);  // the struct was recycled...
    // ...and holds nothing of the picture it had: the same as av_frame_alloc() gives.
    FramePtr fresh(av_frame_alloc());
    EXPECT_EQ(again->buf[0], nullptr);
    EXPECT_EQ(again->data[0], nullptr);
    EXPECT_EQ(again->format, fresh->format);
    EXPECT_EQ(again->width, 0);
    EXPECT_EQ(again->pts, fresh->pts);
    EXPECT_EQ(again->pict_type, fresh->pict_type);
    EXPECT_EQ(again->best_effort_timestamp, fresh->best_effort_timestamp);
}

TEST(FrameRecycling, ManyFramesAndThreadsNeitherLeakNorShare) {
    // Run under `make asan` this also checks that spares are freed at thread exit.
    auto churn = [] {
        std::vector<FramePtr> frames;
        for (int i = 0; i < 100; ++i) frames.push_back(frame_with_picture());
        for (std::size_t i = 0; i < frames.size(); ++i)
            for (std::size_t j = i + 1; j < frames.size(); ++j) ASSERT_NE(frames[i].get(), frames[j].get());
    };
    std::thread a(churn), b(churn);
    a.join();
    b.join();
    churn();
}

}  // namespace
}  // namespace derenotes
