// Plain HTTP structs, so routes and the Twitter client are testable without
// sockets. Only lib/net includes cpp-httplib.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace perch {

// Header names compare case-insensitively; we store them lower-cased.
using Headers = std::multimap<std::string, std::string>;

// What the server received, already bounded by the server's limits.
struct HttpRequest {
    std::string method;        // "GET", "POST", ...
    std::string path;          // decoded path, no query
    std::string query;         // raw query string without '?'
    Headers headers;           // lower-cased names
    std::string body;
    std::string remote_addr;
    int remote_port = 0;

    // First value of a header (name lower-case), or empty.
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Set-Cookie", "..."}
    std::string content_type = "application/json";
    std::string body;
};

// An outgoing call to the provider.
struct OutgoingRequest {
    std::string method;                  // "GET" or "POST"
    std::string url;                     // absolute, with any query already in it
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type;            // for POST bodies; may be empty
};

struct IncomingResponse {
    int status = 0;
    Headers headers;
    std::string body;
};

enum class TransportFailure { timeout, connection, too_large, tls, invalid_url };

struct TransportError {
    TransportFailure failure;
    std::string message;  // safe to log: never contains a secret
};

using TransportResult = Result<IncomingResponse, TransportError>;

struct TransportLimits {
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds read_timeout{10000};
    std::size_t max_response_bytes = 256 * 1024;
    // Idle kept-alive provider connections kept per origin: at least the
    // server's largest thread count, so a burst never has to reconnect.
    std::size_t max_idle_per_origin = 256;
    // Pooled connections idle longer are closed, not reused: providers close
    // idle keep-alive connections after a few seconds themselves, and a
    // request written into one they are closing fails.
    std::chrono::milliseconds pool_idle_timeout{4000};
};

// Sends one request; never retries. Implemented over cpp-httplib in http_client.cpp,
// faked in tests.
class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // Returns the response (any status), or a TransportError.
    virtual TransportResult send(const OutgoingRequest& request) = 0;
};

}  // namespace perch
