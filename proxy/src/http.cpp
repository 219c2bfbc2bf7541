// The only file that knows about cpp-httplib: the server adaptor and the provider transport.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "config.h"
#include "connection_reader.h"
#include "http_client.h"
#include "http_server.h"
#include "idle_sockets.h"
#include "log.h"
#include "rate_limiter.h"
#include "request_head.h"
#include "socket_io.h"

namespace perch {

namespace {

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string json_error(const std::string& code, const std::string& message) {
    return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

// ---------------------------------------------------------------- server

// Errors httplib produces itself (before or instead of our handler).
std::pair<std::string, std::string> describe_status(int status, std::size_t max_body) {
    switch (status) {
        case 400: return {"bad_request", "malformed HTTP request"};
        case 404: return {"not_found", "no such route"};
        case 405: return {"method_not_allowed", "method not allowed"};
        case 413: return {"too_large", "request body is larger than " + std::to_string(max_body) + " bytes"};
        case 408: return {"request_timeout", "The request did not arrive in time."};
        case 414: return {"uri_too_long", "request URI is too long"};
        case 411: return {"length_required", "a request body needs a Content-Length"};
        case 416: return {"bad_range", "range not satisfiable"};
        case 500: return {"internal", "internal error"};
        case 503: return {"unavailable", "service unavailable"};
        default: return {"http_" + std::to_string(status), "request failed"};
    }
}

// The local address of a socket, or nullopt if it is not a bound TCP socket.
std::optional<sockaddr_storage> local_address(int fd) {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return std::nullopt;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return std::nullopt;
    return address;
}

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

// On stop, connections waiting for a request are closed by IdleSockets::stop(),
// but a worker may be reading a request that is still arriving (up to the
// request timeout) and httplib joins its workers only after that. httplib does
// not hand us the connections, so we find them: every open socket of this
// process whose local address is the one we listen on (outgoing provider
// connections use other ports). Shutting down only the read side ends such a
// read at once (end-of-file) while a request being answered can still write
// its response.
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

// The accept loop calls on_idle() every idle interval, so a stop requested
// before the loop was running (a race with SIGTERM) still ends it. It calls
// shutdown() once it stopped accepting, before joining the workers. The
// connections waiting for their next request wait in idle_sockets(), not on
// a worker; shutdown() closes them first, so nothing is queued after the pool stops.
class StoppableQueue final : public httplib::TaskQueue {
public:
    StoppableQueue(std::size_t threads, const std::atomic<bool>& stop_requested, httplib::Server& server,
                   std::optional<sockaddr_storage> listen_address)
        : pool_(threads), stop_requested_(stop_requested), server_(server), listen_address_(listen_address) {}
    void enqueue(std::function<void()> fn) override { pool_.enqueue(std::move(fn)); }
    void shutdown() override {
        idle_.stop();
        if (listen_address_) shut_down_reading_connections(*listen_address_);
        pool_.shutdown();
    }
    void on_idle() override {
        if (stop_requested_.load()) server_.stop();
    }
    IdleSockets& idle_sockets() { return idle_; }

private:
    IdleSockets idle_;
    httplib::ThreadPool pool_;
    const std::atomic<bool>& stop_requested_;
    httplib::Server& server_;
    std::optional<sockaddr_storage> listen_address_;
};

// Whether an Accept-Encoding value accepts gzip (a "gzip" coding whose q is not 0).
bool accepts_gzip(const std::string& accept_encoding) {
    std::size_t start = 0;
    while (start <= accept_encoding.size()) {
        std::size_t comma = accept_encoding.find(',', start);
        if (comma == std::string::npos) comma = accept_encoding.size();
        std::string item = lower(accept_encoding.substr(start, comma - start));
        item.erase(std::remove_if(item.begin(), item.end(), [](char c) { return c == ' ' || c == '\t'; }), item.end());
        const std::size_t semicolon = item.find(';');
        if (item.substr(0, semicolon) == "gzip") {
            const std::string params = semicolon == std::string::npos ? std::string() : item.substr(semicolon + 1);
            const bool refused = params.rfind("q=0", 0) == 0 && params.find_first_not_of("0.", 2) == std::string::npos;
            if (!refused) return true;
        }
        start = comma + 1;
    }
    return false;
}

// httplib 0.11 (built with Brotli) compresses every compressible answer with
// Brotli at quality 11 whenever "br" appears in Accept-Encoding: ~770 ms for
// the 217 KB perch.mjs on every fetch. gzip costs a few ms and compresses the
// module nearly as well, so httplib is only ever offered gzip (or nothing).
// It chooses from the request it passes us, which is its own non-const
// object, so rewriting the header here is sound despite the const reference.
void offer_only_gzip(const httplib::Request& req) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    bool gzip = false;
    for (auto it = headers.begin(); it != headers.end();) {
        if (lower(it->first) == "accept-encoding") {
            gzip = gzip || accepts_gzip(it->second);
            it = headers.erase(it);
        } else {
            ++it;
        }
    }
    if (gzip) headers.emplace("Accept-Encoding", "gzip");
}

HttpRequest to_plain(const httplib::Request& req) {
    HttpRequest out;
    out.method = req.method;
    out.path = req.path;
    const auto question = req.target.find('?');
    if (question != std::string::npos) out.query = req.target.substr(question + 1);
    for (const auto& [name, value] : req.headers) out.headers.emplace(lower(name), value);
    out.body = req.body;
    out.remote_addr = req.remote_addr;
    out.remote_port = req.remote_port;
    return out;
}

void from_plain(const HttpResponse& response, httplib::Response& res) {
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    // A bodiless answer (204) carries no Content-Type.
    if (response.body.empty() && response.content_type.empty()) return;
    res.set_content(response.body, response.content_type.empty() ? "application/octet-stream"
                                                                  : response.content_type.c_str());
}

using Clock = std::chrono::steady_clock;

// Connections per client address (ServerOptions::max_connections_per_client).
class ConnectionCounter {
public:
    bool acquire(const std::string& client, std::size_t limit) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t& count = counts_[client];
        if (limit != 0 && count >= limit) return false;
        ++count;
        return true;
    }
    void release(const std::string& client) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = counts_.find(client);
        if (it != counts_.end() && --it->second == 0) counts_.erase(it);
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::size_t> counts_;
};

// httplib's view of a client connection: reads through the connection's
// ConnectionReader (buffered, under the request's deadline, within its frame).
class DeadlineStream final : public httplib::Stream {
public:
    DeadlineStream(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
        : reader_(fd, read_timeout), fd_(fd), write_timeout_(write_timeout), remote_(peer_endpoint(fd)),
          local_(local_endpoint(fd)) {}

    ConnectionReader& reader() { return reader_; }
    const ConnectionReader& reader() const { return reader_; }
    const std::string& remote_ip() const { return remote_.ip; }

    bool is_readable() const override { return reader_.is_readable(); }
    bool is_writable() const override { return wait_for_socket(fd_, POLLOUT, write_timeout_); }
    ssize_t read(char* ptr, size_t size) override { return reader_.read(ptr, size); }
    ssize_t write(const char* ptr, size_t size) override { return send_within(fd_, ptr, size, write_timeout_); }

    void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = remote_.ip; port = remote_.port; }
    void get_local_ip_and_port(std::string& ip, int& port) const override { ip = local_.ip; port = local_.port; }
    socket_t socket() const override { return fd_; }

private:
    ConnectionReader reader_;
    int fd_;
    std::chrono::milliseconds write_timeout_;
    Endpoint remote_;
    Endpoint local_;
};

// The stream of the connection this worker thread is serving, so the error
// handler can tell a request cut off by its deadline (408) from a malformed one,
// and the access log can time requests httplib refused before routing.
thread_local DeadlineStream* current_stream = nullptr;

// Answers a connection we will not serve with a JSON error. `headers`: raw
// "Name: value\r\n" lines (own_header_lines(), Retry-After).
void send_error(int fd, int status, const char* reason, const std::string& code, const std::string& message,
                const std::string& headers) {
    const std::string body = json_error(code, message);
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                                 "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n" + headers + "\r\n" + body;
    (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// The reason phrases of the statuses the connection loop answers itself.
const char* reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        default: return "Error";
    }
}

// The methods whose body cpp-httplib 0.11.4 reads itself (detail::expect_content);
// the connection loop drops the declared body of any other before httplib
// parses the head.
bool httplib_reads_body(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

// httplib::Server with its per-connection loop replaced (as perch-emulator
// does) so that slow clients cannot hold the workers, and so that every
// request's framing is decided on its raw head (request_head.h) before httplib
// parses it: see ServerOptions. httplib then parses, routes and writes the answer.
class BacklogServer final : public httplib::Server {
public:
    socket_t listening_socket() const { return svr_sock_; }

    std::chrono::milliseconds request_timeout{5000};
    std::size_t max_connections_per_client = 16;
    HeadLimits head_limits;        // max_body_bytes from the options; the rest fixed
    std::string own_header_lines;  // own_headers() as raw header lines, for send_error
    Log* log = nullptr;
    // The queue of the running listen(), set when httplib creates it.
    StoppableQueue* queue = nullptr;

private:
    // One accepted connection: owned by a worker while a request is read and
    // answered, by the queue's IdleSockets while it waits for the next one.
    struct Connection {
        Connection(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
            : sock(fd), stream(fd, read_timeout, write_timeout) {}
        int sock;
        DeadlineStream stream;
        std::string client;
        std::size_t served = 0;  // requests answered so far
    };

    bool process_and_close_socket(socket_t sock) override {
        disable_nagle(sock);
        const std::chrono::milliseconds read_timeout(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000);
        const std::chrono::milliseconds write_timeout(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
        auto connection = std::make_shared<Connection>(sock, read_timeout, write_timeout);
        connection->client = client_key(connection->stream.remote_ip(), "", false);
        if (connections_.acquire(connection->client, max_connections_per_client)) {
            serve(std::move(connection));  // closes it, now or after it idled
        } else {
            send_error(sock, 429, reason_phrase(429), "too_many_connections",
                       "Too many connections from this address at once.", own_header_lines + "Retry-After: 1\r\n");
            ::shutdown(sock, SHUT_RDWR);
            ::close(sock);
        }
        return true;
    }

    void close_connection(const Connection& connection) {
        connections_.release(connection.client);
        ::shutdown(connection.sock, SHUT_RDWR);
        ::close(connection.sock);
    }

    // Hands a connection with no request in sight to the idle waiter: it comes
    // back to a worker (serve) when bytes arrive, and is closed if none do
    // within `wait`. False when the server is stopping (or cannot park).
    bool park(const std::shared_ptr<Connection>& connection, std::chrono::milliseconds wait) {
        StoppableQueue* pool = queue;
        if (pool == nullptr || svr_sock_ == INVALID_SOCKET) return false;
        return pool->idle_sockets().park(connection->sock, Clock::now() + wait, [this, pool, connection](bool readable) {
            if (readable) {
                pool->enqueue([this, connection] { serve(connection); });
            } else {
                close_connection(*connection);
            }
        });
    }

    // Reads the request's head until its framing is decided (request_head.h).
    HeadDecision read_head(ConnectionReader& reader) const {
        for (;;) {
            HeadDecision decision = decide_request_head(reader.buffered(), head_limits);
            if (!std::holds_alternative<IncompleteHead>(decision)) return decision;
            if (reader.receive_more(head_limits.max_head_bytes) <= 0) return decision;
        }
    }

    // An answer the connection loop gives itself, logged like any other; the connection then ends.
    void answer_and_log(int sock, const ConnectionReader& reader, int status, const std::string& code,
                        const std::string& message, const std::string& method = "", const std::string& target = "") {
        send_error(sock, status, reason_phrase(status), code, message, own_header_lines);
        if (log == nullptr) return;
        const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - reader.request_started());
        log->request(AccessLogEntry{method, target.substr(0, target.find('?')), status, elapsed});
    }

    // Decides the current request's framing before httplib parses it, and
    // hands httplib exactly its head and the body httplib will read: a body
    // httplib would leave unread (GET, HEAD, OPTIONS, ...) is dropped here.
    // False when the request was refused (answered, connection to be closed)
    // or did not arrive.
    bool frame_request(int sock, ConnectionReader& reader) {
        const HeadDecision decision = read_head(reader);
        if (const auto* refused = std::get_if<RefusedHead>(&decision)) {
            answer_and_log(sock, reader, refused->status, refused->code, refused->message, refused->method, refused->target);
            finish_unread(sock);
            return false;
        }
        const auto* head = std::get_if<AcceptedHead>(&decision);
        const bool body_for_httplib = head != nullptr && httplib_reads_body(head->method);
        if (head == nullptr || (!body_for_httplib && !reader.discard_after_head(head->head_bytes, head->body_length))) {
            // Cut off by the deadline, else the client left.
            if (reader.expired()) {
                answer_and_log(sock, reader, 408, "request_timeout", "The request did not arrive in time.",
                               head != nullptr ? head->method : "", head != nullptr ? head->target : "");
            }
            return false;
        }
        reader.limit_reads(head->head_bytes + (body_for_httplib ? head->body_length : 0));
        return true;
    }

    void serve(std::shared_ptr<Connection> connection) {
        const int sock = connection->sock;
        DeadlineStream& stream = connection->stream;
        struct Current {
            explicit Current(DeadlineStream& s) { current_stream = &s; }
            ~Current() { current_stream = nullptr; }
        } current(stream);
        bool closed = false;
        for (std::size_t& served = connection->served; served < keep_alive_max_count_ && !closed; ++served) {
            // A client in a hurry (a page fetching its files, a benchmark) sends
            // its next request within a millisecond: waiting that long here costs
            // less than parking and waking (proxy CPU per `start` at c=1: 208 µs
            // parking every time, 183 µs with this wait, 180 µs before parking
            // existed; medians of 4 interleaved wrk runs).
            if (!stream.reader().has_buffered_bytes() && !wait_for_socket(sock, POLLIN, std::chrono::milliseconds(1))) {
                // The first request must start within the request timeout, later ones within the keep-alive timeout.
                const auto idle = served == 0 ? request_timeout : std::chrono::milliseconds(keep_alive_timeout_sec_ * 1000);
                if (park(connection, idle)) return;  // the worker is free for others meanwhile
                const auto serving = [this] { return svr_sock_ != INVALID_SOCKET; };
                if (!wait_for_request(sock, idle, serving)) break;
            }
            ConnectionReader& reader = stream.reader();
            reader.start_request(Clock::now(), request_timeout);
            if (!frame_request(sock, reader)) break;
            const bool last = served + 1 == keep_alive_max_count_ || svr_sock_ == INVALID_SOCKET;
            bool parsed = false;  // httplib calls setup_request only for a head it could parse
            const bool ok = process_request(stream, last, closed, [&parsed](httplib::Request&) { parsed = true; });
            if (!ok) {
                if (reader.expired()) answer_and_log(sock, reader, 408, "request_timeout", "The request did not arrive in time.");
                break;
            }
            if (reader.expired()) break;  // answered 408 by the error handler: the rest is not a request
            if (!parsed || !reader.read_all_allowed()) {
                // httplib answered without reading all of the request (its own
                // 400, a 416): what follows is not a request. Reading it as one
                // would let a body smuggle requests.
                finish_unread(sock);
                break;
            }
        }
        close_connection(*connection);
    }

    ConnectionCounter connections_;
};

}  // namespace

// The headers of every answer the HTTP layer gives by itself, before or
// instead of a route: the operator's error_headers, nosniff and no-store.
std::vector<std::pair<std::string, std::string>> own_headers(const ServerOptions& options) {
    std::vector<std::pair<std::string, std::string>> headers;
    auto has = [&headers](const std::string& name) {
        return std::any_of(headers.begin(), headers.end(), [&name](const auto& header) {
            return header.first.size() == name.size() &&
                   std::equal(name.begin(), name.end(), header.first.begin(), [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                   });
        });
    };
    for (const auto& [name, value] : options.error_headers) {
        // A line break would split the header block (httplib refuses these too).
        if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) continue;
        if (!has(name)) headers.emplace_back(name, value);
    }
    if (!has("X-Content-Type-Options")) headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!has("Cache-Control")) headers.emplace_back("Cache-Control", "no-store");
    return headers;
}

