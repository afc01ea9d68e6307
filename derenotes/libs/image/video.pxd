# The C++ core's API as Cython sees it (cpp/include/derenotes/*.hpp), declared once.
# Every call that can throw translates the C++ exception with raise_error (_calls.pxi).
from libc.stddef cimport size_t
from libc.stdint cimport int64_t, uint8_t
from libcpp cimport bool
from libcpp.memory cimport shared_ptr, unique_ptr
from libcpp.optional cimport optional
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef int raise_error() except -1


cdef extern from "derenotes/error.hpp" namespace "derenotes" nogil:
    cpdef enum class ErrorKind "derenotes::ErrorKind":
        Io
        InvalidData
        StreamNotFound
        Unsupported
        OutOfMemory
        LimitExceeded
        Interrupted
        OutOfRange
        Refused
        NotSeekable
        Cancelled
        TimedOut
        Other

    cdef cppclass ErrorInfo:
        ErrorKind kind
        int code
        int posix_errno
        string detail, path, reason, log_line

    # Describes the C++ exception in flight; call only from an exception handler.
    ErrorInfo current_error_info()


cdef extern from "derenotes/ffmpeg.hpp" namespace "derenotes" nogil:
    cdef cppclass LibraryVersion:
        string name
        string version

    string ffmpeg_release()
    vector[LibraryVersion] library_versions()


cdef extern from "derenotes/log.hpp" namespace "derenotes::log" nogil:
    cdef cppclass Message:
        int level
        string text

    void install(int ffmpeg_level)
    void set_level(int ffmpeg_level)
    int level()
    bool pending()
    vector[Message] drain(size_t* dropped)


cdef extern from "derenotes/plane_layout.hpp" namespace "derenotes" nogil:
    cpdef enum class ItemKind "derenotes::ItemType::Kind":
        Unsigned
        Float
        Signed

    cdef cppclass ItemType:
        ItemKind kind
        int bits
        bool big_endian
        const char* pep3118()

    cdef cppclass PlaneLayout:
        int index, width, height, row_bytes
        bool is_palette
        bool is_audio
        int ndim
        int64_t shape[3]
        int64_t inner_strides[2]
        ItemType item
        int itemsize
        int depth, shift
        int64_t view_row_extent()


cdef extern from "derenotes/frame.hpp" namespace "derenotes" nogil:
    cdef cppclass PlaneSpan:
        uint8_t* first_row
        int64_t row_stride
        uint8_t* lowest
        size_t raw_bytes

    cdef cppclass Frame:
        int width()
        int height()
        int pixel_format()
        string pixel_format_name()
        int samples()
        int sample_rate()
        int channels()
        string channel_layout_name()
        string sample_format_name()
        bool has_pts()
        int64_t pts()
        int64_t index()
        bool key_frame()
        char picture_type()
        bool corrupt()
        const vector[PlaneLayout]& planes()
        int linesize(int plane)
        PlaneSpan span(int plane) except +raise_error
        bool is_writable()
        void make_writable() except +raise_error


cdef extern from "derenotes/source.hpp" namespace "derenotes" nogil:
    cdef cppclass Source:
        const string& name()
        bool seekable()

    # A file (or URL) by its path; opened by each reader of it, when it reads.
    shared_ptr[const Source] file_source(string path, bool urls_allowed, int64_t url_timeout_us) except +raise_error


cdef extern from "derenotes/interrupt.hpp" namespace "derenotes" nogil:
    cdef cppclass CancelFlag:
        void cancel()
        bool cancelled()

    ctypedef void (*ReleaseOwner)(void* owner) noexcept nogil
    # Bytes in memory, read where they are; release(owner) once when the source is destroyed.
    shared_ptr[const Source] memory_source(string name, const uint8_t* data, size_t size, void* owner,
                                           ReleaseOwner release) except +raise_error

    cdef cppclass ReadCallbacks:
        void* owner
        int (*read)(void* owner, int64_t position, uint8_t* buffer, int size) noexcept nogil
        int64_t (*size)(void* owner) noexcept nogil
        ReleaseOwner release
        bool seekable
    shared_ptr[const Source] callback_source(string name, ReadCallbacks callbacks) except +raise_error
    void require_seekable(const Source& source, const char* what) except +raise_error


cdef extern from "libavutil/avutil.h" nogil:
    cpdef enum AVMediaType:
        AVMEDIA_TYPE_VIDEO
        AVMEDIA_TYPE_AUDIO
cdef extern from "derenotes/probe.hpp" namespace "derenotes" nogil:
    cdef cppclass StreamDescription:
        int index
        string kind, codec, codec_tag, profile
        double duration
        int64_t bit_rate, frame_count
        string language, title, filename, mimetype
        int width, height
        string pixel_format
        int avg_rate_num, avg_rate_den, r_rate_num, r_rate_den, sar_num, sar_den
        bool has_display_matrix
        int rotation
        bool flipped
        string color_range, color_space, color_primaries, color_transfer, field_order
        int sample_rate, channels
        string channel_layout, sample_format

    cdef cppclass MediaDescription:
        string format, format_long_name
        double duration
        int64_t bit_rate
        vector[StreamDescription] streams


