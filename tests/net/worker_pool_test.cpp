#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <poll.h>

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

namespace {

bool readable(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) == 1;
}

}  // namespace

TEST_CASE("pressure_fd is readable exactly while a job waits for a thread; has_spare_thread says whether one would") {
    perch::WorkerPool pool(2);
    REQUIRE(pool.pressure_fd() >= 0);
    Gate gate;
    CHECK(pool.has_spare_thread());
    pool.enqueue([&] { gate.wait_open(); });
    CHECK(pool.has_spare_thread());  // one thread busy, one more may start
    pool.enqueue([&] { gate.wait_open(); });
    gate.wait_for_waiters(2);
    CHECK_FALSE(pool.has_spare_thread());
    CHECK_FALSE(readable(pool.pressure_fd()));  // nothing waits yet

    std::atomic<bool> third_ran{false};
    pool.enqueue([&] { third_ran = true; });
    CHECK(readable(pool.pressure_fd()));  // a job waits, no thread can take it
    CHECK_FALSE(third_ran.load());

    gate.open();      // the two running jobs end; a thread takes the third
    pool.shutdown();  // runs what is queued, then joins
    CHECK(third_ran.load());
    CHECK_FALSE(readable(pool.pressure_fd()));
}
