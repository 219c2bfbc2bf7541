#include "net/idle_sockets.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace perch {

IdleSockets::IdleSockets() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = event_fd_;
    if (epoll_fd_ < 0 || event_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &event) != 0) {
        stopping_ = true;  // park() refuses: callers wait on their own thread instead
        return;
    }
    thread_ = std::thread([this] { run(); });
}

IdleSockets::~IdleSockets() {
    stop();
    if (event_fd_ >= 0) ::close(event_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool IdleSockets::park(int fd, Clock::time_point deadline, Wake wake) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!wake || stopping_ || parked_.count(fd) != 0) return false;
    epoll_event event{};
    // One-shot: once it fired the socket belongs to the caller again.
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
    const bool earliest = deadlines_.empty() || deadline < deadlines_.begin()->first;
    parked_.emplace(fd, Parked{deadline, std::move(wake)});
    deadlines_.emplace(deadline, fd);
    if (earliest) signal();  // the thread may be sleeping until a later deadline
    return true;
}

void IdleSockets::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    if (event_fd_ >= 0) signal();
    std::lock_guard<std::mutex> joining(join_mutex_);
    if (thread_.joinable()) thread_.join();
}

std::size_t IdleSockets::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return parked_.size();
}

void IdleSockets::signal() const {
    const std::uint64_t one = 1;
    (void)!::write(event_fd_, &one, sizeof one);  // a full counter still wakes the thread
}

IdleSockets::Wake IdleSockets::take(int fd) {
    auto it = parked_.find(fd);
    if (it == parked_.end()) return nullptr;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    deadlines_.erase({it->second.deadline, fd});
    Wake wake = std::move(it->second.wake);
    parked_.erase(it);
    return wake;
}

void IdleSockets::run() {
    std::vector<epoll_event> events(256);
    for (bool stopping = false; !stopping;) {
        int timeout_ms = -1;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) {
                timeout_ms = 0;
            } else if (!deadlines_.empty()) {
                // Rounded up, so the wait ends at or after the deadline, never just before it.
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadlines_.begin()->first - Clock::now());
                timeout_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, 60'000));
            }
        }
        const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
        const bool failed = ready < 0 && errno != EINTR;

        std::vector<std::pair<Wake, bool>> due;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (int i = 0; i < ready; ++i) {
                const int fd = events[static_cast<std::size_t>(i)].data.fd;
                if (fd == event_fd_) {
                    std::uint64_t count = 0;
                    (void)!::read(event_fd_, &count, sizeof count);
                } else if (Wake wake = take(fd)) {
                    due.emplace_back(std::move(wake), true);
                }
            }
            // epoll_wait failing is not expected (EBADF, EINVAL); sockets that
            // could no longer be watched must not wait forever.
            if (failed) stopping_ = true;
            stopping = stopping_;
            const auto now = Clock::now();
            while (!deadlines_.empty() && (stopping || deadlines_.begin()->first <= now)) {
                due.emplace_back(take(deadlines_.begin()->second), false);
            }
        }
        for (auto& [wake, readable] : due) wake(readable);
    }
}

}  // namespace perch
