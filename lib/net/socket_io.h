#pragma once

// POSIX socket helpers shared by the two server adaptors' connection loops
// (net/http_server.cpp, net/raw_head_server.cpp). Both replace cpp-httplib's
// per-connection loop; these are the parts that do not need httplib.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <sys/types.h>

namespace perch {

// Waits up to `timeout` for `events` (POLLIN, POLLOUT) on `fd`, retrying on
// EINTR. False on timeout or error.
bool wait_for_socket(int fd, short events, std::chrono::milliseconds timeout);

struct Endpoint {
    std::string ip;  // numeric, "" if unknown
    int port = -1;
};
Endpoint peer_endpoint(int fd);
Endpoint local_endpoint(int fd);

// Answers go out in small writes; without this a keep-alive client waits for a
// delayed ACK (~40 ms) on every answer.
void disable_nagle(int fd);

// send() that never raises SIGPIPE and waits at most `timeout` each time the
// socket's buffer is full. Bytes sent, or -1.
ssize_t send_within(int fd, const char* data, std::size_t size, std::chrono::milliseconds timeout);

// recv() of what the socket has, waiting (poll) at most `timeout` only when it
// has nothing yet: a request is usually there already, so this saves a poll
// per read. Bytes read, 0 at end of stream, -1 on error or timeout.
ssize_t recv_within(int fd, char* data, std::size_t size, std::chrono::milliseconds timeout);

// Waits for the first byte of the next request, checking `serving` every
// 100 ms: once it turns false (the server is stopping) it gives up, unless a
// request has already begun to arrive. True when there is a request to read.
bool wait_for_request(int fd, std::chrono::milliseconds timeout, const std::function<bool()>& serving);

// Closing a socket with unread bytes sends a reset that can destroy the answer
// before the client reads it: send FIN, then drain (at most 64 KiB, 500 ms).
void finish_unread(int fd);

}  // namespace perch
