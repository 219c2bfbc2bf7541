#include "net/raw_head_server.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include "net/listener_sockets.h"
#include "net/raw_head.h"
#include "net/request_head.h"
#include "net/socket_io.h"

namespace perch {
namespace {

constexpr std::size_t max_head_bytes = 64 * 1024;
constexpr std::chrono::milliseconds read_timeout{5000};
constexpr std::chrono::milliseconds write_timeout{5000};
// Advertised in Keep-Alive headers by httplib and honoured by the loop below:
// a client that believes the server's hint must never find the socket closed.
// Idle waits check for stop() every 100 ms, so this does not slow shutdown.
constexpr int keep_alive_timeout_s = 5;
constexpr std::size_t keep_alive_max_requests = 100;
// --fast: a load generator's connections should not be cut every 100 answers.
constexpr std::size_t fast_keep_alive_max_requests = 1000000;

// A socket stream that keeps a copy of the bytes httplib reads for the request
// head (see raw_head.h for why).
class RecordingStream final : public httplib::Stream {
public:
    explicit RecordingStream(int fd) : fd_(fd) {}

    void start_request() {
        head_.clear();
        recording_ = true;
        overflow_ = false;
    }
    void stop_recording() { recording_ = false; }
    const std::string& head() const { return head_; }
    bool head_overflowed() const { return overflow_; }
    bool has_buffered_bytes() const { return begin_ < end_; }

    bool is_readable() const override { return has_buffered_bytes() || wait_for_socket(fd_, POLLIN, read_timeout); }
    bool is_writable() const override { return wait_for_socket(fd_, POLLOUT, write_timeout); }

    ssize_t read(char* ptr, size_t size) override {
        if (!has_buffered_bytes()) {
            const ssize_t got = fill();
            if (got <= 0) return got;
        }
        const std::size_t n = std::min(size, end_ - begin_);
        std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
        if (recording_) {
            if (head_.size() + n > max_head_bytes) overflow_ = true;
            else head_.append(buffer_ + begin_, n);
        }
        begin_ += n;
        return static_cast<ssize_t>(n);
    }

    // Sends at once, and waits for the socket only when its buffer is full.
    ssize_t write(const char* ptr, size_t size) override { return send_within(fd_, ptr, size, write_timeout); }

    // The peer and local addresses do not change: looked up once per connection,
    // not for every request httplib reads.
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        if (!remote_) remote_ = peer_endpoint(fd_);
        ip = remote_->ip;
        port = remote_->port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        if (!local_) local_ = local_endpoint(fd_);
        ip = local_->ip;
        port = local_->port;
    }
    socket_t socket() const override { return fd_; }

private:
    ssize_t fill() {
        const ssize_t got = recv_within(fd_, buffer_, sizeof buffer_, read_timeout);
        if (got <= 0) return got;
        begin_ = 0;
        end_ = static_cast<std::size_t>(got);
        return got;
    }

    int fd_;
    mutable std::optional<Endpoint> remote_;
    mutable std::optional<Endpoint> local_;
    char buffer_[4096];
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::string head_;
    bool recording_ = false;
    bool overflow_ = false;
};

// What the handler needs from the connection it runs on. Handlers run on the
// thread that owns the connection, so a thread_local pointer reaches it.
struct Connection {
    int fd;
    RecordingStream* stream;
    // The current request's head refused by decide_request_head (answered by dispatch()).
    std::optional<RefusedHead> refusal;
    // The connection ends after this answer: what follows was not framed as a request.
    bool ends = false;
};

// Frames the request whose head httplib just read (request_head.h): a head
// that cannot be framed one way only is refused, and a body httplib leaves
// unread (a GET's) ends the connection after the answer, so it is never read
// as another request.
void frame_request(Connection& connection, const HeadLimits& limits) {
    connection.refusal.reset();
    const HeadDecision decision = decide_request_head(connection.stream->head(), limits);
    if (const auto* refused = std::get_if<RefusedHead>(&decision)) {
        connection.refusal = *refused;
        connection.ends = true;
    } else if (const auto* head = std::get_if<AcceptedHead>(&decision)) {
        connection.ends = head->body_length > 0 && !httplib_reads_body(head->method);
    } else {
        connection.ends = true;  // a head over max_head_bytes: dispatch() answers 431
    }
}
thread_local Connection* current_connection = nullptr;

// httplib::Server, with its per-connection loop replaced so requests are read
// through a RecordingStream. httplib still parses, routes and writes answers.
class RecordingServer final : public httplib::Server {
public:
    RecordingServer(std::size_t max_requests_per_connection, std::size_t max_body_bytes)
        : max_requests_per_connection_(max_requests_per_connection) {
        head_limits_.max_head_bytes = max_head_bytes;
        head_limits_.max_body_bytes = max_body_bytes;
    }

    void raise_backlog() const {
        if (svr_sock_ != INVALID_SOCKET) raise_listen_backlog(svr_sock_);
    }

private:
    const std::size_t max_requests_per_connection_;
    HeadLimits head_limits_;

