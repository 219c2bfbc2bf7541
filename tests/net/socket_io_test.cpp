#include "net/socket_io.h"
#include "socket_pair.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A loopback TCP connection: listener, client and the accepted server end.
struct LoopbackConnection {
    int listener = -1;
    int client = -1;
    int server = -1;
    int port = 0;
    LoopbackConnection() {
        listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener, 1) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port = ntohs(address.sin_port);
        client = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        server = ::accept(listener, nullptr, nullptr);
        REQUIRE(server >= 0);
    }
    ~LoopbackConnection() {
        for (int fd : {listener, client, server})
            if (fd >= 0) ::close(fd);
    }
};

}  // namespace

TEST_CASE("wait_for_socket reports readable data and times out without it", "[socket_io]") {
    SocketPair pair;
    CHECK_FALSE(perch::wait_for_socket(pair.a, POLLIN, 20ms));
    CHECK(perch::wait_for_socket(pair.a, POLLOUT, 20ms));
    REQUIRE(::send(pair.b, "x", 1, 0) == 1);
    CHECK(perch::wait_for_socket(pair.a, POLLIN, 1000ms));
}

TEST_CASE("the endpoints of a loopback connection are numeric addresses and ports", "[socket_io]") {
    LoopbackConnection connection;
    const auto local = perch::local_endpoint(connection.server);
    CHECK(local.ip == "127.0.0.1");
    CHECK(local.port == connection.port);
    const auto peer = perch::peer_endpoint(connection.server);
    CHECK(peer.ip == "127.0.0.1");
    CHECK(peer.port == perch::local_endpoint(connection.client).port);
}

TEST_CASE("the endpoint of something that is not a socket is unknown", "[socket_io]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const auto peer = perch::peer_endpoint(fds[0]);
    CHECK(peer.ip.empty());
    CHECK(peer.port == -1);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("send_within gives up once the peer stops reading for longer than the timeout", "[socket_io]") {
    SocketPair pair;
    const std::string chunk(64 * 1024, 'x');
    ssize_t sent = 0;
    std::size_t total = 0;
    const auto started = Clock::now();
    // Nobody reads pair.b: the buffers fill, then the send times out.
    while ((sent = perch::send_within(pair.a, chunk.data(), chunk.size(), 50ms)) > 0) {
        total += static_cast<std::size_t>(sent);
        REQUIRE(Clock::now() - started < 10s);
    }
    CHECK(sent == -1);
    CHECK(total > 0);
}

TEST_CASE("send_within to a closed peer fails instead of raising SIGPIPE", "[socket_io]") {
    SocketPair pair;
    ::close(pair.b);
    pair.b = -1;
    CHECK(perch::send_within(pair.a, "hello", 5, 50ms) == -1);
}

TEST_CASE("recv_within reads what is there, waits for what is not, and reports the end of the stream", "[socket_io]") {
    SocketPair pair;
    char buffer[16];
    const auto started = Clock::now();
    CHECK(perch::recv_within(pair.a, buffer, sizeof buffer, 100ms) == -1);  // nothing within the timeout
    CHECK(Clock::now() - started >= 100ms);
    REQUIRE(::send(pair.b, "abc", 3, 0) == 3);
    REQUIRE(perch::recv_within(pair.a, buffer, sizeof buffer, 100ms) == 3);
    CHECK(std::string(buffer, 3) == "abc");
    std::thread late([&pair] {
        std::this_thread::sleep_for(50ms);
        ::send(pair.b, "late", 4, 0);
    });
    CHECK(perch::recv_within(pair.a, buffer, sizeof buffer, 5000ms) == 4);
    late.join();
    ::shutdown(pair.b, SHUT_WR);
    CHECK(perch::recv_within(pair.a, buffer, sizeof buffer, 100ms) == 0);
}

TEST_CASE("wait_for_request returns as soon as the first byte arrives", "[socket_io]") {
    SocketPair pair;
    REQUIRE(::send(pair.b, "G", 1, 0) == 1);
    CHECK(perch::wait_for_request(pair.a, 5000ms, [] { return true; }));
}

TEST_CASE("wait_for_request gives up at its timeout when nothing arrives", "[socket_io]") {
    SocketPair pair;
    const auto started = Clock::now();
    CHECK_FALSE(perch::wait_for_request(pair.a, 150ms, [] { return true; }));
    CHECK(Clock::now() - started >= 150ms);
}

TEST_CASE("wait_for_request stops waiting when the server stops serving", "[socket_io]") {
    SocketPair pair;
    std::atomic<bool> serving{true};
    std::thread stopper([&serving] {
        std::this_thread::sleep_for(50ms);
        serving = false;
    });
    const auto started = Clock::now();
    // Far shorter than the 60 s timeout: the 100 ms slices notice the stop.
    CHECK_FALSE(perch::wait_for_request(pair.a, 60000ms, [&serving] { return serving.load(); }));
    CHECK(Clock::now() - started < 5s);
    stopper.join();
}

TEST_CASE("finish_unread lets the peer read the answer and then the end of the stream", "[socket_io]") {
    LoopbackConnection connection;
    const std::string unread(8 * 1024, 'u');
    REQUIRE(::send(connection.client, unread.data(), unread.size(), 0) == static_cast<ssize_t>(unread.size()));
    REQUIRE(::send(connection.server, "answer", 6, 0) == 6);
    ::shutdown(connection.client, SHUT_WR);  // the client has sent everything
    perch::finish_unread(connection.server);
    std::string received;
    char buffer[64];
    ssize_t got;
    while ((got = ::recv(connection.client, buffer, sizeof buffer, 0)) > 0) received.append(buffer, static_cast<std::size_t>(got));
    CHECK(got == 0);  // an orderly end of stream, not a reset
    CHECK(received == "answer");
}
