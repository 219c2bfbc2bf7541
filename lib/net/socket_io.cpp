#include "net/socket_io.h"

#include <algorithm>
#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

namespace perch {

using Clock = std::chrono::steady_clock;

bool wait_for_socket(int fd, short events, std::chrono::milliseconds timeout) {
    pollfd entry{fd, events, 0};
    const int wait_ms = static_cast<int>(std::clamp<long long>(timeout.count(), 0, 24LL * 3600 * 1000));
    int ready;
    do {
        ready = ::poll(&entry, 1, wait_ms);
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
}

namespace {

Endpoint numeric_endpoint(int fd, bool peer) {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    const int got = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size)
                         : ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    Endpoint result;
    if (got != 0) return result;
    char text[INET6_ADDRSTRLEN] = "";
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        if (::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text) != nullptr) result.port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        if (::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text) != nullptr) result.port = ntohs(v6.sin6_port);
    }
    if (result.port >= 0) result.ip = text;
    return result;
}

}  // namespace

Endpoint peer_endpoint(int fd) { return numeric_endpoint(fd, true); }
Endpoint local_endpoint(int fd) { return numeric_endpoint(fd, false); }

void disable_nagle(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

ssize_t send_within(int fd, const char* data, std::size_t size, std::chrono::milliseconds timeout) {
    for (;;) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) return sent;
        if (errno == EINTR) continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for_socket(fd, POLLOUT, timeout)) return -1;
    }
}

ssize_t recv_within(int fd, char* data, std::size_t size, std::chrono::milliseconds timeout) {
    for (;;) {
        const ssize_t got = ::recv(fd, data, size, MSG_DONTWAIT);
        if (got >= 0) return got;
        if (errno == EINTR) continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for_socket(fd, POLLIN, timeout)) return -1;
    }
}

bool wait_for_request(int fd, std::chrono::milliseconds timeout, const std::function<bool()>& serving) {
    const auto until = Clock::now() + timeout;
    for (;;) {
        if (!serving()) return wait_for_socket(fd, POLLIN, std::chrono::milliseconds(0));
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
        if (left.count() <= 0) return false;
        pollfd entry{fd, POLLIN, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(100, left.count())));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return false;
    }
}

void finish_unread(int fd) {
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    const auto until = Clock::now() + std::chrono::milliseconds(500);
    for (std::size_t drained = 0; drained < 64 * 1024;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
        if (left.count() <= 0 || !wait_for_socket(fd, POLLIN, left)) break;
        const ssize_t got = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (got <= 0) break;
        drained += static_cast<std::size_t>(got);
    }
}

}  // namespace perch
