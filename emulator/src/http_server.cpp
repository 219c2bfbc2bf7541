#include "http_server.h"

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <httplib.h>

namespace perch::emulator {
namespace {

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string numeric_host(const sockaddr_storage& address, socklen_t length, int& port) {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host, service,
                    sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return {};
    port = std::atoi(service);
    return host;
}

// cpp-httplib hands handlers no socket, so the drop fault finds the
// connection by its two endpoints and shuts it down: the client sees the
// connection close with no answer at all.
bool shut_down_connection(const httplib::Request& request) {
    DIR* fds = opendir("/proc/self/fd");
    if (fds == nullptr) return false;
    bool found = false;
    while (dirent* entry = readdir(fds)) {
        if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
        const int fd = std::atoi(entry->d_name);
        struct stat info {};
        if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
        sockaddr_storage local{}, peer{};
        socklen_t local_length = sizeof local, peer_length = sizeof peer;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) continue;
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) continue;
        int local_port = -1, peer_port = -1;
        const std::string peer_host = numeric_host(peer, peer_length, peer_port);
        numeric_host(local, local_length, local_port);
        if (local_port == request.local_port && peer_port == request.remote_port &&
            peer_host == request.remote_addr) {
            ::shutdown(fd, SHUT_RDWR);
            found = true;
            break;
        }
    }
    closedir(fds);
    return found;
}

}  // namespace

struct HttpServer::Impl {
    Emulator& emulator;
    const EmulatorConfig& config;
    httplib::Server server;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;

    Impl(Emulator& e, const EmulatorConfig& c) : emulator(e), config(c) {}

    // Returns true if the delay ran its course, false if the server is stopping.
    bool wait(std::chrono::milliseconds delay) {
        std::unique_lock<std::mutex> lock(mutex);
        return !wake.wait_for(lock, delay, [this] { return stopping; });
    }

    void serve(const httplib::Request& request, httplib::Response& response) {
        const auto started = std::chrono::steady_clock::now();
        EmuRequest in;
        in.method = request.method;
        const auto question = request.target.find('?');
        in.path = request.target.substr(0, question);
        if (question != std::string::npos) in.query = request.target.substr(question + 1);
        for (const auto& [name, value] : request.headers) in.headers.emplace(lower(name), value);
        in.body = request.body;
        in.remote_addr = request.remote_addr;

        EmuResponse out = emulator.handle(in);
        if (out.delay.count() > 0 && !wait(out.delay)) {
            out.drop = true;
            out.reason = "stopping during a slow answer";
        }
        if (out.drop) {
            if (!shut_down_connection(request)) out.reason += " (could not find the socket to drop)";
            response.status = 500;
            response.set_header("Connection", "close");
        } else {
            response.status = out.status;
            for (const auto& [name, value] : out.headers) response.set_header(name, value);
            if (!out.reason.empty()) response.set_header("X-Perch-Emulator-Reason", out.reason);
            response.set_content(out.body, out.content_type);
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        // The path only: queries carry tokens.
        std::fprintf(stderr, "perch-emulator: %s %s %s %lld ms%s%s\n", request.method.c_str(),
                     in.path.substr(0, 200).c_str(),
                     out.drop ? "dropped" : std::to_string(out.status).c_str(),
                     static_cast<long long>(elapsed.count()), out.reason.empty() ? "" : " - ",
                     out.reason.c_str());
    }
};

HttpServer::HttpServer(Emulator& emulator, const EmulatorConfig& config)
    : impl_(std::make_unique<Impl>(emulator, config)) {
    auto& server = impl_->server;
    // Slow answers hold a thread each; leave plenty for everything else.
    server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server.set_payload_max_length(config.max_body_bytes);
    server.set_keep_alive_timeout(1);  // idle connections must not delay stop()
    server.set_read_timeout(5, 0);
    server.set_write_timeout(5, 0);
    auto handler = [impl = impl_.get()](const httplib::Request& request, httplib::Response& response) {
        impl->serve(request, response);
    };
    server.Get(".*", handler);
    server.Post(".*", handler);
    server.Put(".*", handler);
    server.Patch(".*", handler);
    server.Delete(".*", handler);
    server.Options(".*", handler);
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
    auto& server = impl_->server;
    const auto& config = impl_->config;
    if (config.port == 0) return server.bind_to_any_port(config.host);
    return server.bind_to_port(config.host, config.port) ? config.port : -1;
}

bool HttpServer::run() { return impl_->server.listen_after_bind(); }

void HttpServer::stop() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    impl_->server.stop();
}

}  // namespace perch::emulator
