// HttpServer over cpp-httplib 0.11.4: its per-connection loop replaced so slow
// clients cannot hold workers and every request is framed on its raw head.
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

#include "net/connection_reader.h"
#include "net/deadline_stream.h"
#include "net/http_server.h"
#include "net/idle_sockets.h"
#include "base/log.h"
#include "net/client_key.h"
#include "net/gzip.h"
#include "net/http_url.h"
#include "net/listener_sockets.h"
#include "net/server_answers.h"
#include "net/request_head.h"
#include "net/socket_io.h"
#include "net/worker_pool.h"
#include "core/text.h"

namespace perch {

namespace {

// The accept loop calls on_idle() every idle interval, so a stop requested
// before the loop was running (a race with SIGTERM) still ends it. It calls
// shutdown() once it stopped accepting, before joining the workers. A
// connection waiting for its next request waits on its worker while the pool
// has threads to spare, else in idle_sockets(); shutdown() closes those first,
// so nothing is queued after the pool stops.
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
    bool has_spare_thread() const { return pool_.has_spare_thread(); }
    int pressure_fd() const { return pool_.pressure_fd(); }

private:
    IdleSockets idle_;
    WorkerPool pool_;
    const std::atomic<bool>& stop_requested_;
    httplib::Server& server_;
    std::optional<sockaddr_storage> listen_address_;
};

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

// The stream of the connection this worker thread is serving, so the error
// handler can tell a request cut off by its deadline (408) from a malformed one,
// and the access log can time requests httplib refused before routing.
thread_local DeadlineStream* current_stream = nullptr;

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

    enum class NextRequest { arrived, parked, none };

    // Waits up to `idle` for the connection's next request. While the pool
    // has threads to spare the worker waits itself: no hand-off to the idle
    // waiter and back, which costs two thread wake-ups per request to a
    // client that sends its next one a few milliseconds later (a page
    // fetching its files, a reverse proxy's kept-alive upstream). The moment
    // a new connection would wait for a thread (the pool's pressure_fd) it
    // hands this one to the idle waiter instead, so idle connections never
    // keep others waiting.
    NextRequest await_request(const std::shared_ptr<Connection>& connection, std::chrono::milliseconds idle) {
        const auto until = Clock::now() + idle;
        StoppableQueue* pool = queue;
        const int pressure = pool != nullptr ? pool->pressure_fd() : -1;
        for (;;) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
            if (left.count() <= 0) return NextRequest::none;
            if (svr_sock_ == INVALID_SOCKET) {
                return wait_for_socket(connection->sock, POLLIN, std::chrono::milliseconds(0)) ? NextRequest::arrived
                                                                                           : NextRequest::none;
            }
            if (pressure < 0 || !pool->has_spare_thread()) {
                // A request already here is served now: parked, its connection
                // would only come straight back to a pool with no thread to spare.
                if (wait_for_socket(connection->sock, POLLIN, std::chrono::milliseconds(0))) return NextRequest::arrived;
                if (park(connection, left)) return NextRequest::parked;
                const auto serving = [this] { return svr_sock_ != INVALID_SOCKET; };
                return wait_for_request(connection->sock, left, serving) ? NextRequest::arrived : NextRequest::none;
            }
            // Woken by a request, by pressure, or every 100 ms to notice a stop.
            pollfd entries[2] = {{connection->sock, POLLIN, 0}, {pressure, POLLIN, 0}};
            const int ready = ::poll(entries, 2, static_cast<int>(std::min<long long>(100, left.count())));
            if (ready > 0 && entries[0].revents != 0) return NextRequest::arrived;
            if (ready < 0 && errno != EINTR) return NextRequest::none;
        }
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
            if (!stream.reader().has_buffered_bytes()) {
                // The first request must start within the request timeout, later ones within the keep-alive timeout.
                const auto idle = served == 0 ? request_timeout : std::chrono::milliseconds(keep_alive_timeout_sec_ * 1000);
                const NextRequest next = await_request(connection, idle);
                if (next == NextRequest::parked) return;  // the worker is free for others meanwhile
                if (next == NextRequest::none) break;
            }
            ConnectionReader& reader = stream.reader();
            reader.start_request(Clock::now(), request_timeout);
            if (!frame_request(sock, reader)) break;
            const bool last = served + 1 == keep_alive_max_count_ || svr_sock_ == INVALID_SOCKET;
            bool parsed = false;  // httplib calls setup_request only for a head it could parse
            const bool ok = process_request(stream, last, closed, [&parsed](httplib::Request&) { parsed = true; });
            if (!stream.flush()) break;  // a bodiless answer's head is still held
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
    server.set_keep_alive_max_count(std::max<std::size_t>(1, impl.options.keep_alive_max_requests));
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
    raise_listen_backlog(impl.server.listening_socket());
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

}  // namespace perch
