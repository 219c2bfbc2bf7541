// An HTTP server that hands its handler each request's headers exactly as they
// were sent (cpp-httplib 0.11.4 percent-decodes header values; see raw_head.h),
// and can hold or drop an answer. The provider emulator serves through it, so
// it sees what a real provider would.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace perch {

struct RawRequest {
    std::string method;       // "GET", "POST", ...
    std::string path;         // as sent (still percent-encoded), no query
    std::string query;        // raw query string without '?'
    std::multimap<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string remote_addr;  // peer IP, for loopback-only endpoints

    // First value of a header (name lower-case), or empty.
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
    std::size_t header_count(const std::string& lower_name) const { return headers.count(lower_name); }
};

struct RawResponse {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    // Fault delivery, carried out by the server: wait this long before
    // answering, or close the connection without any answer.
    std::chrono::milliseconds delay{0};
    bool drop = false;

    // Why a request was refused, for the log line and the reason header.
    // Never contains a secret, a token or a signature.
    std::string reason;
};

using RawHandler = std::function<RawResponse(const RawRequest&)>;

struct RawServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    int threads = 32;
    std::size_t max_body_bytes = 64 * 1024;
    // Load tests: connections are not cut every 100 answers, and only failures are logged.
    bool fast = false;
    std::string name = "perch-emulator";                    // prefix of the log lines on stderr
    std::string reason_header = "X-Perch-Emulator-Reason";  // carries RawResponse::reason
};

class RawHeadServer {
public:
    RawHeadServer(RawServerOptions options, RawHandler handler);
    ~RawHeadServer();
    RawHeadServer(const RawHeadServer&) = delete;
    RawHeadServer& operator=(const RawHeadServer&) = delete;

    // Binds options.host:options.port (0: any free port). Returns the port, or -1.
    int bind();
    // Serves until stop(). Returns false if the server could not run.
    bool run();
    // Thread-safe and idempotent: stops accepting, wakes held answers (they
    // are then dropped) and makes run() return.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace perch
