// The per-client limits on start and exchange, through the router: 429 with
// Retry-After before any cookie or provider call, per address and per
// network prefix, and X-Forwarded-For trusted only when configured.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "app_fixture.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

namespace {

// 6 a minute (one token every 10 s), 3 at once, on both routes.
void limited(ProxyConfig& config) {
    config.start_limit = RateLimit{6.0, 3};
    config.exchange_limit = RateLimit{6.0, 3};
}

HttpRequest from(HttpRequest request, const std::string& address) {
    request.remote_addr = address;
    return request;
}

}  // namespace

TEST_CASE("A client over its start burst gets 429 rate_limited with Retry-After, no cookie and no provider call") {
    App app(limited);
    for (int i = 0; i < 3; ++i) CHECK(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 200);
    REQUIRE(app.twitter.request_token_calls == 3);

    HttpResponse refused = app.handle(from(post("/api/twitter/start", ""), "203.0.113.5"));
    CHECK(refused.status == 429);
    CHECK(refused.content_type == "application/json");
    CHECK(json::parse(refused.body) ==
          json::parse(R"({"error":{"code":"rate_limited","message":"Too many sign-in requests from this address; try again in 10 s."}})"));
    CHECK(header(refused, "Retry-After") == "10");
    CHECK(header(refused, "Cache-Control") == "no-store");
    CHECK(header(refused, "X-Content-Type-Options") == "nosniff");
    CHECK(count_headers(refused, "Set-Cookie") == 0);
    CHECK(app.twitter.request_token_calls == 3);
}

TEST_CASE("Retry-After counts down and the client is allowed again once a token has refilled") {
    App app(limited);
    for (int i = 0; i < 3; ++i) REQUIRE(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 200);
    app.clock.advance(std::chrono::seconds(4));
    HttpResponse refused = app.handle(from(post("/api/twitter/start", ""), "203.0.113.5"));
    CHECK(refused.status == 429);
    CHECK(header(refused, "Retry-After") == "6");
    app.clock.advance(std::chrono::seconds(6));
    CHECK(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 200);
    CHECK(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 429);
}

TEST_CASE("Another address is another client with its own allowance") {
    App app(limited);
    for (int i = 0; i < 3; ++i) REQUIRE(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 200);
    CHECK(app.handle(from(post("/api/twitter/start", ""), "203.0.113.5")).status == 429);
    CHECK(app.handle(from(post("/api/twitter/start", ""), "203.0.113.6")).status == 200);
}

TEST_CASE("Addresses of one network share its prefix's allowance; another network is untouched") {
    App app(limited);  // an address: 3 at once; its /24: 30 at once
    int allowed = 0;
    for (int host = 1; host <= 20; ++host) {
        for (int i = 0; i < 3; ++i) {
            allowed += app.handle(from(post("/api/twitter/start", ""), "198.51.100." + std::to_string(host))).status == 200;
        }
    }
    CHECK(allowed == 30);
    CHECK(app.twitter.request_token_calls == 30);
    HttpResponse refused = app.handle(from(post("/api/twitter/start", ""), "198.51.100.200"));
    CHECK(refused.status == 429);
    CHECK(header(refused, "Retry-After") == "1");  // the /24 refills one start a second
    CHECK(app.handle(from(post("/api/twitter/start", ""), "198.51.101.1")).status == 200);
    CHECK(app.handle(from(post("/api/twitter/start", ""), "2001:db8:1:2::1")).status == 200);
}

TEST_CASE("A client-written X-Forwarded-For buys no fresh allowance unless the operator trusts it") {
    SECTION("untrusted (the default): the connection's address counts") {
        App app(limited);
        for (int i = 0; i < 3; ++i) REQUIRE(app.handle(from(post("/api/twitter/start", ""), "127.0.0.1")).status == 200);
        HttpRequest forged = from(post("/api/twitter/start", ""), "127.0.0.1");
        forged.headers.emplace("x-forwarded-for", "198.51.100.9");
        CHECK(app.handle(forged).status == 429);
    }
    SECTION("trusted: the last entry, which the operator's reverse proxy appended, counts") {
        App app([](ProxyConfig& config) {
            limited(config);
            config.trust_forwarded_for = true;
        });
        auto via_proxy = [](const std::string& forwarded) {
            HttpRequest r = from(post("/api/twitter/start", ""), "127.0.0.1");
            r.headers.emplace("x-forwarded-for", forwarded);
            return r;
        };
        for (int i = 0; i < 3; ++i) REQUIRE(app.handle(via_proxy("198.51.100.9")).status == 200);
        CHECK(app.handle(via_proxy("198.51.100.9")).status == 429);
        // What the client wrote before the proxy's entry changes nothing.
        CHECK(app.handle(via_proxy("10.9.9.9, 198.51.100.9")).status == 429);
        CHECK(app.handle(via_proxy("198.51.100.10")).status == 200);
    }
}

TEST_CASE("Exchange has its own limit, checked before the body, the session and the provider") {
    App app(limited);
    Started started = start(app);
    for (int i = 0; i < 3; ++i) {
        CHECK(app.handle(from(post_with_cookies("/api/twitter/exchange", "{\"callback_query\":", started.cookie), "127.0.0.1")).status == 400);
    }
    const std::string query = "?oauth_token=" + started.token + "&oauth_verifier=good-verifier";
    HttpResponse refused = exchange(app, started.cookie, query);
    CHECK(refused.status == 429);
    CHECK(error_code(refused) == "rate_limited");
    CHECK(header(refused, "Retry-After") == "10");
    CHECK(app.twitter.access_token_calls == 0);
    // The flow is untouched: once a token has refilled, the same callback completes.
    app.clock.advance(std::chrono::seconds(10));
    HttpResponse exchanged = exchange(app, started.cookie, query);
    CHECK(exchanged.status == 200);
    CHECK(app.twitter.access_token_calls == 1);
}

TEST_CASE("Start and exchange count separately") {
    App app(limited);
    Started started = start(app);
    for (int i = 0; i < 2; ++i) REQUIRE(app.handle(post("/api/twitter/start", "")).status == 200);
    CHECK(app.handle(post("/api/twitter/start", "")).status == 429);
    CHECK(exchange(app, started.cookie, "?oauth_token=" + started.token + "&oauth_verifier=good-verifier").status == 200);
}

TEST_CASE("Requests refused by the origin, content-type or size checks spend no allowance") {
    App app(limited);
    for (int i = 0; i < 5; ++i) {
        HttpRequest foreign = post("/api/twitter/start", "");
        foreign.headers.find("origin")->second = "https://evil.example";
        CHECK(app.handle(foreign).status == 403);
    }
    for (int i = 0; i < 3; ++i) CHECK(app.handle(post("/api/twitter/start", "")).status == 200);
}

TEST_CASE("With per_minute 0 a route is not limited") {
    App app;  // test_config: both off
    REQUIRE(app.start_limiter == nullptr);
    for (int i = 0; i < 50; ++i) REQUIRE(app.handle(post("/api/twitter/start", "")).status == 200);
}
