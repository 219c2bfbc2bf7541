// The read side of one client connection in perch-proxy's connection loop
// (net/http_server.cpp), without httplib.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace perch {

// A buffer filled by one recv() per arrival (cpp-httplib reads heads a byte at
// a time), a deadline per request so a client that drips bytes holds a worker
// only that long, and the request's frame: the parser above is handed this
// request's bytes and no more, so it can never read into the next request.
class ConnectionReader {
public:
    using Clock = std::chrono::steady_clock;

    // `read_timeout`: the longest wait for any one read.
    ConnectionReader(int fd, std::chrono::milliseconds read_timeout);

    // The next request began at `started` and must arrive whole within `timeout`.
    // Until limit_reads(), read() is not limited.
    void start_request(Clock::time_point started, std::chrono::milliseconds timeout);
    // Whether the current request's deadline has passed (seen by a read or a wait).
    bool expired() const { return expired_; }
    Clock::time_point request_started() const { return started_; }
    // Bytes received and not yet handed out (a pipelined request, or the rest of this one).
    bool has_buffered_bytes() const { return begin_ < end_; }

    // What is buffered from the current request's first byte on.
    std::string_view buffered() const { return {buffer_.data() + begin_, end_ - begin_}; }
    // Appends what the socket has to the buffer, which grows to hold at most
    // `capacity` bytes. Bytes read; 0 at end of stream; -1 on error, past the
    // deadline, or when `capacity` bytes are already buffered.
    ssize_t receive_more(std::size_t capacity);
    // Drops the `length` bytes after the first `head_bytes` buffered bytes (a
    // body nobody reads), receiving within the deadline what has not arrived;
    // bytes after them stay buffered. False if they did not all arrive.
    bool discard_after_head(std::size_t head_bytes, std::uint64_t length);
    // read() hands out at most `bytes` more bytes of this request, then reports end of stream.
    void limit_reads(std::uint64_t bytes) { allowed_ = bytes; }
    // Whether read() handed out every byte limit_reads() allowed.
    bool read_all_allowed() const { return allowed_ == 0; }

    // For the HTTP parser: buffered bytes first, then one recv() per call.
    bool is_readable() const;
    ssize_t read(char* ptr, std::size_t size);

private:
    bool past_deadline() const;
    std::chrono::milliseconds read_wait() const;

    int fd_;
    std::chrono::milliseconds read_timeout_;
    Clock::time_point started_{};
    Clock::time_point deadline_{Clock::time_point::max()};
    mutable bool expired_ = false;
    std::uint64_t allowed_ = std::numeric_limits<std::uint64_t>::max();
    // 4 KiB holds a usual head; it grows only for a longer one (receive_more).
    std::vector<char> buffer_ = std::vector<char>(4096);
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace perch