    bool process_and_close_socket(socket_t sock) override {
        // httplib writes headers and body separately.
        disable_nagle(sock);
        RecordingStream stream(sock);
        Connection connection{sock, &stream, std::nullopt, false};
        current_connection = &connection;
        bool closed = false;
        for (std::size_t served = 0; served < max_requests_per_connection_ && !closed; ++served) {
            const auto idle = served == 0 ? read_timeout : std::chrono::milliseconds(keep_alive_timeout_s * 1000);
            if (!stream.has_buffered_bytes() &&
                !wait_for_request(sock, idle, [this] { return svr_sock_ != INVALID_SOCKET; }))
                break;
            stream.start_request();
            const bool last = served + 1 == max_requests_per_connection_ || svr_sock_ == INVALID_SOCKET;
            bool parsed = false;  // httplib calls setup_request only for a head it could parse
            const auto setup = [this, &stream, &connection, &parsed](httplib::Request& request) {
                stream.stop_recording();
                parsed = true;
                frame_request(connection, head_limits_);
                if (connection.ends) {  // so the answer says so
                    request.headers.erase("Connection");
                    request.set_header("Connection", "close");
                }
            };
            if (!process_request(stream, last, closed, setup)) break;
            if (!parsed || connection.ends) {
                finish_unread(sock);  // the unread rest must not reset the answer on its way
                break;
            }
        }
        current_connection = nullptr;
        ::shutdown(sock, SHUT_RDWR);
        ::close(sock);
        return true;
    }
};

}  // namespace

struct RawHeadServer::Impl {
    RawServerOptions config;
    RawHandler handler;
    RecordingServer server;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;

    Impl(RawServerOptions c, RawHandler h)
        : config(std::move(c)), handler(std::move(h)),
          server(config.fast ? fast_keep_alive_max_requests : keep_alive_max_requests, config.max_body_bytes) {}

    // Returns true if the delay ran its course, false if the server is stopping.
    bool wait(std::chrono::milliseconds delay) {
        std::unique_lock<std::mutex> lock(mutex);
        return !wake.wait_for(lock, delay, [this] { return stopping; });
    }

    RawResponse dispatch(const httplib::Request& request, RawRequest& in) {
        const auto question = request.target.find('?');
        in.method = request.method;
        in.path = request.target.substr(0, question);
        if (question != std::string::npos) in.query = request.target.substr(question + 1);
        in.body = request.body;
        in.remote_addr = request.remote_addr;

        Connection* connection = current_connection;
        if (connection == nullptr || connection->stream->head_overflowed()) {
            RawResponse refused;
            refused.status = 431;
            refused.reason = "request head too large";
            return refused;
        }
        if (connection->refusal) {
            RawResponse refused;
            refused.status = connection->refusal->status;
            refused.reason = connection->refusal->message;
            return refused;
        }
        auto headers = parse_raw_headers(connection->stream->head());
        if (!headers) {
            RawResponse refused;
            refused.status = 400;
            refused.reason = "malformed request head";
            return refused;
        }
        in.headers = std::move(*headers);
        return handler(in);
    }

    void serve(const httplib::Request& request, httplib::Response& response) {
        const auto started = std::chrono::steady_clock::now();
        RawRequest in;
        RawResponse out = dispatch(request, in);
        if (out.delay.count() > 0) {
            // Said up front so tests can wait for it instead of guessing.
            std::fprintf(stderr, "%s: %s %s holding the answer for %lld ms (fault slow)\n",
                         config.name.c_str(), request.method.c_str(), in.path.substr(0, 200).c_str(),
                         static_cast<long long>(out.delay.count()));
        }
        if (out.delay.count() > 0 && !wait(out.delay)) {
            out.drop = true;
            out.reason = "stopping during a slow answer";
        }
        if (out.drop) {
            // The client sees its connection closed with no answer at all.
            if (current_connection != nullptr) ::shutdown(current_connection->fd, SHUT_RDWR);
            response.status = 500;
            response.set_header("Connection", "close");
        } else {
            response.status = out.status;
            for (const auto& [name, value] : out.headers) response.set_header(name, value);
            if (!out.reason.empty()) response.set_header(config.reason_header.c_str(), out.reason);
            response.set_content(out.body, out.content_type);
        }
        // --fast logs failures only: a line per answer costs more than a
        // request_token under load.
        if (config.fast && !out.drop && out.status < 400) return;
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        // The path only: queries carry tokens.
        std::fprintf(stderr, "%s: %s %s %s %lld ms%s%s\n", config.name.c_str(), request.method.c_str(),
                     in.path.substr(0, 200).c_str(), out.drop ? "dropped" : std::to_string(out.status).c_str(),
                     static_cast<long long>(elapsed.count()), out.reason.empty() ? "" : " - ", out.reason.c_str());
    }
};

RawHeadServer::RawHeadServer(RawServerOptions options, RawHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
    auto& server = impl_->server;
    const auto& config = impl_->config;
    // Slow answers hold a thread each; leave plenty for everything else.
    server.new_task_queue = [threads = config.threads] {
        return new httplib::ThreadPool(static_cast<std::size_t>(threads));
    };
    server.set_payload_max_length(config.max_body_bytes);
    server.set_keep_alive_timeout(keep_alive_timeout_s);
    server.set_keep_alive_max_count(config.fast ? fast_keep_alive_max_requests : keep_alive_max_requests);
    auto serve = [impl = impl_.get()](const httplib::Request& request, httplib::Response& response) {
        impl->serve(request, response);
    };
    server.Get(".*", serve);
    server.Post(".*", serve);
    server.Put(".*", serve);
    server.Patch(".*", serve);
    server.Delete(".*", serve);
    server.Options(".*", serve);
}

RawHeadServer::~RawHeadServer() = default;

int RawHeadServer::bind() {
    auto& server = impl_->server;
    const auto& config = impl_->config;
    const int port = config.port == 0 ? server.bind_to_any_port(config.host)
                                      : (server.bind_to_port(config.host, config.port) ? config.port : -1);
    if (port > 0) server.raise_backlog();
    return port;
}

bool RawHeadServer::run() { return impl_->server.listen_after_bind(); }

void RawHeadServer::stop() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    impl_->server.stop();
}

}  // namespace perch
