// The app under test for the route tests: a Router over the real session
// store and a real AccountStore on a temporary file, with a scripted Twitter,
// and helpers that talk to it the way the page does.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "account_store.h"
#include "api_handlers.h"
#include "app_fakes.h"
#include "log.h"
#include "rate_limiter.h"
#include "routes.h"
#include "token_cipher.h"

namespace perch::testing {

using json = nlohmann::json;

inline const std::string origin = "http://127.0.0.1:8080";
inline const std::string expected_csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' https://pbs.twimg.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

inline ProxyConfig test_config(const std::filesystem::path& web_root) {
    ProxyConfig config;
    config.consumer_key = "consumer-key";
    config.consumer_secret = perch::testing::consumer_secret;
    config.callback_url = origin + "/signup/callback";
    config.twitter_api = "https://api.twitter.com";
    config.public_origin = origin;
    config.public_origin_from_listen = false;
    config.web_root = web_root.string();
    config.session_idle = std::chrono::minutes(30);
    config.session_max_age = std::chrono::hours(24);
    config.flow_ttl = std::chrono::minutes(10);
    config.max_sessions = 100;
    config.max_pending_flows = 1000;
    config.max_flows_per_session = 5;
    // Off unless a test turns them on: most tests start many flows from one address.
    config.start_limit.per_minute = 0;
    config.exchange_limit.per_minute = 0;
    return config;
}

// Every response seen by a test, so secrets can be searched for in all of them.
struct App {
    explicit App(std::function<void(ProxyConfig&)> adjust = {}) : config(test_config(dir.path())) {
        std::ofstream(dir.path() / "index.html") << "<!doctype html><title>perch</title>";
        if (adjust) adjust(config);
        sessions = std::make_unique<InMemorySessionStore>(session_limits(config), clock, random);
        AccountStoreOptions options;
        options.path = (data.path() / "perch.db").string();  // outside the web root
        options.durability = AccountStoreOptions::Durability::normal;
        options.busy_timeout_ms = 50;  // tests that hold the write lock fail fast
        auto opened = AccountStore::open(options, cipher, clock);
        if (!opened) throw std::runtime_error("cannot open the test account store: " + opened.error().message);
        accounts = std::move(opened).value();
        // As main() does: a limit with per_minute 0 has no limiter.
        if (config.start_limit.per_minute > 0) start_limiter = std::make_unique<RateLimiter>(config.start_limit, clock);
        if (config.exchange_limit.per_minute > 0) {
            exchange_limiter = std::make_unique<RateLimiter>(config.exchange_limit, clock);
        }
        router = std::make_unique<Router>(AppContext{config, twitter, *sessions, *accounts, clock, random, log.get(),
                                                     start_limiter.get(), exchange_limiter.get()},
                                          api_routes());
    }

    HttpResponse handle(const HttpRequest& request) {
        HttpResponse response = router->handle(request);
        seen.push_back(response);
        return response;
    }

    TempDir dir;   // the web root
    TempDir data;  // the account database
    ProxyConfig config;
    FakeClock clock;
    CountingRandom random;
    TokenCipher cipher{TokenKey{{7, 7, 7}}, random};
    FakeTwitterClient twitter;
    std::unique_ptr<InMemorySessionStore> sessions;
    std::unique_ptr<AccountStore> accounts;
    std::ostringstream log_text;
    std::unique_ptr<Log> log = Log::to_stream(log_text);
    std::unique_ptr<RateLimiter> start_limiter;
    std::unique_ptr<RateLimiter> exchange_limiter;
    std::unique_ptr<Router> router;
    std::vector<HttpResponse> seen;
};

inline HttpRequest request(const std::string& method, const std::string& path) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.remote_addr = "127.0.0.1";
    return r;
}

inline HttpRequest post(const std::string& path, const std::string& body, const std::string& session = "") {
    HttpRequest r = request("POST", path);
    r.body = body;
    r.headers.emplace("origin", origin);
    r.headers.emplace("content-type", "application/json");
    if (!session.empty()) r.headers.emplace("cookie", "perch_session=" + session);
    return r;
}

inline std::string exchange_body(const std::string& query) { return json{{"callback_query", query}}.dump(); }

inline std::string header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
        if (key == name) return value;
    }
    return {};
}

inline int count_headers(const HttpResponse& response, const std::string& name) {
    int n = 0;
    for (const auto& entry : response.headers) n += entry.first == name ? 1 : 0;
    return n;
}

// The session id a response's Set-Cookie carries, or "".
inline std::string cookie_session(const HttpResponse& response) {
    const std::string set_cookie = header(response, "Set-Cookie");
    const std::string prefix = "perch_session=";
    if (set_cookie.rfind(prefix, 0) != 0) return {};
    return set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size());
}

inline std::string error_code(const HttpResponse& response) {
    auto body = json::parse(response.body);
    return body.at("error").at("code").get<std::string>();
}

struct Started {
    std::string token;
    std::string session;
};

inline Started start(App& app, const std::string& session = "") {
    HttpResponse response = app.handle(post("/api/twitter/start", "", session));
    REQUIRE(response.status == 200);
    auto body = json::parse(response.body);
    const std::string cookie = cookie_session(response);
    return Started{body.at("oauth_token").get<std::string>(), cookie.empty() ? session : cookie};
}

inline HttpResponse exchange(App& app, const std::string& session, const std::string& query) {
    return app.handle(post("/api/twitter/exchange", exchange_body(query), session));
}

inline void check_no_secrets(const std::vector<HttpResponse>& responses) {
    for (const HttpResponse& response : responses) {
        std::string all = response.body;
        for (const auto& [name, value] : response.headers) all += name + ": " + value + "\n";
        INFO(all);
        CHECK(all.find(perch::testing::consumer_secret) == std::string::npos);
        CHECK(all.find(perch::testing::request_secret_prefix) == std::string::npos);
        CHECK(all.find(perch::testing::access_secret_prefix) == std::string::npos);
        CHECK(all.find("at-rt") == std::string::npos);  // access tokens too
    }
}

}  // namespace perch::testing
