// A real PostgreSQL 15 server for a test: initdb into a temporary directory
// (as the postgres user when run as root: initdb refuses root), started on a
// free loopback port with SCRAM passwords, stopped (SIGTERM, waited for) when
// the fixture goes. Readiness is polled with PQping under a deadline.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "support/temp_dir.h"
#include "support/redis_server.h"  // free_loopback_port

namespace perch::test {

class PostgresServer {
public:
    static constexpr const char* user = "perch";
    static constexpr const char* password = "perch-test-pw";
    static constexpr const char* bin = "/usr/lib/postgresql/15/bin/";

    PostgresServer() {
        port_ = free_loopback_port();
        if (::geteuid() == 0) {
            const passwd* pg = ::getpwnam("postgres");
            if (!pg) throw std::runtime_error("no postgres user (is the postgresql package installed?)");
            uid_ = pg->pw_uid;
            gid_ = pg->pw_gid;
            if (::chown(dir_.file("").c_str(), uid_, gid_) != 0) throw std::runtime_error("chown failed");
        }
        {
            std::ofstream pw(dir_.file("pw"));
            pw << password << "\n";
        }
        if (uid_ != 0) (void)::chown(dir_.file("pw").c_str(), uid_, gid_);
        if (run_and_wait({std::string(bin) + "initdb", "-D", dir_.file("data"), "-U", user, "--pwfile", dir_.file("pw"),
                          "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"}) != 0) {
            throw std::runtime_error("initdb failed");
        }
        start();
    }
    ~PostgresServer() { stop(); }
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    int port() const { return port_; }

    // "postgresql://perch:…@127.0.0.1:PORT/<database>"
    std::string url(const std::string& database = "postgres") const {
        return "postgresql://" + std::string(user) + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" +
               database;
    }

    // A fresh, empty database for one test.
    std::string create_database() {
        const std::string name = "t" + std::to_string(++databases_);
        PGconn* conn = PQconnectdb(conninfo("postgres").c_str());
        PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
        const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        PQclear(result);
        PQfinish(conn);
        if (!ok) throw std::runtime_error("CREATE DATABASE failed");
        return name;
    }

    std::string conninfo(const std::string& database) const {
        return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database + " user=" + user +
               " password=" + password + " connect_timeout=2";
    }

    // Fast shutdown: running transactions are rolled back, committed ones kept.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGINT);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    void restart() {
        stop();
        start();
    }

private:
    void become_postgres() const {
        if (uid_ == 0) return;
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) ::_exit(126);
    }

    pid_t spawn(std::vector<std::string> args) const {
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            become_postgres();
            std::vector<char*> argv;
            for (auto& arg : args) argv.push_back(arg.data());
            argv.push_back(nullptr);
            // Quiet: initdb's and the server's output go to a file of their own.
            const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (log >= 0) {
                ::dup2(log, 1);
                ::dup2(log, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        return pid;
    }

    int run_and_wait(std::vector<std::string> args) const {
        const pid_t pid = spawn(std::move(args));
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    void start() {
        pid_ = spawn({std::string(bin) + "postgres", "-D", dir_.file("data"), "-p", std::to_string(port_), "-k",
                      dir_.file(""), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                      "logging_collector=off", "-c", "log_min_messages=fatal"});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        const std::string info = conninfo("postgres");
        while (std::chrono::steady_clock::now() < deadline) {
            if (PQping(info.c_str()) == PQPING_OK) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("postgres exited at start");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        stop();
        throw std::runtime_error("postgres did not accept connections within 20 s");
    }

    TempDir dir_{"perch-pg"};
    std::string log_path_ = dir_.file("server.log");
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    int port_ = 0;
    pid_t pid_ = -1;
    int databases_ = 0;
};

}  // namespace perch::test
