// A decoded frame's accessors and where its planes' bytes are (see frame.hpp).
#include "derenotes/frame.hpp"

#include <cstdlib>

#include "derenotes/error.hpp"

namespace derenotes {

Frame::Frame(FramePtr frame, std::shared_ptr<const std::vector<PlaneLayout>> layout, std::int64_t index,
             bool damaged_input)
    : frame_(std::move(frame)), layout_(std::move(layout)), index_(index), damaged_input_(damaged_input) {}

std::string Frame::pixel_format_name() const {
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame_->format));
    return name ? name : "";
}

std::string Frame::channel_layout_name() const { return ChannelLayout::of(*frame_).name(); }

std::string Frame::sample_format_name() const {
    const char* name = av_get_sample_fmt_name(static_cast<AVSampleFormat>(frame_->format));
    return name ? name : "";
}

char Frame::picture_type() const { return av_get_picture_type_char(frame_->pict_type); }

bool Frame::corrupt() const {
    return damaged_input_ || (frame_->flags & AV_FRAME_FLAG_CORRUPT) || frame_->decode_error_flags != 0;
}

int Frame::linesize(int plane) const { return layout_->at(plane).is_audio ? frame_->linesize[0] : frame_->linesize[plane]; }

PlaneSpan Frame::span(int plane) const {
    const PlaneLayout& layout = layout_->at(plane);
    PlaneSpan span;
    if (layout.is_audio) {
        // Samples one after another; every plane is linesize[0] bytes long, padding included.
        span.first_row = frame_->extended_data[plane];
        span.row_stride = layout.row_bytes;
        span.lowest = span.first_row;
        span.raw_bytes = static_cast<std::size_t>(frame_->linesize[0]);
        const std::size_t tight = static_cast<std::size_t>(layout.row_bytes) * layout.height;
        if (span.raw_bytes < tight)
            throw Error(AVERROR(EINVAL), "", "audio plane " + std::to_string(plane) + " is larger than its buffer");
        return span;
    }
    span.first_row = frame_->data[plane];
    if (layout.is_palette) {
        span.row_stride = layout.row_bytes;
        span.lowest = span.first_row;
        span.raw_bytes = static_cast<std::size_t>(layout.row_bytes) * layout.height;
        return span;
    }
    span.row_stride = frame_->linesize[plane];
    const std::int64_t stride_bytes = std::llabs(span.row_stride);
    span.lowest = span.row_stride < 0 ? span.first_row + span.row_stride * (layout.height - 1) : span.first_row;
    span.raw_bytes = static_cast<std::size_t>(stride_bytes * layout.height);

    // The last row in memory need not be padded to the full linesize: never reach past the end
    // of the buffer that holds the plane.
    const std::size_t tight = static_cast<std::size_t>(stride_bytes * (layout.height - 1) + layout.row_bytes);
    if (const AVBufferRef* buffer = av_frame_get_plane_buffer(frame_.get(), plane)) {
        const std::uint8_t* end = buffer->data + buffer->size;
        const std::size_t available = static_cast<std::size_t>(end - span.lowest);
        if (available < tight)
            throw Error(AVERROR(EINVAL), "", "plane " + std::to_string(plane) + " is larger than its buffer");
        if (available < span.raw_bytes) span.raw_bytes = tight;
    }
    return span;
}

bool Frame::is_writable() const { return av_frame_is_writable(frame_.get()) > 0; }

void Frame::make_writable() {
    if (is_writable()) return;
    FramePtr shared(av_frame_clone(frame_.get()));
    if (!shared) throw std::bad_alloc();
    check(av_frame_make_writable(frame_.get()), "", "cannot copy the frame");
    retired_.push_back(std::move(shared));
}

}  // namespace derenotes
