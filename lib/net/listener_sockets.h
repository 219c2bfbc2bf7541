// The server's own sockets, found from outside httplib (which does not hand
// out its connections).
#pragma once

#include <optional>

#include <sys/socket.h>

namespace perch {

// libcpp-httplib 0.11 listens with a backlog of 5, so a burst of new
// connections (a proxy under load opens several at once) loses SYNs and waits
// a one-second retransmit; listen() again on its socket raises the backlog.
// Both servers built on httplib call this once bound.
void raise_listen_backlog(int listening_fd);

// The local address of a socket, or nullopt if it is not a bound TCP socket.
std::optional<sockaddr_storage> local_address(int fd);

// On stop, connections waiting for a request are closed by IdleSockets::stop(),
// but a worker may be reading a request that is still arriving (up to the
// request timeout) and httplib joins its workers only after that. httplib does
// not hand us the connections, so we find them: every open socket of this
// process whose local address is the one we listen on (outgoing provider
// connections use other ports). Shutting down only the read side ends such a
// read at once (end-of-file) while a request being answered can still write
// its response.
void shut_down_reading_connections(const sockaddr_storage& listen_address);

}  // namespace perch
