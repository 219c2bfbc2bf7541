#include "net/connection_reader.h"
#include "socket_pair.h"

#include <chrono>
#include <string>

#include <sys/socket.h>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using perch::ConnectionReader;
using Clock = std::chrono::steady_clock;

namespace {

void send_all(int fd, const std::string& bytes) {
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// Everything read() hands out until it reports end of stream or an error.
std::string read_to_end(ConnectionReader& reader) {
    std::string out;
    char chunk[7];  // small, so reads straddle the buffer
    for (;;) {
        const ssize_t got = reader.read(chunk, sizeof chunk);
        if (got <= 0) return out;
        out.append(chunk, static_cast<std::size_t>(got));
    }
}

ConnectionReader started_reader(int fd, std::chrono::milliseconds timeout = 2000ms) {
    ConnectionReader reader(fd, 1000ms);
    reader.start_request(Clock::now(), timeout);
    return reader;
}

// A reader on pair.a whose request deadline is `timeout` away and which has
// received `bytes` from pair.b.
ConnectionReader reader_holding(SocketPair& pair, const std::string& bytes, std::chrono::milliseconds timeout = 2000ms) {
    ConnectionReader reader = started_reader(pair.a, timeout);
    send_all(pair.b, bytes);
    while (reader.buffered().size() < bytes.size()) REQUIRE(reader.receive_more(16384) > 0);
    return reader;
}

}  // namespace

TEST_CASE("receive_more appends to what is buffered and grows only up to the capacity", "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = started_reader(pair.a);
    send_all(pair.b, "GET / HTTP/1.1\r\n");
    REQUIRE(reader.receive_more(16384) > 0);
    send_all(pair.b, "Host: x\r\n");
    REQUIRE(reader.receive_more(16384) > 0);
    CHECK(reader.buffered() == "GET / HTTP/1.1\r\nHost: x\r\n");

    // 20,000 bytes more, but the buffer never holds more than 16,384.
    send_all(pair.b, std::string(20000, 'a'));
    while (reader.buffered().size() < 16384) REQUIRE(reader.receive_more(16384) > 0);
    CHECK(reader.buffered().size() == 16384);
    CHECK(reader.receive_more(16384) == -1);
}

TEST_CASE("read() hands out no more than the request's frame, then end of stream; the rest stays for the next request",
          "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = reader_holding(pair, "HEAD+BODYnext request");
    reader.limit_reads(9);
    CHECK(read_to_end(reader) == "HEAD+BODY");
    CHECK(reader.read_all_allowed());
    CHECK_FALSE(reader.is_readable());

    reader.start_request(Clock::now(), 2000ms);
    CHECK(reader.buffered() == "next request");
    reader.limit_reads(4);
    char four[16];
    REQUIRE(reader.read(four, 2) == 2);
    CHECK_FALSE(reader.read_all_allowed());  // two of the four allowed bytes are still unread
}

TEST_CASE("discard_after_head drops a body that is buffered and one still arriving, and nothing after it",
          "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = reader_holding(pair, "HEAD|body-part-one");
    send_all(pair.b, "|body-part-two|NEXT");
    CHECK(reader.discard_after_head(5, 28));  // 13 buffered + 15 still in the socket
    reader.limit_reads(5);
    CHECK(read_to_end(reader) == "HEAD|");
    reader.start_request(Clock::now(), 2000ms);
    reader.limit_reads(4);
    CHECK(read_to_end(reader) == "NEXT");  // from the socket: the discard took the body only
}

TEST_CASE("discard_after_head keeps pipelined bytes that were buffered after the body", "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = reader_holding(pair, "HEAD|bodyNEXT");
    CHECK(reader.discard_after_head(5, 4));
    CHECK(reader.buffered() == "HEAD|NEXT");
}

TEST_CASE("A body that does not arrive by the deadline fails the discard and expires the request", "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = reader_holding(pair, "HEAD|some", 300ms);
    const auto started = Clock::now();
    CHECK_FALSE(reader.discard_after_head(5, 100));
    CHECK(reader.expired());
    CHECK(Clock::now() - started >= 250ms);
    CHECK(Clock::now() - started < 2000ms);
}

TEST_CASE("A client that leaves mid-body fails the discard without expiring", "[connection_reader]") {
    SocketPair pair;
    ConnectionReader reader = reader_holding(pair, "HEAD|some");
    pair.close_b();
    CHECK_FALSE(reader.discard_after_head(5, 100));
    CHECK_FALSE(reader.expired());
}
