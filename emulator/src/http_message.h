// Plain request/response structs: the emulator's logic never sees a socket, so
// tests call it directly. Only http_server.cpp knows about cpp-httplib.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace perch::emulator {

struct EmuRequest {
    std::string method;       // "GET", "POST", ...
    std::string path;         // as sent (still percent-encoded), no query
    std::string query;        // raw query string without '?'
    std::multimap<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string remote_addr;  // peer IP, for the loopback-only control endpoint

    // First value of a header (name lower-case), or empty.
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
    std::size_t header_count(const std::string& lower_name) const { return headers.count(lower_name); }
};

struct EmuResponse {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    // Fault delivery, carried out by the server glue: wait this long before
    // answering, or close the connection without any answer.
    std::chrono::milliseconds delay{0};
    bool drop = false;

    // Why a request was refused, for the log line and the X-Perch-Emulator-Reason
    // header. Never contains a secret, a token or a signature.
    std::string reason;
};

}  // namespace perch::emulator
