#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "app/rate_limiter.h"

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

RateLimit limit(double per_minute, double burst, std::size_t max_clients = 100, std::size_t max_prefixes = 100) {
    RateLimit result;
    result.per_minute = per_minute;
    result.burst = burst;
    result.max_clients = max_clients;
    result.max_prefixes = max_prefixes;
    return result;
}

// Host `host` (0-255) of the IPv4 /24 number `network` (0-65535) in 10.0.0.0/8.
std::string address(int network, int host) {
    return "10." + std::to_string(network >> 8) + "." + std::to_string(network & 255) + "." + std::to_string(host);
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

TEST_CASE("Memory is bounded: never more than max_clients address and max_prefixes prefix buckets") {
    ManualClock clock;
    RateLimiter limiter(limit(1, 1, 1000, 300), clock);
    for (int i = 0; i < 100000; ++i) {
        limiter.take(address(i % 2000, i / 2000));
        if (i % 10007 == 0) {
            REQUIRE(limiter.tracked_clients() <= 1000);
            REQUIRE(limiter.tracked_prefixes() <= 300);
        }
        clock.advance(milliseconds(1));
    }
    CHECK(limiter.tracked_clients() == 1000);
    CHECK(limiter.tracked_prefixes() == 300);
}

TEST_CASE("Addresses of one /24 share their prefix's bucket: more addresses buy at most 10 x burst at once") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 5, 1000), clock);
    int allowed = 0;
    for (int host = 1; host <= 100; ++host) allowed += allowed_of(limiter, address(7, host), 5);
    CHECK(allowed == 50);
    // The /24 refills ten times as fast as an address: one start every 0.2 s.
    clock.advance(milliseconds(200));
    CHECK(allowed_of(limiter, address(7, 200), 5) == 1);
    CHECK(limiter.take(address(7, 201)).retry_after == seconds(1));
    // Another network is untouched.
    CHECK(allowed_of(limiter, address(8, 1), 10) == 5);
}

TEST_CASE("IPv6 clients are one bucket per /64 and share one per /48") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 2, 1000), clock);
    int allowed = 0;
    for (int subnet = 0; subnet < 30; ++subnet) {
        allowed += allowed_of(limiter, client_key("2001:db8:7:" + std::to_string(subnet) + "::1", "", false), 3);
    }
    CHECK(allowed == 20);
    CHECK(allowed_of(limiter, client_key("2001:db8:8::1", "", false), 3) == 2);
}

TEST_CASE("With the address table full of live buckets, a new address has only its prefix's bucket: no fresh bursts") {
    ManualClock clock;
    RateLimiter limiter(limit(6, 3, 10), clock);  // an address: 3 at once; a /24: 30 at once
    for (int network = 0; network < 10; ++network) REQUIRE(allowed_of(limiter, address(network, 1), 3) == 3);
    REQUIRE(limiter.tracked_clients() == 10);
    // 200 new addresses of one /24 while the table is full: the /24's 30, not 3 each.
    int allowed = 0;
    for (int host = 1; host <= 200; ++host) allowed += allowed_of(limiter, address(500, host), 3);
    CHECK(allowed == 30);
    CHECK(limiter.tracked_clients() == 10);
    // No live bucket was evicted for them: the first clients are still spent.
    for (int network = 0; network < 10; ++network) CHECK_FALSE(limiter.take(address(network, 1)).allowed);
}

TEST_CASE("Buckets that have refilled make room again at a full table") {
    ManualClock clock;
    RateLimiter limiter(limit(60, 2, 4), clock);  // one token a second
    for (int network = 0; network < 4; ++network) REQUIRE(allowed_of(limiter, address(network, 1), 2) == 2);
    CHECK(allowed_of(limiter, address(100, 1), 3) == 3);  // its /24 alone: 20 at once, but 3 tried
    clock.advance(seconds(2));  // every address bucket has refilled
    CHECK(allowed_of(limiter, address(101, 1), 5) == 2);  // its own bucket again
    CHECK(limiter.tracked_clients() == 1);
}

TEST_CASE("A full prefix table leaves a new network to its address's bucket; with neither bucket a request waits") {
    ManualClock clock;
    RateLimiter limiter(limit(60, 2, 1, 1), clock);
    REQUIRE(allowed_of(limiter, address(1, 1), 2) == 2);
    CHECK_FALSE(limiter.take(address(2, 1)).allowed);  // no address bucket, no prefix bucket
    CHECK(limiter.take(address(2, 1)).retry_after == seconds(1));
    clock.advance(seconds(2));
    CHECK(allowed_of(limiter, address(2, 1), 5) == 2);
}

TEST_CASE("A shared NAT /24 of ordinary people is not starved by its prefix bucket") {
    ManualClock clock;
    RateLimiter limiter(limit(30, 10, 100000), clock);  // the shipped defaults
    // 100 people behind one /24, each starting twice within the minute.
    int allowed = 0;
    for (int round = 0; round < 2; ++round) {
        for (int host = 1; host <= 100; ++host) {
            allowed += limiter.take(address(3, host)).allowed ? 1 : 0;
            clock.advance(milliseconds(300));
        }
    }
    CHECK(allowed == 200);
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
