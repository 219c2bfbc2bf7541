#include "net/connection_reader.h"

#include <algorithm>
#include <cstring>

#include <poll.h>

#include "net/socket_io.h"

namespace perch {

ConnectionReader::ConnectionReader(int fd, std::chrono::milliseconds read_timeout)
    : fd_(fd), read_timeout_(read_timeout) {}

void ConnectionReader::start_request(Clock::time_point started, std::chrono::milliseconds timeout) {
    started_ = started;
    deadline_ = started + timeout;
    expired_ = false;
    allowed_ = std::numeric_limits<std::uint64_t>::max();
}

bool ConnectionReader::past_deadline() const {
    if (Clock::now() >= deadline_) expired_ = true;
    return expired_;
}

// The per-read timeout, cut short by the request's deadline.
std::chrono::milliseconds ConnectionReader::read_wait() const {
    // Rounded up, so a wait that times out ends past the deadline, never just before it.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(read_timeout_, left));
}

// The deadline is checked before each receive: a client that drips bytes
// always has one ready, so only the deadline ends it.
ssize_t ConnectionReader::receive_more(std::size_t capacity) {
    if (past_deadline()) return -1;
    if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ >= capacity) return -1;
    if (end_ == buffer_.size()) buffer_.resize(std::min(capacity, buffer_.size() * 4));
    const std::size_t room = std::min(capacity, buffer_.size()) - end_;
    const ssize_t got = recv_within(fd_, buffer_.data() + end_, room, read_wait());
    if (got < 0) {
        past_deadline();  // a wait cut short by the deadline makes this request expired
        return -1;
    }
    end_ += static_cast<std::size_t>(got);
    return got;
}

bool ConnectionReader::discard_after_head(std::size_t head_bytes, std::uint64_t length) {
    char* const body = buffer_.data() + begin_ + std::min(head_bytes, end_ - begin_);
    const std::size_t held = static_cast<std::size_t>(buffer_.data() + end_ - body);
    const std::size_t dropped = static_cast<std::size_t>(std::min<std::uint64_t>(held, length));
    std::memmove(body, body + dropped, held - dropped);
    end_ -= dropped;
    length -= dropped;
    // Never more than the body is received: what follows it is the next request.
    char sink[16 * 1024];
    while (length > 0) {
        if (past_deadline()) return false;
        const ssize_t got = recv_within(fd_, sink, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof sink, length)),
                                        read_wait());
        if (got <= 0) {
            if (got < 0) past_deadline();
            return false;
        }
        length -= static_cast<std::uint64_t>(got);
    }
    return true;
}

bool ConnectionReader::is_readable() const {
    if (allowed_ == 0) return false;
    return has_buffered_bytes() || (!past_deadline() && wait_for_socket(fd_, POLLIN, read_wait()));
}

ssize_t ConnectionReader::read(char* ptr, std::size_t size) {
    if (allowed_ == 0) return 0;  // the end of this request; what follows is the next one
    if (!has_buffered_bytes()) {
        if (past_deadline()) return -1;
        const ssize_t got = recv_within(fd_, buffer_.data(), buffer_.size(), read_wait());
        if (got <= 0) {
            if (got < 0) past_deadline();
            return got;
        }
        begin_ = 0;
        end_ = static_cast<std::size_t>(got);
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({size, end_ - begin_, allowed_}));
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    allowed_ -= n;
    return static_cast<ssize_t>(n);
}

}  // namespace perch
