// The server's worker threads, started as work arrives rather than all at
// once: an idle proxy then holds one or two threads, not the whole pool (each
// thread's stack and bookkeeping stays resident once touched). At most
// `max_threads` ever run; a started thread stays until shutdown().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace perch {

class WorkerPool {
public:
    explicit WorkerPool(std::size_t max_threads);
    ~WorkerPool();  // shutdown()
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Runs `job` on a waiting thread, else on a new one while fewer than
    // max_threads run, else on the first thread to finish its job.
    void enqueue(std::function<void()> job);

    // Runs the jobs already queued, then joins every thread. Idempotent.
    void shutdown();

    std::size_t threads() const;

    // True when a job enqueued now would start at once: a thread is waiting
    // for one, or another may still be started.
    bool has_spare_thread() const;

    // A descriptor that is readable while a job waits for a thread (none
    // waiting, none more may start), for a job that is itself waiting in
    // poll(2) and could make room; -1 if none could be made.
    int pressure_fd() const { return pressure_fd_; }

private:
    void work();
    void update_pressure();  // with mutex_ held


    const std::size_t max_threads_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t waiting_ = 0;  // threads blocked in work() for a job
    bool stopping_ = false;
    int pressure_fd_ = -1;    // an eventfd, set while pressured_
    bool pressured_ = false;
};

}  // namespace perch