void set_own_headers(httplib::Response& res, const std::vector<std::pair<std::string, std::string>>& headers) {
    for (const auto& [name, value] : headers) res.set_header(name, value);
}

struct HttpServer::Impl {
    ServerOptions options;
    std::vector<std::pair<std::string, std::string>> own_headers;
    RequestHandler handler;
    BacklogServer server;
    std::atomic<bool> stop_requested{false};
    bool bound = false;
    bool ran = false;
    std::optional<sockaddr_storage> listen_address;  // set by bind()
};

HttpServer::HttpServer(ServerOptions options, RequestHandler handler) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->own_headers = own_headers(impl_->options);
    impl_->handler = std::move(handler);
    Impl& impl = *impl_;
    for (const auto& [name, value] : impl.own_headers) impl.server.own_header_lines += name + ": " + value + "\r\n";
    httplib::Server& server = impl.server;

    server.new_task_queue = [&impl] {
        auto* queue = new StoppableQueue(static_cast<std::size_t>(std::max(1, impl.options.threads)),
                                         impl.stop_requested, impl.server, impl.listen_address);
        impl.server.queue = queue;  // before the accept loop hands out the first connection
        return queue;
    };
    server.set_payload_max_length(impl.options.max_body_bytes);
    impl.server.request_timeout = impl.options.request_timeout;
    impl.server.max_connections_per_client = impl.options.max_connections_per_client;
    impl.server.head_limits.max_body_bytes = impl.options.max_body_bytes;
    impl.server.log = impl.options.log;
    server.set_read_timeout(impl.options.read_timeout);
    server.set_write_timeout(impl.options.write_timeout);
    server.set_keep_alive_timeout(impl.options.keep_alive_timeout.count());
    server.set_idle_interval(std::chrono::milliseconds(100));
    server.set_tcp_nodelay(true);  // kept-alive clients would otherwise wait on delayed ACKs
    // httplib's default also sets SO_REUSEPORT, which would let a second process
    // bind our port and take a share of the traffic; keep only SO_REUSEADDR.
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    });

    server.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
        offer_only_gzip(req);
        // httplib inflates a gzip or Brotli request body into memory with no
        // limit (a 15 KB body became 15 MB); no route takes a compressed body.
        // Refused before the body is read, so the connection then ends.
        if (req.has_header("Content-Encoding")) {
            auto& headers = const_cast<httplib::Request&>(req).headers;  // as in offer_only_gzip
            headers.erase("Connection");
            headers.emplace("Connection", "close");  // so the answer says so
            res.status = 415;
            res.set_content(json_error("unsupported_media_type", "a request body must not be compressed (Content-Encoding)"),
                            "application/json");
            set_own_headers(res, impl.own_headers);
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    if (impl.options.log != nullptr) {
        // Timed from the request's first byte (the connection loop's stream), so
        // requests httplib refused before routing are timed too.
        server.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) {
            const auto now = std::chrono::steady_clock::now();
            const auto elapsed = current_stream != nullptr ? now - current_stream->reader().request_started() : std::chrono::steady_clock::duration{};
            impl.options.log->request(
                AccessLogEntry{req.method, req.path, res.status,
                               std::chrono::duration_cast<std::chrono::microseconds>(elapsed)});
        });
    }

    auto dispatch = [&impl](const httplib::Request& req, httplib::Response& res) {
        HttpResponse response;
        try {
            response = impl.handler(to_plain(req));
        } catch (const std::exception& error) {
            if (impl.options.log != nullptr) {
                impl.options.log->error(std::string("request handler threw: ") + error.what());
            }
            response = HttpResponse{500, {}, "application/json", json_error("internal", "internal error")};
        } catch (...) {
            if (impl.options.log != nullptr) impl.options.log->error("request handler threw a non-exception");
            response = HttpResponse{500, {}, "application/json", json_error("internal", "internal error")};
        }
        from_plain(response, res);
    };
    const std::string any = ".*";
    server.Get(any, dispatch);
    server.Post(any, dispatch);
    server.Put(any, dispatch);
    server.Patch(any, dispatch);
    server.Delete(any, dispatch);
    server.Options(any, dispatch);

    // httplib calls this for every status >= 400; only fill in bodies it left empty
    // (its own 400/413/414/...), never replace what our handler answered.
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [&impl](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        // httplib calls a head cut off by the request deadline malformed (400).
        if (current_stream != nullptr && current_stream->reader().expired()) res.status = 408;
        const auto [code, message] = describe_status(res.status, impl.options.max_body_bytes);
        res.set_content(json_error(code, message), "application/json");
        set_own_headers(res, impl.own_headers);
        return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([&impl](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(json_error("internal", "internal error"), "application/json");
        set_own_headers(res, impl.own_headers);
    });
}

