// A bounded pool of connections to one server (Redis, PostgreSQL), shared by
// the request threads: at most `size` connections open at once, opened when
// needed, and a caller that waits longer than `wait` for one is told the
// server is unavailable rather than queued without end.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/store_result.h"

namespace perch {

template <typename Connection>
class ConnectionPool {
public:
    using Connect = std::function<StoreResult<std::unique_ptr<Connection>>()>;

    // `server` names the server in messages ("Redis", "PostgreSQL"); `where`
    // is its URL with any password masked.
    ConnectionPool(std::size_t size, std::chrono::milliseconds wait, std::string server, std::string where,
                   Connect connect)
        : size_(size), wait_(wait), server_(std::move(server)), where_(std::move(where)), connect_(std::move(connect)) {}

    struct Lease {
        std::unique_ptr<Connection> connection;
        bool pooled = false;  // it was open already (and may have died since)
    };

    StoreResult<Lease> acquire() {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!available_.wait_for(lock, wait_, [this] { return !idle_.empty() || open_ < size_; })) {
            return StoreUnavailable{"no " + server_ + " connection to " + where_ + " came free within " +
                                    std::to_string(wait_.count()) + " ms"};
        }
        if (!idle_.empty()) {
            Lease lease{std::move(idle_.back()), true};
            idle_.pop_back();
            return lease;
        }
        ++open_;
        lock.unlock();
        auto opened = connect_();
        if (!opened) {
            std::lock_guard<std::mutex> relock(mutex_);
            --open_;
            available_.notify_one();
            return opened.error();
        }
        return Lease{std::move(opened).value(), false};
    }

    // Gives a connection back; one that broke (null, or !reusable) is closed
    // and the next caller opens a fresh one.
    void release(std::unique_ptr<Connection> connection, bool reusable) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connection && reusable) {
            idle_.push_back(std::move(connection));
        } else {
            connection.reset();
            --open_;
        }
        available_.notify_one();
    }

private:
    const std::size_t size_;
    const std::chrono::milliseconds wait_;
    const std::string server_;
    const std::string where_;
    const Connect connect_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;  // idle plus lent out
};

}  // namespace perch
