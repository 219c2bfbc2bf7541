#include "net/idle_sockets.h"
#include "socket_pair.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using perch::IdleSockets;
using Clock = IdleSockets::Clock;

namespace {

// Records each wake by key; waits (bounded) for a number of them.
class Wakes {
public:
    IdleSockets::Wake for_key(int key) {
        return [this, key](bool readable) {
            std::lock_guard<std::mutex> lock(mutex_);
            seen_.emplace(key, readable);
            changed_.notify_all();
        };
    }
    // True once `count` wakes arrived within `limit`.
    bool wait_for(std::size_t count, std::chrono::milliseconds limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return seen_.size() >= count; });
    }
    std::multimap<int, bool> seen() {
        std::lock_guard<std::mutex> lock(mutex_);
        return seen_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::multimap<int, bool> seen_;
};

}  // namespace

TEST_CASE("A parked socket wakes as readable when bytes arrive, and only then") {
    Wakes wakes;
    SocketPair pair;
    IdleSockets idle;  // declared last, stopped first: its wakes use the others
    REQUIRE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(1)));
    CHECK(idle.size() == 1);
    CHECK_FALSE(wakes.wait_for(1, 100ms));  // nothing sent yet

    REQUIRE(::write(pair.b, "G", 1) == 1);
    REQUIRE(wakes.wait_for(1, 5s));
    CHECK(wakes.seen() == std::multimap<int, bool>{{1, true}});
    CHECK(idle.size() == 0);
}

TEST_CASE("The peer closing wakes a parked socket as readable (its end of file is for the reader)") {
    Wakes wakes;
    SocketPair pair;
    IdleSockets idle;
    REQUIRE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(1)));
    pair.close_b();
    REQUIRE(wakes.wait_for(1, 5s));
    CHECK(wakes.seen() == std::multimap<int, bool>{{1, true}});
}

TEST_CASE("A parked socket that stays quiet wakes unreadable at its deadline, not before") {
    Wakes wakes;
    SocketPair late;
    SocketPair early;
    IdleSockets idle;
    const auto parked_at = Clock::now();
    REQUIRE(idle.park(late.a, parked_at + 30s, wakes.for_key(2)));
    // An earlier deadline parked after a later one still ends on time.
    REQUIRE(idle.park(early.a, parked_at + 150ms, wakes.for_key(1)));
    REQUIRE(wakes.wait_for(1, 5s));
    CHECK(Clock::now() - parked_at >= 150ms);
    CHECK(wakes.seen() == std::multimap<int, bool>{{1, false}});
    CHECK(idle.size() == 1);
}

TEST_CASE("Among many parked sockets only the one that receives bytes wakes") {
    Wakes wakes;
    std::vector<std::unique_ptr<SocketPair>> pairs;
    IdleSockets idle;
    for (int i = 0; i < 200; ++i) {
        pairs.push_back(std::make_unique<SocketPair>());
        REQUIRE(idle.park(pairs.back()->a, Clock::now() + 30s, wakes.for_key(i)));
    }
    REQUIRE(::write(pairs[137]->b, "x", 1) == 1);
    REQUIRE(wakes.wait_for(1, 5s));
    CHECK_FALSE(wakes.wait_for(2, 100ms));
    CHECK(wakes.seen() == std::multimap<int, bool>{{137, true}});
    CHECK(idle.size() == 199);
}

TEST_CASE("A socket can be parked again after it woke") {
    Wakes wakes;
    SocketPair pair;
    IdleSockets idle;
    REQUIRE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(1)));
    REQUIRE(::write(pair.b, "a", 1) == 1);
    REQUIRE(wakes.wait_for(1, 5s));
    char byte = 0;
    REQUIRE(::read(pair.a, &byte, 1) == 1);  // the owner reads its request

    REQUIRE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(2)));
    CHECK_FALSE(wakes.wait_for(2, 100ms));  // the byte already read does not wake it again
    REQUIRE(::write(pair.b, "b", 1) == 1);
    REQUIRE(wakes.wait_for(2, 5s));
    CHECK(wakes.seen() == std::multimap<int, bool>{{1, true}, {2, true}});
}

TEST_CASE("A socket already parked, or a wake that is empty, is refused") {
    Wakes wakes;
    SocketPair pair;
    SocketPair other;
    IdleSockets idle;
    REQUIRE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(1)));
    CHECK_FALSE(idle.park(pair.a, Clock::now() + 30s, wakes.for_key(2)));
    CHECK_FALSE(idle.park(other.a, Clock::now() + 30s, nullptr));
    CHECK_FALSE(idle.park(-1, Clock::now() + 30s, wakes.for_key(3)));  // not a socket epoll can watch
    CHECK(idle.size() == 1);
}

TEST_CASE("stop() wakes every parked socket unreadable at once and refuses new ones") {
    Wakes wakes;
    SocketPair a;
    SocketPair b;
    IdleSockets idle;
    REQUIRE(idle.park(a.a, Clock::now() + 30s, wakes.for_key(1)));
    REQUIRE(idle.park(b.a, Clock::now() + 30s, wakes.for_key(2)));
    const auto stopping = Clock::now();
    idle.stop();  // joins: every wake has run when it returns
    CHECK(Clock::now() - stopping < 5s);
    CHECK(wakes.seen() == std::multimap<int, bool>{{1, false}, {2, false}});
    CHECK(idle.size() == 0);

    SocketPair c;
    CHECK_FALSE(idle.park(c.a, Clock::now() + 30s, wakes.for_key(3)));
    idle.stop();  // a second stop is harmless
    CHECK(wakes.seen().size() == 2);
}