HttpServer::~HttpServer() {
    stop();
    // httplib closes a bound socket only from its accept loop: run that loop
    // once, so the idle hook sees the stop request and closes the socket.
    if (impl_->bound && !impl_->ran) impl_->server.listen_after_bind();
}

Result<int> HttpServer::bind() {
    Impl& impl = *impl_;
    const std::string where = listen_origin(impl.options.host, impl.options.port).substr(7);
    int port = -1;
    if (impl.options.port == 0) {
        port = impl.server.bind_to_any_port(impl.options.host);
    } else if (impl.server.bind_to_port(impl.options.host, impl.options.port)) {
        port = impl.options.port;
    }
    if (port <= 0) return Error{ErrorCode::invalid_field, "cannot listen on " + where};
    // libcpp-httplib 0.11 listens with a backlog of 5, so a burst of connections
    // sees dropped SYNs and one-second retransmits; calling listen() again raises it.
    ::listen(impl.server.listening_socket(), SOMAXCONN);
    impl.listen_address = local_address(impl.server.listening_socket());
    impl.bound = true;
    return port;
}

void HttpServer::run() {
    if (!impl_->bound || impl_->ran) return;
    impl_->ran = true;
    impl_->server.listen_after_bind();
}

void HttpServer::stop() {
    impl_->stop_requested.store(true);
    impl_->server.stop();
}