cdef extern from "derenotes/decoder.hpp" namespace "derenotes" nogil:
    cdef cppclass StreamInfo:
        int video_stream_count, audio_stream_count
        int stream_index
        int width, height
        string pixel_format
        string codec
        int fps_num, fps_den
        int rate_num, rate_den
        int time_base_num, time_base_den
        double duration
        int64_t frame_count
        bool intra_only, lossless
        double start_time
        StreamDescription description

    ctypedef bool (*InterruptCheck)() noexcept nogil

    cdef cppclass PacketInfo:
        pass

    cdef cppclass DecoderOptions:
        AVMediaType media
        int stream
        int threads
        int64_t max_pixels
        InterruptCheck interrupted
        bool allow_nested
        int max_streams
        int64_t max_packets
        int64_t max_probe_bytes
        shared_ptr[CancelFlag] cancel  # shared_ptr<const CancelFlag> in C++
        double timeout
        int max_nested_opens

    cdef cppclass Decoder:
        Decoder(shared_ptr[const Source] source, DecoderOptions options) except +raise_error
        const StreamInfo& info()
        unique_ptr[Frame] next() except +raise_error
        int64_t decode_errors()
        vector[string] logged_errors()
        optional[PacketInfo] seek(int64_t time) except +raise_error

cdef extern from "derenotes/probe.hpp" namespace "derenotes" nogil:
    MediaDescription probe(shared_ptr[const Source] source, const DecoderOptions& options) except +raise_error

cdef extern from "derenotes/frame_index.hpp" namespace "derenotes" nogil:
    cdef cppclass FrameIndex:
        int64_t size()
        int64_t pts(int64_t frame)
        int64_t duration(int64_t frame)
        bool key(int64_t frame)
        bool learned()

cdef extern from "derenotes/random_access.hpp" namespace "derenotes" nogil:
    cpdef enum class IndexSource "derenotes::IndexSource":
        Packets
        Decoding

    cdef cppclass RandomAccessStatistics "derenotes::RandomAccess::Statistics":
        int64_t seeks
        int64_t earlier_keys
        int64_t passes
        int64_t skipped

    cdef cppclass RandomAccess:
        RandomAccess(shared_ptr[const Source] source, DecoderOptions options, unique_ptr[Decoder] unused,
                     IndexSource source) except +raise_error
        const FrameIndex& index() except +raise_error
        unique_ptr[Frame] frame(int64_t number) except +raise_error
        void plan(vector[int64_t] numbers)
        const RandomAccessStatistics& statistics()
        int64_t index_version()

cdef extern from "derenotes/converter.hpp" namespace "derenotes" nogil:
    int pixel_format_named(const string& name) except +raise_error
    int scale_flags_named(const string& flags) except +raise_error
    string least_lossy_format(const string& source, const vector[string]& candidates) except +raise_error
    vector[PlaneLayout] conversion_planes(int format, int width, int height, bool copy) except +raise_error
    void convert_frame(const Frame& frame, int format, int width, int height, int flags, uint8_t* const* data,
                       const int* linesize) except +raise_error

cdef extern from "libavutil/rational.h" nogil:
    ctypedef struct AVRational:
        int num
        int den

cdef extern from "libavutil/samplefmt.h" nogil:
    cdef enum AVSampleFormat:
        AV_SAMPLE_FMT_U8P
        AV_SAMPLE_FMT_S16P
        AV_SAMPLE_FMT_S32P
        AV_SAMPLE_FMT_S64P
        AV_SAMPLE_FMT_FLTP
        AV_SAMPLE_FMT_DBLP

cdef extern from "derenotes/audio_converter.hpp" namespace "derenotes" nogil:
    int sample_format_named(const string& name) except +raise_error

    cdef cppclass AudioTarget:
        int sample_format, sample_rate, channels
        string layout

    cdef cppclass AudioConverter:
        AudioConverter(AudioTarget target) except +raise_error
        void convert(const Frame& frame) except +raise_error
        void convert(const Frame& frame, AVRational time_base) except +raise_error
        int64_t position()
        void flush() except +raise_error
        bool started()
        int channels()
        int sample_rate()
        int sample_format()
        int bytes_per_sample()
        int samples()
        void clear_output()
        void keep_passed_through()
        const uint8_t* plane(int channel)

cdef extern from "derenotes/prefault.hpp" namespace "derenotes" nogil:
    cdef cppclass Prefault:
        Prefault(void* data, size_t bytes) except +raise_error
        void join()
