#include "net/worker_pool.h"

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace perch {

WorkerPool::WorkerPool(std::size_t max_threads)
    : max_threads_(std::max<std::size_t>(1, max_threads)), pressure_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

WorkerPool::~WorkerPool() {
    shutdown();
    if (pressure_fd_ >= 0) ::close(pressure_fd_);
}

void WorkerPool::update_pressure() {
    const bool pressured = jobs_.size() > waiting_ && threads_.size() >= max_threads_;
    if (pressured == pressured_ || pressure_fd_ < 0) return;
    if (pressured) {
        const std::uint64_t one = 1;
        (void)!::write(pressure_fd_, &one, sizeof one);
    } else {
        std::uint64_t count = 0;
        (void)!::read(pressure_fd_, &count, sizeof count);
    }
    pressured_ = pressured;
}

void WorkerPool::enqueue(std::function<void()> job) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
    // Queued jobs not yet claimed by a waiting thread need threads of their own.
    if (jobs_.size() > waiting_ && threads_.size() < max_threads_) {
        try {
            threads_.emplace_back([this] { work(); });
            return;
        } catch (const std::system_error&) {
            // No thread to be had now (a process or memory limit): the running
            // ones take the job in turn. With none at all, nothing ever would.
            if (threads_.empty()) throw;
        }
    }
    update_pressure();
    lock.unlock();
    wake_.notify_one();
}

void WorkerPool::shutdown() {
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        threads.swap(threads_);
    }
    wake_.notify_all();
    for (std::thread& thread : threads) thread.join();
}

std::size_t WorkerPool::threads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_.size();
}

bool WorkerPool::has_spare_thread() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.size() < waiting_ || threads_.size() < max_threads_;
}

void WorkerPool::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ++waiting_;
            wake_.wait(lock, [this] { return !jobs_.empty() || stopping_; });
            --waiting_;
            if (jobs_.empty()) return;  // stopping, nothing left to run
            job = std::move(jobs_.front());
            jobs_.pop_front();
            update_pressure();
        }
        job();
    }
}

}  // namespace perch
