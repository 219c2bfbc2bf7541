#include <catch2/catch.hpp>

#include <chrono>

#include "support/redis_server.h"
#include "app/redis_rate_limiter.h"

using namespace perch;
using namespace std::chrono_literals;

namespace {

TokenKey master() {
    TokenKey key{};
    key.fill(3);
    return key;
}

RateLimit limit(double per_minute, std::size_t burst, std::size_t factor = 10) {
    RateLimit out;
    out.per_minute = per_minute;
    out.burst = burst;
    out.prefix_factor = factor;
    return out;
}

}  // namespace

TEST_CASE("redis rate limits: a burst, then refusal with Retry-After, shared by every instance") {
    test::RedisServer server;
    RedisClient first_client(server.client_options());
    RedisClient second_client(server.client_options());
    // One a minute, burst 3: two instances together allow three, then refuse.
    RedisRateLimiter first(first_client, limit(1, 3), "start", master());
    RedisRateLimiter second(second_client, limit(1, 3), "start", master());
    CHECK(first.check("198.51.100.7").value().allowed);
    CHECK(second.check("198.51.100.7").value().allowed);
    CHECK(first.check("198.51.100.7").value().allowed);
    const RateDecision refused = second.check("198.51.100.7").value();
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after >= std::chrono::seconds(59));
    CHECK(refused.retry_after <= std::chrono::seconds(60));
    // Another address of the same /24 has its own bucket; another route's limiter its own keys.
    CHECK(first.check("198.51.100.8").value().allowed);
    RedisRateLimiter exchange(first_client, limit(1, 3), "exchange", master());
    CHECK(exchange.check("198.51.100.7").value().allowed);
}

TEST_CASE("redis rate limits: a network's bucket bounds many addresses in it") {
    test::RedisServer server;
    RedisClient client(server.client_options());
    // Burst 1 per address, factor 2: the /24 allows 2 at once however many addresses ask.
    RedisRateLimiter limiter(client, limit(1, 1, 2), "start", master());
    int allowed = 0;
    for (int host = 1; host <= 10; ++host) {
        if (limiter.check("203.0.113." + std::to_string(host)).value().allowed) ++allowed;
    }
    CHECK(allowed == 2);
    CHECK(limiter.check("192.0.2.1").value().allowed);  // another network is untouched
}

TEST_CASE("redis rate limits: bucket keys name no address and expire once refilled") {
    test::RedisServer server;
    RedisClient client(server.client_options());
    RedisRateLimiter limiter(client, limit(60, 2), "start", master());  // one a second, burst 2
    REQUIRE(limiter.check("198.51.100.7").value().allowed);
    auto keys = client.command({"KEYS", "*"});
    REQUIRE(keys);
    REQUIRE(keys.value().elements.size() == 2);
    for (const RedisReply& key : keys.value().elements) {
        CHECK(key.text.rfind("perch:rate:start:", 0) == 0);
        CHECK(key.text.find("198.51.100") == std::string::npos);
        auto ttl = client.command({"PTTL", key.text});
        REQUIRE(ttl);
        CHECK(ttl.value().integer > 0);
        CHECK(ttl.value().integer <= 1000);
    }
    server.stop();
    auto down = limiter.check("198.51.100.7");
    REQUIRE_FALSE(down);
    CHECK(down.error().message.find("Redis") != std::string::npos);
}
