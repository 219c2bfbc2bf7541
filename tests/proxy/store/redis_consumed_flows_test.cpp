#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/app_fakes.h"
#include "support/redis_server.h"
#include "store/redis_consumed_flows.h"

using namespace perch;
using namespace std::chrono_literals;

TEST_CASE("redis consumed flows: of racing instances exactly one consumes a flow, with an expiry") {
    test::RedisServer server;
    testing::FakeClock clock;
    FlowKey flow{};
    flow.fill(9);
    std::atomic<int> winners{0};
    std::vector<std::thread> instances;
    for (int i = 0; i < 8; ++i) {
        instances.emplace_back([&] {
            RedisClient client(server.client_options());
            RedisConsumedFlows consumed(client, clock);
            auto first = consumed.consume(flow, clock.unix_seconds() + 600);
            if (first && first.value()) ++winners;
        });
    }
    for (auto& instance : instances) instance.join();
    CHECK(winners == 1);
    RedisClient client(server.client_options());
    auto ttl = client.command({"TTL", RedisConsumedFlows::key_of(flow)});
    REQUIRE(ttl);
    CHECK(ttl.value().integer > 590);
    CHECK(ttl.value().integer <= 600);
    FlowKey other{};
    other.fill(10);
    RedisConsumedFlows consumed(client, clock);
    CHECK(consumed.consume(other, clock.unix_seconds() + 600).value());
    server.stop();
    CHECK_FALSE(consumed.consume(flow, clock.unix_seconds() + 600));
}

