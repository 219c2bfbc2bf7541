// The proxy's HTTP server: cpp-httplib behind plain structs.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/http_types.h"
#include "core/result.h"

namespace perch {

class Log;

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;                            // 0 = any free port
    std::size_t max_body_bytes = 16 * 1024;  // larger bodies -> 413 JSON, handler not called
    int threads = 64;
    std::chrono::seconds read_timeout{5};
    std::chrono::seconds write_timeout{5};
    std::chrono::seconds keep_alive_timeout{5};
    std::size_t keep_alive_max_requests = 5;  // then the connection is closed (Connection: close)
    // Slow clients: each request (head and body) must arrive within
    // request_timeout of its first byte, else 408 and the connection is closed;
    // one client address may hold at most max_connections_per_client connections
    // at once, else 429 too_many_connections (0 = no limit; behind a reverse proxy
    // every connection comes from its address: 0 there).
    std::chrono::milliseconds request_timeout{5000};
    std::size_t max_connections_per_client = 16;
    // Headers for the answers the server gives by itself, before any handler
    // runs (malformed heads 400, 408, 411, 413, 414, 415, 431, 429 too_many_connections,
    // 500): the proxy passes security_headers() (routes.h). Nosniff and
    // Cache-Control: no-store are always added.
    std::vector<std::pair<std::string, std::string>> error_headers;
    // One access line per request (method, path without query, status, time); may be null.
    Log* log = nullptr;
};
// Every request's framing is decided on its raw head before httplib parses it
// (request_head.h): a request line over 8 KiB -> 414; a head over 16 KiB, over
// 100 header lines, or a header line over 8 KiB -> 431; Transfer-Encoding, a
// repeated or non-digit Content-Length, a missing or repeated Host (HTTP/1.1),
// obsolete folding, bare LF/CR, a control byte in a value or a malformed
// request line -> 400; POST/PUT/PATCH without Content-Length -> 411; a
// Content-Length over max_body_bytes -> 413. Each is JSON with Connection:
// close, and the connection ends. A declared body on a method httplib does not
// read (GET, HEAD, OPTIONS, ...) is received within the request deadline and
// dropped before the handler runs. So bytes sent as a body are never read as
// another request. A request with Content-Encoding is 415 unsupported_media_type
// before its body is read (httplib would inflate it without a limit).

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

// Calls `handler` for every method and path (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS;
// HEAD arrives as "HEAD" and httplib drops the body it answers). Quirk of libcpp-httplib
// 0.11.4: request header VALUES arrive percent-decoded ("a%0D%0Ab" -> "a\r\nb"), so
// never trust a header value to be free of '%'-decoded bytes such as CR/LF.
// The handler decides statuses; an exception escaping it becomes
// 500 {"error":{"code":"internal","message":"internal error"}}. Errors produced by
// the server itself (413, 414, 400, ...) are JSON {"error":{...}} too, never HTML.
class HttpServer {
public:
    HttpServer(ServerOptions options, RequestHandler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds host:port; returns the real port (useful with port 0), or an error
    // ("cannot listen on 127.0.0.1:8080").
    Result<int> bind();
    // Serves until stop(); call after a successful bind().
    void run();
    // Thread-safe; run() returns soon after. Safe to call before run() starts.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace perch
