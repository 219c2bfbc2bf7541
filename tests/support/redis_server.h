// A real redis-server for a test: started on a free loopback port in a
// temporary directory, with no persistence, and stopped (SIGTERM, then waited
// for) when the fixture goes. Readiness is polled with PING under a deadline.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "store/redis_client.h"
#include "support/temp_dir.h"

namespace perch::test {

inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

class RedisServer {
public:
    explicit RedisServer(std::string password = "") : password_(std::move(password)) { start(); }
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }

    // A client's options for this server, with the short deadlines tests want.
    RedisOptions client_options(std::string password = "",
                                std::chrono::milliseconds pool_wait = std::chrono::milliseconds(1000)) const {
        RedisOptions options;
        options.url.host = "127.0.0.1";
        options.url.port = port_;
        options.url.password = std::move(password);
        options.connect_timeout = std::chrono::milliseconds(500);
        options.command_timeout = std::chrono::milliseconds(500);
        options.pool_wait = pool_wait;
        return options;
    }

    // Stops the server; the port stays reserved for restart().
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    void restart() {
        stop();
        launch();
    }

private:
    void start() {
        port_ = free_loopback_port();
        launch();
    }

    void launch() {
        std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", dir_.file(""),
                                      "--logfile", dir_.file("redis.log"), "--enable-debug-command", "local"};
        if (!password_.empty()) {
            args.push_back("--requirepass");
            args.push_back(password_);
        }
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& arg : args) argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execvp("redis-server", argv.data());
            ::_exit(127);
        }
        // Ready when it accepts a connection (a server that requires a password
        // answers NOAUTH, which still proves it is up).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            timeval tv{0, 200000};
            redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, tv);
            const bool up = context && !context->err;
            if (context) redisFree(context);
            if (up) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start (is it installed?)");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stop();
        throw std::runtime_error("redis-server did not accept connections within 10 s");
    }

    std::string password_;
    TempDir dir_{"perch-redis"};
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace perch::test
