// Plane geometry from FFmpeg's pixel format descriptors (see plane_layout.hpp).
#include "derenotes/plane_layout.hpp"

#include <algorithm>
#include <cerrno>
#include <string>

#include "derenotes/error.hpp"
#include "derenotes/ffmpeg.hpp"

namespace derenotes {
namespace {

constexpr int kPaletteEntries = 256;
constexpr int kPaletteEntryBytes = 4;

int ceil_shift(int value, int shift) { return -((-value) >> shift); }

// Components 1 and 2 are chroma in YUV formats; FFmpeg subsamples them by log2_chroma_w/h
// (both 0 for RGB formats, where the rule changes nothing).
bool is_chroma(int component) { return component == 1 || component == 2; }

int samples_per_row(const AVPixFmtDescriptor* desc, int component, int width) {
    return is_chroma(component) ? ceil_shift(width, desc->log2_chroma_w) : width;
}

ItemType item_type(int itemsize, bool is_float, bool big_endian) {
    ItemType item;
    item.kind = is_float ? ItemType::Kind::Float : ItemType::Kind::Unsigned;
    item.bits = itemsize * 8;
    item.big_endian = itemsize > 1 && big_endian;
    return item;
}

bool is_item_size(int bytes) { return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8; }

int item_size_for_bits(int bits) {
    int size = 1;
    while (size * 8 < bits) size *= 2;
    return size;
}

void set_view(PlaneLayout& plane, int columns, int channels, ItemType item) {
    const int itemsize = item.bytes();
    plane.item = item;
    plane.itemsize = itemsize;
    plane.shape[0] = plane.height;
    plane.shape[1] = columns;
    plane.inner_strides[0] = static_cast<std::int64_t>(channels) * itemsize;
    if (channels > 1) {
        plane.ndim = 3;
        plane.shape[2] = channels;
        plane.inner_strides[1] = itemsize;
    } else {
        plane.ndim = 2;
    }
}

// The components stored in `plane` are "regular" when each occupies whole items of one size
// at its own offset, repeating every `pixel_step` bytes: then the plane is an array of
// (height, width[, channels]) items. Returns the item size, or 0 for irregular planes (several
// components sharing the bits of one word, or a macro-pixel that does not split per pixel).
int regular_item_size(const AVPixFmtDescriptor* desc, const std::vector<int>& components, int pixel_step,
                      int max_step) {
    int itemsize = 1;
    for (int c : components) itemsize = std::max(itemsize, item_size_for_bits(desc->comp[c].shift + desc->comp[c].depth));
    if (pixel_step % itemsize || max_step % pixel_step) return 0;
    std::vector<bool> taken(max_step / itemsize, false);
    for (int c : components) {
        const AVComponentDescriptor& comp = desc->comp[c];
        // (Big-endian word formats such as rgb565be give byte offsets of -1.)
        if (comp.offset < 0 || comp.offset % itemsize || comp.step % pixel_step) return 0;
        for (int at = comp.offset; at < max_step; at += comp.step) {
            if (taken[at / itemsize]) return 0;
            taken[at / itemsize] = true;
        }
    }
    return itemsize;
}

// Records the components' depth and shift when every component of the plane has the same ones.
void set_sample_bits(PlaneLayout& plane, const AVPixFmtDescriptor* desc, const std::vector<int>& components) {
    const AVComponentDescriptor& first = desc->comp[components.front()];
    for (int c : components)
        if (desc->comp[c].depth != first.depth || desc->comp[c].shift != first.shift) return;
    plane.depth = first.depth;
    plane.shift = first.shift;
}

PlaneLayout describe_data_plane(const AVPixFmtDescriptor* desc, int index, int width, int height) {
    std::vector<int> components;
    for (int c = 0; c < desc->nb_components; ++c)
        if (desc->comp[c].plane == index) components.push_back(c);

    // A plane is subsampled when it holds chroma and no luma or alpha (packed YUV holds both).
    const bool holds_full_resolution =
        std::any_of(components.begin(), components.end(), [](int c) { return !is_chroma(c); });
    const int first = components.front();

    PlaneLayout plane;
    plane.index = index;
    plane.width = samples_per_row(desc, first, width);
    plane.height = holds_full_resolution ? height : ceil_shift(height, desc->log2_chroma_h);

    // Steps are in bits for bitstream formats and in bytes otherwise.
    // A row holds every sample of the component with the largest step (FFmpeg's rule).
    int pixel_step = desc->comp[first].step, max_step = 0, max_step_component = first;
    for (int c : components) {
        pixel_step = std::min(pixel_step, desc->comp[c].step);
        if (desc->comp[c].step > max_step) {
            max_step = desc->comp[c].step;
            max_step_component = c;
        }
    }
    const std::int64_t row_units = std::int64_t{max_step} * samples_per_row(desc, max_step_component, width);
    const bool bitstream = desc->flags & AV_PIX_FMT_FLAG_BITSTREAM;
    plane.row_bytes = static_cast<int>(bitstream ? (row_units + 7) / 8 : row_units);

    const bool big_endian = desc->flags & AV_PIX_FMT_FLAG_BE;
    const int itemsize = bitstream ? 0 : regular_item_size(desc, components, pixel_step, max_step);
    if (itemsize) {
        set_view(plane, plane.width, pixel_step / itemsize,
                 item_type(itemsize, desc->flags & AV_PIX_FMT_FLAG_FLOAT, big_endian));
        set_sample_bits(plane, desc, components);
    } else if (!bitstream && max_step == pixel_step && is_item_size(pixel_step)) {
        // Components packed into the bits of one word per pixel (rgb565, x2rgb10): the word.
        set_view(plane, plane.width, 1, item_type(pixel_step, false, big_endian));
    } else {
        // Bits or macro-pixels that do not map onto items: rows of bytes.
        set_view(plane, plane.row_bytes, 1, ItemType{});
    }
    return plane;
}

}  // namespace

const char* ItemType::pep3118() const {
    // [kind][big-endian][log2 of the size in bytes]; single bytes have no byte order.
    static const char* const kFormats[3][2][4] = {
        {{"B", "<H", "<I", "<Q"}, {"B", ">H", ">I", ">Q"}},
        {{"", "<e", "<f", "<d"}, {"", ">e", ">f", ">d"}},
        {{"b", "<h", "<i", "<q"}, {"b", ">h", ">i", ">q"}},
    };
    const int size_log2 = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;
    return kFormats[static_cast<int>(kind)][big_endian][size_log2];
}

std::vector<PlaneLayout> describe_audio_planes(AVSampleFormat format, int channels, int samples) {
    const int itemsize = av_get_bytes_per_sample(format);
    if (itemsize <= 0 || channels <= 0 || samples < 0)
        throw Error(AVERROR(EINVAL), "", "cannot describe audio of sample format " + std::to_string(format) + " with " +
                                             std::to_string(channels) + " channels");
    const AVSampleFormat packed = av_get_packed_sample_fmt(format);
    ItemType item;
    item.bits = itemsize * 8;
    item.kind = packed == AV_SAMPLE_FMT_FLT || packed == AV_SAMPLE_FMT_DBL ? ItemType::Kind::Float
                : packed == AV_SAMPLE_FMT_U8                               ? ItemType::Kind::Unsigned
                                                                           : ItemType::Kind::Signed;
    const bool planar = av_sample_fmt_is_planar(format);
    const int per_plane = planar ? 1 : channels;
    std::vector<PlaneLayout> planes(planar ? channels : 1);
    for (std::size_t i = 0; i < planes.size(); ++i) {
        PlaneLayout& plane = planes[i];
        plane.index = static_cast<int>(i);
        plane.is_audio = true;
        plane.width = per_plane;
        plane.height = samples;
        plane.row_bytes = per_plane * itemsize;
        plane.item = item;
        plane.itemsize = itemsize;
        plane.ndim = planar ? 1 : 2;
        plane.shape[0] = samples;
        plane.shape[1] = per_plane;  // also for 1-D planes: the view's length is shape[0] * shape[1] items
        plane.inner_strides[0] = itemsize;
    }
    return planes;
}

std::int64_t PlaneLayout::view_row_extent() const {
    return shape[1] * inner_strides[0];
}

std::vector<PlaneLayout> describe_planes(AVPixelFormat format, int width, int height) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    if (!desc) throw Error(AVERROR(EINVAL), "", "unknown pixel format " + std::to_string(format));
    if (desc->flags & AV_PIX_FMT_FLAG_HWACCEL)
        throw Error(AVERROR(ENOSYS), "", std::string("hardware pixel format ") + desc->name +
                                             " has no planes in memory");
    if (width <= 0 || height <= 0)
        throw Error(AVERROR(EINVAL), "", "invalid frame size " + std::to_string(width) + "x" + std::to_string(height));

    std::vector<PlaneLayout> planes;
    const int count = av_pix_fmt_count_planes(format);
    for (int index = 0; index < count; ++index) planes.push_back(describe_data_plane(desc, index, width, height));

    if (desc->flags & AV_PIX_FMT_FLAG_PAL) {
        PlaneLayout palette;
        palette.index = count;
        palette.is_palette = true;
        palette.width = kPaletteEntryBytes;
        palette.height = kPaletteEntries;
        palette.row_bytes = kPaletteEntryBytes;
        set_view(palette, kPaletteEntryBytes, 1, ItemType{});
        palette.depth = 8;  // bytes of 8-bit B, G, R, A (on little-endian machines)
        planes.push_back(palette);
    }
    return planes;
}

}  // namespace derenotes
