#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "support/app_fakes.h"
#include "store/consumed_flows.h"

using namespace perch;
using perch::testing::FakeClock;

namespace {

FlowKey key(int n) {
    FlowKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>((n >> (8 * (i % 4))) ^ (i * 31));
    return k;
}

}  // namespace

TEST_CASE("A flow is consumed once: the first caller wins, every later one is refused") {
    FakeClock clock;
    InMemoryConsumedFlows consumed(10, clock);
    const std::int64_t expires = clock.unix_seconds() + 600;
    CHECK(consumed.consume(key(1), expires));
    CHECK_FALSE(consumed.consume(key(1), expires));
    CHECK_FALSE(consumed.consume(key(1), expires + 100));
    CHECK(consumed.consume(key(2), expires));
    CHECK(consumed.size() == 2);
}

TEST_CASE("A record lasts until its flow expires, then it is dropped") {
    FakeClock clock;
    InMemoryConsumedFlows consumed(10, clock);
    REQUIRE(consumed.consume(key(1), clock.unix_seconds() + 60));
    REQUIRE(consumed.consume(key(2), clock.unix_seconds() + 600));
    clock.advance(std::chrono::seconds(59));
    CHECK(consumed.size() == 2);
    CHECK_FALSE(consumed.consume(key(1), clock.unix_seconds() + 1));
    clock.advance(std::chrono::seconds(1));
    CHECK(consumed.size() == 1);
    consumed.sweep();
    CHECK(consumed.size() == 1);
    CHECK_FALSE(consumed.consume(key(2), clock.unix_seconds() + 540));
}

TEST_CASE("Memory is bounded: when full the records closest to expiry go first, and a consume is never refused") {
    FakeClock clock;
    InMemoryConsumedFlows consumed(3, clock);
    const std::int64_t now = clock.unix_seconds();
    REQUIRE(consumed.consume(key(1), now + 300));
    REQUIRE(consumed.consume(key(2), now + 100));
    REQUIRE(consumed.consume(key(3), now + 200));
    CHECK(consumed.consume(key(4), now + 400));  // key(2), the soonest to expire, makes room
    CHECK(consumed.size() == 3);
    CHECK(consumed.consume(key(2), now + 100));
    CHECK_FALSE(consumed.consume(key(1), now + 300));
    CHECK_FALSE(consumed.consume(key(4), now + 400));
    for (int i = 10; i < 10000; ++i) CHECK(consumed.consume(key(i), now + 500));
    CHECK(consumed.size() == 3);
}

TEST_CASE("Of many threads consuming one flow at once, exactly one wins") {
    FakeClock clock;
    InMemoryConsumedFlows consumed(1000, clock);
    for (int round = 0; round < 50; ++round) {
        std::atomic<int> winners{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                while (!go.load()) std::this_thread::yield();
                if (consumed.consume(key(round), clock.unix_seconds() + 600)) ++winners;
            });
        }
        go = true;
        for (auto& thread : threads) thread.join();
        REQUIRE(winners == 1);
    }
    CHECK(consumed.size() == 50);
}
