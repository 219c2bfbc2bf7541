#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "net/worker_pool.h"

namespace {

// Jobs that block until opened, so a test decides when work ends, not a clock.
class Gate {
public:
    void wait_open() {
        std::unique_lock<std::mutex> lock(mutex_);
        ++waiting_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
    }
    void wait_for_waiters(int count) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return waiting_ >= count; });
    }
    void open() {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int waiting_ = 0;
    bool open_ = false;
};

}  // namespace

TEST_CASE("an idle worker pool holds no thread") {
    perch::WorkerPool pool(64);
    CHECK(pool.threads() == 0);
}

TEST_CASE("the pool starts threads as jobs wait, never more than its maximum, and runs every job") {
    perch::WorkerPool pool(3);
    Gate gate;
    std::atomic<int> done{0};
    for (int i = 0; i < 10; ++i) {
        pool.enqueue([&] {
            gate.wait_open();
            ++done;
        });
    }
    gate.wait_for_waiters(3);  // three jobs run at once, seven queued
    CHECK(pool.threads() == 3);
    CHECK(done.load() == 0);
    gate.open();
    pool.shutdown();  // runs what is queued, then joins
    CHECK(done.load() == 10);
    CHECK(pool.threads() == 0);
}

TEST_CASE("jobs enqueued after shutdown are not run") {
    perch::WorkerPool pool(2);
    pool.shutdown();
    bool ran = false;
    pool.enqueue([&] { ran = true; });
    pool.shutdown();
    CHECK_FALSE(ran);
}
