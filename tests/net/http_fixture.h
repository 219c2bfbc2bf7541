// Socket-level fixtures for the HTTP server tests: a running server on an
// ephemeral port and a raw client connection.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "net/http_server.h"
#include "base/log.h"

namespace perch::test {

// A server on an ephemeral port, run on its own thread and stopped at scope exit.
class RunningServer {
public:
    RunningServer(RequestHandler handler, ServerOptions options = {}) : server_(options, std::move(handler)) {
        auto port = server_.bind();
        REQUIRE(port.ok());
        port_ = port.value();
        thread_ = std::thread([this] { server_.run(); });
    }
    ~RunningServer() {
        server_.stop();
        thread_.join();
    }
    std::string url(const std::string& target) const { return "http://127.0.0.1:" + std::to_string(port_) + target; }
    int port() const { return port_; }

private:
    HttpServer server_;
    int port_ = 0;
    std::thread thread_;
};

// A raw client connection, for what HttpTransport would never send.
class RawConnection {
public:
    explicit RawConnection(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    }
    ~RawConnection() { ::close(fd_); }

    void send(const std::string& bytes) { REQUIRE(::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())); }
    // For a peer that may already have closed: no SIGPIPE, no check.
    void try_send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

    // One response (headers and a Content-Length body), or what arrived before
    // the deadline or end-of-file.
    std::string response(std::chrono::milliseconds deadline = std::chrono::milliseconds(3000)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!complete()) {
            if (!wait_readable(until)) break;
            char chunk[4096];
            const ssize_t got = ::read(fd_, chunk, sizeof chunk);
            if (got <= 0) break;
            buffer_.append(chunk, static_cast<std::size_t>(got));
        }
        const std::size_t end = complete() ? message_size() : buffer_.size();
        std::string one = buffer_.substr(0, end);
        buffer_.erase(0, end);
        return one;
    }

    // True once the server closed the connection (read returns 0) before the deadline.
    bool closed_by_server(std::chrono::milliseconds deadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (wait_readable(until)) {
            char chunk[256];
            const ssize_t got = ::read(fd_, chunk, sizeof chunk);
            if (got <= 0) return true;
        }
        return false;
    }

private:
    bool wait_readable(std::chrono::steady_clock::time_point until) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd poll_fd{fd_, POLLIN, 0};
        return ::poll(&poll_fd, 1, static_cast<int>(left.count())) > 0;
    }
    bool complete() const { return message_size() != std::string::npos; }
    std::size_t message_size() const {
        const std::size_t head = buffer_.find("\r\n\r\n");
        if (head == std::string::npos) return std::string::npos;
        std::size_t length = 0;
        const std::string headers = buffer_.substr(0, head);
        std::string lowered = headers;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::size_t at = lowered.find("\r\ncontent-length: ");
        if (at != std::string::npos) length = std::stoul(headers.substr(at + 18));
        if (buffer_.size() < head + 4 + length) return std::string::npos;
        return head + 4 + length;
    }

    int fd_ = -1;
    std::string buffer_;
};

// Server options whose access log is kept in memory.
class LoggedOptions {
    std::ostringstream text_;
    std::unique_ptr<Log> log_ = Log::to_stream(text_);

public:
    LoggedOptions() { options.log = log_.get(); }
    ServerOptions options;
    std::string text() const { return text_.str(); }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(text_.str());
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
};

// Answers 200 {} and counts the requests that reached it.
inline RequestHandler counting_ok(std::atomic<int>& calls) {
    return [&calls](const HttpRequest&) {
        ++calls;
        return HttpResponse{200, {}, "application/json", "{}"};
    };
}

}  // namespace perch::test
