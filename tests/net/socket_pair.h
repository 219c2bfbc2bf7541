#pragma once

// Both ends of a connected stream socket for socket-level tests, closed on scope exit.

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

struct SocketPair {
    int a = -1;
    int b = -1;
    SocketPair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        a = fds[0];
        b = fds[1];
    }
    ~SocketPair() {
        if (a >= 0) ::close(a);
        if (b >= 0) ::close(b);
    }
    SocketPair(const SocketPair&) = delete;
    SocketPair& operator=(const SocketPair&) = delete;
    // The peer hangs up: `a` reads end-of-file.
    void close_b() {
        ::close(b);
        b = -1;
    }
};
