#pragma once

// Waits for many idle connections on one thread (epoll), so that a kept-alive
// connection between requests, or a new one that has sent nothing yet, holds
// no worker thread: a browser keeps up to six connections per site open, and
// with one worker per open connection a few dozen visitors would leave the
// next one waiting for the keep-alive timeout.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace perch {

class IdleSockets {
public:
    using Clock = std::chrono::steady_clock;
    // Called once per park, on the waiting thread, outside its lock: `readable`
    // is true when the socket has bytes, end-of-file or an error to read, false
    // when its deadline passed or stop() ran. It must not block (hand the
    // socket to a worker, or close it).
    using Wake = std::function<void(bool readable)>;

    IdleSockets();
    ~IdleSockets();  // stop()
    IdleSockets(const IdleSockets&) = delete;
    IdleSockets& operator=(const IdleSockets&) = delete;

    // Watches `fd` until it is readable or `deadline`. The caller keeps the
    // socket open and does not touch it until `wake` runs. False, and `wake` is
    // never called, once stopped (or if the socket cannot be watched): the
    // caller still owns it.
    bool park(int fd, Clock::time_point deadline, Wake wake);

    // Wakes every parked socket with readable = false, refuses new ones and
    // joins the thread. Idempotent.
    void stop();

    // Sockets parked now.
    std::size_t size() const;

private:
    struct Parked {
        Clock::time_point deadline;
        Wake wake;
    };

    void run();
    void signal() const;  // interrupts epoll_wait (a new earliest deadline, or stop)
    // Removes `fd` (locked) and returns its wake.
    Wake take(int fd);

    int epoll_fd_ = -1;
    int event_fd_ = -1;
    mutable std::mutex mutex_;
    std::mutex join_mutex_;  // stop() may run on two threads at once
    std::map<int, Parked> parked_;
    std::set<std::pair<Clock::time_point, int>> deadlines_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace perch