// ---------------------------------------------------------------- transport

namespace {

template <typename Duration>
std::string milliseconds(Duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) + " ms";
}

std::string host_port(const HttpUrl& url) {
    return url_origin(url).substr(url.scheme.size() + 3);
}

}  // namespace

struct HttplibTransport::Impl {
    using Clock = std::chrono::steady_clock;
    struct Idle {
        std::unique_ptr<httplib::Client> client;
        Clock::time_point since;
    };

    TransportLimits limits;
    std::string ca_bundle;
    std::mutex mutex;
    // Idle keep-alive clients per origin, oldest first; a client is used by one
    // call at a time (httplib::Client serialises its requests, so sharing one
    // would queue callers).
    std::map<std::string, std::vector<Idle>> idle;

    // Removes the clients idle past pool_idle_timeout (the oldest are first)
    // into `closing`, to be closed outside the lock.
    void drop_stale(std::vector<Idle>& clients, Clock::time_point now, std::vector<Idle>& closing) {
        auto fresh = std::find_if(clients.begin(), clients.end(),
                                  [&](const Idle& entry) { return now - entry.since <= limits.pool_idle_timeout; });
        std::move(clients.begin(), fresh, std::back_inserter(closing));
        clients.erase(clients.begin(), fresh);
    }

    std::unique_ptr<httplib::Client> take(const HttpUrl& url) {
        const std::string key = url.scheme + "://" + host_port(url);
        std::vector<Idle> closing;
        {
            std::lock_guard<std::mutex> lock(mutex);
            auto& clients = idle[key];
            drop_stale(clients, Clock::now(), closing);
            if (!clients.empty()) {
                auto client = std::move(clients.back().client);  // the most recently used
                clients.pop_back();
                return client;
            }
        }
        const bool ipv6 = url.host.find(':') != std::string::npos;
        auto client = std::make_unique<httplib::Client>(url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host) +
                                                        ":" + std::to_string(url.port));
        client->set_connection_timeout(limits.connect_timeout);
        client->set_read_timeout(limits.read_timeout);
        client->set_write_timeout(limits.read_timeout);
        client->set_keep_alive(true);
        client->set_tcp_nodelay(true);  // headers and body go out in separate writes: no Nagle wait
        client->set_follow_location(false);
        client->set_decompress(false);  // no Accept-Encoding: the size cap then counts real bytes
        if (url.scheme == "https") {
            client->set_ca_cert_path(ca_bundle);
            client->enable_server_certificate_verification(true);
        }
        return client;
    }

    void give_back(const HttpUrl& url, std::unique_ptr<httplib::Client> client) {
        const std::string key = url.scheme + "://" + host_port(url);
        const auto now = Clock::now();
        std::vector<Idle> closing;
        std::lock_guard<std::mutex> lock(mutex);
        auto& clients = idle[key];
        drop_stale(clients, now, closing);
        if (clients.size() < limits.max_idle_per_origin) clients.push_back(Idle{std::move(client), now});
    }
};

