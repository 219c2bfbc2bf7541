#include "net/listener_sockets.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

namespace perch {

void raise_listen_backlog(int listening_fd) {
    if (listening_fd >= 0) ::listen(listening_fd, SOMAXCONN);
}
namespace {

// Whether a connection's local address is one the listener accepts on: the
// same port, and the same address unless the listener is a wildcard.
bool accepted_on(const sockaddr_storage& connection, const sockaddr_storage& listener) {
    if (connection.ss_family != listener.ss_family) return false;
    if (listener.ss_family == AF_INET) {
        const auto& c = reinterpret_cast<const sockaddr_in&>(connection);
        const auto& l = reinterpret_cast<const sockaddr_in&>(listener);
        return c.sin_port == l.sin_port &&
               (l.sin_addr.s_addr == htonl(INADDR_ANY) || c.sin_addr.s_addr == l.sin_addr.s_addr);
    }
    const auto& c = reinterpret_cast<const sockaddr_in6&>(connection);
    const auto& l = reinterpret_cast<const sockaddr_in6&>(listener);
    return c.sin6_port == l.sin6_port && (std::memcmp(&l.sin6_addr, &in6addr_any, sizeof l.sin6_addr) == 0 ||
                                          std::memcmp(&c.sin6_addr, &l.sin6_addr, sizeof l.sin6_addr) == 0);
}

}  // namespace

std::optional<sockaddr_storage> local_address(int fd) {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return std::nullopt;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return std::nullopt;
    return address;
}

void shut_down_reading_connections(const sockaddr_storage& listen_address) {
    // increment(error), not a range-for: this runs inside httplib's accept
    // loop, where an exception would end the process.
    std::error_code error;
    for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            continue;
        }
        const int fd = std::atoi(name.c_str());
        struct stat info {};
        if (::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
        int listening = 0;
        socklen_t size = sizeof listening;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening != 0) continue;
        const auto local = local_address(fd);
        if (local && accepted_on(*local, listen_address)) ::shutdown(fd, SHUT_RD);
    }
}

}  // namespace perch
