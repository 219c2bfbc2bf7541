// The app under test for the route tests: a Router over the real session
// store, flow seal and consumed-flow record and a real AccountStore on a
// temporary file, with a scripted Twitter, and helpers that talk to it the
// way the page (and its browser's cookie jar) does.
#pragma once

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "store/account_store.h"
#include "store/sqlite_account_store.h"
#include "app/api_handlers.h"
#include "store/consumed_flows.h"
#include "support/app_fakes.h"
#include "base/log.h"
#include "app/rate_limiter.h"
#include "app/routes.h"
#include "app/sealed_flow.h"
#include "store/token_cipher.h"

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
        consumed = std::make_unique<InMemoryConsumedFlows>(config.max_pending_flows, clock);
        AccountStoreOptions options;
        options.path = (data.path() / "perch.db").string();  // outside the web root
        options.durability = AccountStoreOptions::Durability::normal;
        options.busy_timeout_ms = 50;  // tests that hold the write lock fail fast
        auto opened = SqliteAccountStore::open(options, cipher, clock);
        if (!opened) throw std::runtime_error("cannot open the test account store: " + opened.error().message);
        accounts = std::move(opened).value();
        // As main() does: a limit with per_minute 0 has no limiter.
        if (config.start_limit.per_minute > 0) start_limiter = std::make_unique<RateLimiter>(config.start_limit, clock);
        if (config.exchange_limit.per_minute > 0) {
            exchange_limiter = std::make_unique<RateLimiter>(config.exchange_limit, clock);
        }
        router = std::make_unique<Router>(context(), api_routes());
    }

    AppContext context() {
        return AppContext{config, twitter, *sessions, flow_seal, *consumed, *accounts, clock, random, log.get(),
                          start_limiter.get(), exchange_limiter.get(), nullptr, {}, nullptr};
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
    FlowSeal flow_seal{TokenKey{{7, 7, 7}}, random};
    FakeTwitterClient twitter;
    std::unique_ptr<InMemorySessionStore> sessions;
    std::unique_ptr<InMemoryConsumedFlows> consumed;
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

// A POST the page would send; `session` is a session id for the perch_session cookie.
inline HttpRequest post(const std::string& path, const std::string& body, const std::string& session = "") {
    HttpRequest r = request("POST", path);
    r.body = body;
    r.headers.emplace("origin", origin);
    r.headers.emplace("content-type", "application/json");
    if (!session.empty()) r.headers.emplace("cookie", "perch_session=" + session);
    return r;
}

// The same with a whole Cookie header ("a=1; b=2"), or none when empty.
inline HttpRequest post_with_cookies(const std::string& path, const std::string& body, const std::string& cookies) {
    HttpRequest r = post(path, body);
    if (!cookies.empty()) r.headers.emplace("cookie", cookies);
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

inline std::vector<std::string> set_cookies(const HttpResponse& response) {
    std::vector<std::string> values;
    for (const auto& [key, value] : response.headers) {
        if (key == "Set-Cookie") values.push_back(value);
    }
    return values;
}

// The value a response's Set-Cookie gives cookie `name` ("" for a clearing one), if it sets it.
inline std::optional<std::string> set_cookie_value(const HttpResponse& response, const std::string& name) {
    for (const std::string& set_cookie : set_cookies(response)) {
        if (set_cookie.rfind(name + "=", 0) != 0) continue;
        return set_cookie.substr(name.size() + 1, set_cookie.find(';') - name.size() - 1);
    }
    return std::nullopt;
}

// The session id a response's Set-Cookie carries, or "".
inline std::string cookie_session(const HttpResponse& response) {
    return set_cookie_value(response, "perch_session").value_or("");
}

inline std::string error_code(const HttpResponse& response) {
    auto body = json::parse(response.body);
    return body.at("error").at("code").get<std::string>();
}

// A browser's cookies, as it keeps them: a Set-Cookie stores (an existing
// name keeps its place), Max-Age=0 removes, and they go back oldest first.
class CookieJar {
public:
    void receive(const HttpResponse& response) {
        for (const std::string& set_cookie : set_cookies(response)) {
            const std::string pair = set_cookie.substr(0, set_cookie.find(';'));
            const std::string name = pair.substr(0, pair.find('='));
            const std::string value = pair.substr(pair.find('=') + 1);
            if (set_cookie.find("; Max-Age=0;") != std::string::npos) erase(name);
            else set(name, value);
        }
    }
    void set(const std::string& name, const std::string& value) {
        for (auto& cookie : cookies_) {
            if (cookie.first == name) {
                cookie.second = value;
                return;
            }
        }
        cookies_.emplace_back(name, value);
    }
    void erase(const std::string& name) {
        cookies_.erase(std::remove_if(cookies_.begin(), cookies_.end(), [&](const auto& c) { return c.first == name; }),
                       cookies_.end());
    }
    std::string get(const std::string& name) const {
        for (const auto& cookie : cookies_) {
            if (cookie.first == name) return cookie.second;
        }
        return {};
    }
    std::vector<std::string> names_starting_with(const std::string& prefix) const {
        std::vector<std::string> names;
        for (const auto& cookie : cookies_) {
            if (cookie.first.rfind(prefix, 0) == 0) names.push_back(cookie.first);
        }
        return names;
    }
    std::string header() const {
        std::string text;
        for (const auto& [name, value] : cookies_) text += (text.empty() ? "" : "; ") + name + "=" + value;
        return text;
    }

private:
    std::vector<std::pair<std::string, std::string>> cookies_;
};

struct Started {
    std::string token;
    std::string cookie;  // "perch_flow_<id>=<sealed flow>": what the browser sends back
};

// POST /api/twitter/start from a browser holding `cookies`; its token and new flow cookie.
inline Started start(App& app, const std::string& cookies = "") {
    HttpResponse response = app.handle(post_with_cookies("/api/twitter/start", "", cookies));
    REQUIRE(response.status == 200);
    auto body = json::parse(response.body);
    const std::vector<std::string> set = set_cookies(response);
    REQUIRE(!set.empty());
    return Started{body.at("oauth_token").get<std::string>(), set.back().substr(0, set.back().find(';'))};
}

inline HttpResponse exchange(App& app, const std::string& cookies, const std::string& query) {
    return app.handle(post_with_cookies("/api/twitter/exchange", exchange_body(query), cookies));
}

// One person's browser: every answer's cookies land in its jar and go out with the next request.
struct Browser {
    explicit Browser(App& app_) : app(app_) {}

    HttpResponse send(HttpRequest request) {
        if (!jar.header().empty()) request.headers.emplace("cookie", jar.header());
        HttpResponse response = app.handle(request);
        jar.receive(response);
        return response;
    }
    HttpResponse post(const std::string& path, const std::string& body = "{}") {
        return send(testing::post(path, body));
    }
    std::string start() {
        HttpResponse response = post("/api/twitter/start");
        REQUIRE(response.status == 200);
        return json::parse(response.body).at("oauth_token").get<std::string>();
    }
    HttpResponse exchange(const std::string& query) { return post("/api/twitter/exchange", exchange_body(query)); }
    HttpResponse approve(const std::string& token) {
        return exchange("?oauth_token=" + token + "&oauth_verifier=good-verifier");
    }
    std::string session() const { return jar.get("perch_session"); }
    std::vector<std::string> flow_cookies() const { return jar.names_starting_with("perch_flow_"); }

    App& app;
    CookieJar jar;
};

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
