#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "rate_limiter.h"

using namespace perch;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// A clock that moves only when told, in milliseconds.
class ManualClock final : public Clock {
public:
    std::int64_t unix_seconds() const override { return 1700000000 + millis_.load() / 1000; }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::time_point(std::chrono::hours(1) + milliseconds(millis_.load()));
    }
    void advance(milliseconds by) { millis_ += by.count(); }

private:
    std::atomic<std::int64_t> millis_{0};
};

RateLimit limit(double per_minute, double burst, std::size_t max_clients = 100) {
    RateLimit result;
    result.per_minute = per_minute;
    result.burst = burst;
    result.max_clients = max_clients;
    return result;
}

int allowed_of(RateLimiter& limiter, const std::string& key, int attempts) {
    int allowed = 0;
    for (int i = 0; i < attempts; ++i) allowed += limiter.take(key).allowed ? 1 : 0;
    return allowed;
}

}  // namespace

TEST_CASE("A new client may make burst requests at once, then the next is refused with a Retry-After") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 5), clock);
    for (int i = 0; i < 5; ++i) {
        const RateDecision decision = limiter.take("192.0.2.1");
        CHECK(decision.allowed);
        CHECK(decision.retry_after == seconds(0));
    }
    const RateDecision refused = limiter.take("192.0.2.1");
    CHECK_FALSE(refused.allowed);
    // 30 a minute is one token every 2 s.
    CHECK(refused.retry_after == seconds(2));
}

TEST_CASE("Retry-After counts down to the moment one token has refilled, and then a request passes") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 1), clock);
    REQUIRE(limiter.take("a").allowed);
    CHECK(limiter.take("a").retry_after == seconds(2));
    clock.advance(milliseconds(500));
    CHECK(limiter.take("a").retry_after == seconds(2));  // 1.5 s left, rounded up
    clock.advance(milliseconds(600));
    CHECK(limiter.take("a").retry_after == seconds(1));  // 0.9 s left
    clock.advance(milliseconds(899));
    CHECK_FALSE(limiter.take("a").allowed);
    clock.advance(milliseconds(1));
    CHECK(limiter.take("a").allowed);
}

TEST_CASE("Refused requests take nothing, so hammering does not push the wait back") {
    ManualClock clock;
    RateLimiter limiter(limit(60, 1), clock);
    REQUIRE(limiter.take("a").allowed);
    for (int i = 0; i < 100; ++i) {
        clock.advance(milliseconds(9));
        CHECK_FALSE(limiter.take("a").allowed);
    }
    clock.advance(milliseconds(100));  // 1000 ms after the first request
    CHECK(limiter.take("a").allowed);
}

TEST_CASE("Each client has its own bucket") {
    ManualClock clock;
    RateLimiter limiter(limit(6, 3), clock);
    CHECK(allowed_of(limiter, "192.0.2.1", 10) == 3);
    CHECK(allowed_of(limiter, "192.0.2.2", 10) == 3);
    CHECK(allowed_of(limiter, "2001:db8::/64", 10) == 3);
}

TEST_CASE("A long quiet spell refills the bucket to burst, never beyond") {
    ManualClock clock;
    RateLimiter limiter(limit(60, 4), clock);
    CHECK(allowed_of(limiter, "a", 4) == 4);
    clock.advance(std::chrono::hours(5));
    CHECK(allowed_of(limiter, "a", 100) == 4);
}

TEST_CASE("Over a minute of constant hammering a client gets burst plus per_minute requests") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 10), clock);
    int allowed = 0;
    for (int tick = 0; tick < 600; ++tick) {  // 10 attempts a second for 60 s
        allowed += limiter.take("flood").allowed ? 1 : 0;
        clock.advance(milliseconds(100));
    }
    // 10 at once, then one every 2 s: at 2.0, 4.0, ... 58.0 s (59.9 s is the last attempt).
    CHECK(allowed == 10 + 29);
}

TEST_CASE("A bucket that has refilled is forgotten, so idle clients cost no memory") {
    ManualClock clock;
    RateLimiter limiter(limit(60, 10), clock);  // one token a second
    for (int i = 0; i < 50; ++i) limiter.take("198.51.100." + std::to_string(i));
    CHECK(limiter.tracked_clients() == 50);
    clock.advance(milliseconds(999));
    CHECK(limiter.tracked_clients() == 50);
    limiter.take("198.51.100.7");  // seen again: full again at 2 s
    clock.advance(milliseconds(1));
    CHECK(limiter.tracked_clients() == 1);
    clock.advance(milliseconds(999));
    CHECK(limiter.tracked_clients() == 1);
    clock.advance(milliseconds(1));
    CHECK(limiter.tracked_clients() == 0);
    CHECK(allowed_of(limiter, "198.51.100.7", 20) == 10);  // and a forgotten client starts full
}