HttplibTransport::HttplibTransport(TransportLimits limits, std::string ca_bundle) : impl_(std::make_unique<Impl>()) {
    impl_->limits = limits;
    impl_->ca_bundle = std::move(ca_bundle);
}

HttplibTransport::~HttplibTransport() = default;

std::variant<IncomingResponse, TransportError> HttplibTransport::send(const OutgoingRequest& request) {
    auto parsed = parse_http_url(request.url);
    if (!parsed) return TransportError{TransportFailure::invalid_url, "not an absolute http(s) URL"};
    const HttpUrl& url = parsed.value();
    const std::string where = host_port(url);
    if (url.scheme == "http" && !is_loopback_host(url.host)) {
        return TransportError{TransportFailure::invalid_url, "plain http is allowed only to loopback hosts, not " + where};
    }
    if (request.method != "GET" && request.method != "POST") {
        return TransportError{TransportFailure::invalid_url, "unsupported method " + request.method};
    }

    const TransportLimits& limits = impl_->limits;
    auto client = impl_->take(url);

    httplib::Request req;
    req.method = request.method;
    req.path = url.target;
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
    req.body = request.body;

    // A whole-response deadline: httplib's read timeout is per read, so a
    // trickling server could otherwise hold us indefinitely.
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + limits.connect_timeout + limits.read_timeout;
    bool too_large = false;
    bool past_deadline = false;
    std::string body;
    req.response_handler = [&](const httplib::Response& head) {
        const std::string length = head.get_header_value("Content-Length");
        if (!length.empty() && length.size() < 20 &&
            std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            std::stoull(length) > limits.max_response_bytes) {
            too_large = true;
            return false;
        }
        return true;
    };
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
        if (body.size() + size > limits.max_response_bytes) {
            too_large = true;
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            past_deadline = true;
            return false;
        }
        body.append(data, size);
        return true;
    };

    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client->send(req, res, error);
    const auto elapsed = std::chrono::steady_clock::now() - start;

    if (!sent) {
        // The connection is in an unknown state: drop the client.
        if (too_large) {
            return TransportError{TransportFailure::too_large,
                                  "answer from " + where + " is larger than " +
                                      std::to_string(limits.max_response_bytes) + " bytes"};
        }
        if (past_deadline) {
            return TransportError{TransportFailure::timeout,
                                  "no complete answer from " + where + " within " + milliseconds(deadline - start)};
        }
        switch (error) {
            case httplib::Error::ConnectionTimeout:
                return TransportError{TransportFailure::timeout, "no connection to " + where + " within " +
                                                                     milliseconds(limits.connect_timeout)};
            case httplib::Error::Read:
                // httplib reports a read timeout as a plain read error; the clock tells them apart.
                if (elapsed >= limits.read_timeout * 9 / 10) {
                    return TransportError{TransportFailure::timeout,
                                          "no answer from " + where + " within " + milliseconds(limits.read_timeout)};
                }
                return TransportError{TransportFailure::connection, "connection to " + where + " failed while reading"};
            case httplib::Error::SSLConnection:
                return TransportError{TransportFailure::tls, "TLS handshake with " + where + " failed"};
            case httplib::Error::SSLLoadingCerts:
                return TransportError{TransportFailure::tls, "cannot load the CA bundle " + impl_->ca_bundle};
            case httplib::Error::SSLServerVerification:
                return TransportError{TransportFailure::tls, "the certificate of " + where +
                                                                 " is not trusted or not issued for that host"};
            case httplib::Error::Connection:
                return TransportError{TransportFailure::connection, "cannot connect to " + where};
            case httplib::Error::Write:
                return TransportError{TransportFailure::connection, "connection to " + where + " failed while sending"};
            default:
                return TransportError{TransportFailure::connection,
                                      "cannot reach " + where + ": " + httplib::to_string(error)};
        }
    }

    IncomingResponse response;
    response.status = res.status;
    for (const auto& [name, value] : res.headers) response.headers.emplace(lower(name), value);
    response.body = std::move(body);
    impl_->give_back(url, std::move(client));
    return response;
}

}  // namespace perch