TEST_CASE("Memory is bounded: never more than max_clients buckets, however many clients") {
    ManualClock clock;
    RateLimiter limiter(limit(1, 1, 1000), clock);
    for (int i = 0; i < 100000; ++i) {
        CHECK(limiter.take("client-" + std::to_string(i)).allowed);
        if (i % 10007 == 0) REQUIRE(limiter.tracked_clients() <= 1000);
    }
    CHECK(limiter.tracked_clients() == 1000);
}

TEST_CASE("At the cap the least recently seen client is forgotten, not a busy one") {
    ManualClock clock;
    RateLimiter limiter(limit(1, 1, 3), clock);
    REQUIRE(limiter.take("busy").allowed);
    REQUIRE(limiter.take("b").allowed);
    REQUIRE(limiter.take("c").allowed);
    CHECK_FALSE(limiter.take("busy").allowed);  // "busy" is now the most recently seen
    REQUIRE(limiter.take("d").allowed);         // "b" goes
    CHECK(limiter.tracked_clients() == 3);
    CHECK_FALSE(limiter.take("busy").allowed);
    CHECK_FALSE(limiter.take("c").allowed);
    CHECK_FALSE(limiter.take("d").allowed);
    CHECK(limiter.take("b").allowed);  // forgotten, so a fresh bucket
}

TEST_CASE("Keys longer than max_key_bytes are cut, so they cannot grow memory") {
    ManualClock clock;
    RateLimit settings = limit(1, 2);
    settings.max_key_bytes = 8;
    RateLimiter limiter(settings, clock);
    CHECK(limiter.take("12345678-first").allowed);
    CHECK(limiter.take("12345678-second").allowed);
    CHECK_FALSE(limiter.take("12345678" + std::string(100000, 'x')).allowed);
    CHECK(limiter.tracked_clients() == 1);
}

TEST_CASE("Settings out of range are clamped: a zero rate and burst allow one request an hour") {
    ManualClock clock;
    RateLimiter limiter(limit(0, 0), clock);
    CHECK(limiter.take("a").allowed);
    const RateDecision refused = limiter.take("a");
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == seconds(3600));
}

TEST_CASE("Concurrent callers on one key share its bucket exactly") {
    ManualClock clock;  // stands still: no refill during the race
    RateLimiter limiter(limit(1, 25), clock);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) allowed += limiter.take("shared").allowed ? 1 : 0;
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(allowed.load() == 25);
}

TEST_CASE("Concurrent callers on many keys while the clock moves keep the cap") {
    ManualClock clock;
    RateLimiter limiter(limit(600, 2, 64), clock);
    std::atomic<bool> stop{false};
    std::thread ticker([&] {
        for (int i = 0; i < 2000 && !stop.load(); ++i) clock.advance(milliseconds(3));
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20000; ++i) limiter.take(std::to_string(t) + ":" + std::to_string(i % 500));
        });
    }
    for (auto& thread : threads) thread.join();
    stop = true;
    ticker.join();
    CHECK(limiter.tracked_clients() <= 64);
}

TEST_CASE("client_key uses the connection's address and ignores X-Forwarded-For unless trusted") {
    CHECK(client_key("127.0.0.1", "", false) == "127.0.0.1");
    CHECK(client_key("127.0.0.1", "203.0.113.9", false) == "127.0.0.1");
    CHECK(client_key("127.0.0.1", "203.0.113.9", true) == "203.0.113.9");
}

TEST_CASE("client_key trusts only the last X-Forwarded-For entry, the one the reverse proxy added") {
    // The first entries are whatever the client wrote in its own header.
    CHECK(client_key("10.0.0.2", "1.1.1.1, 2.2.2.2,203.0.113.9", true) == "203.0.113.9");
    CHECK(client_key("10.0.0.2", "1.1.1.1,  203.0.113.9 ", true) == "203.0.113.9");
    CHECK(client_key("10.0.0.2", "1.1.1.1, ", true) == "10.0.0.2");
    CHECK(client_key("10.0.0.2", "", true) == "10.0.0.2");
}

TEST_CASE("client_key keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4") {
    CHECK(client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "", false) == "2001:db8:1:2::/64");
    CHECK(client_key("2001:db8:1:2::1", "", false) == "2001:db8:1:2::/64");
    CHECK(client_key("[2001:db8:1:2::1]", "", false) == "2001:db8:1:2::/64");
    CHECK(client_key("::ffff:192.0.2.7", "", false) == "192.0.2.7");
    CHECK(client_key("::1", "", false) == "::/64");
}

TEST_CASE("client_key passes text that is not an address through unchanged") {
    CHECK(client_key("not-an-address", "", false) == "not-an-address");
    CHECK(client_key("", "", false).empty());
    CHECK(client_key("10.0.0.2", "unknown", true) == "unknown");
}
