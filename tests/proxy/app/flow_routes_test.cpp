// The pending sign-in's cookie through the router: what a start hands the
// browser instead of keeping it, how many a browser may hold, which cookies
// are read (never one that does not open, never an unprefixed one on https).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fixture.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

TEST_CASE("Start keeps nothing on the server: the flow goes to the browser in one sealed, HttpOnly cookie") {
    App app;
    HttpResponse response = app.handle(post("/api/twitter/start", ""));
    REQUIRE(response.status == 200);
    CHECK(json::parse(response.body) ==
          json{{"authorize_url", "https://api.twitter.example/oauth/authenticate?oauth_token=rt1"},
               {"oauth_token", "rt1"}});
    CHECK(header(response, "Cache-Control") == "no-store");
    REQUIRE(count_headers(response, "Set-Cookie") == 1);
    const std::string set_cookie = header(response, "Set-Cookie");
    const std::string name = set_cookie.substr(0, set_cookie.find('='));
    const std::string value = *set_cookie_value(response, name);
    CHECK(name.size() == std::string("perch_flow_").size() + 11);
    CHECK(name.rfind("perch_flow_", 0) == 0);
    CHECK(set_cookie == name + "=" + value + "; Path=/; Max-Age=660; HttpOnly; SameSite=Lax");

    auto flow = app.flow_seal.open(value, name);
    REQUIRE(flow);
    CHECK(flow->protocol == FlowProtocol::oauth1);
    CHECK(flow->id == "rt1");
    CHECK(flow->secret == "RT-SECRET-1");
    CHECK(flow->expires_unix == app.clock.unix_seconds() + 600);
    CHECK_FALSE(app.flow_seal.open(value, "perch_flow_AAAAAAAAAAA"));  // bound to its own name
    CHECK(app.sessions->size() == 0);
    CHECK(app.consumed->size() == 0);
    CHECK(app.twitter.request_token_calls == 1);
    check_no_secrets(app.seen);
}

TEST_CASE("Each start is a cookie of its own, so tabs starting together never overwrite each other") {
    App app;
    Browser browser(app);
    const std::string first = browser.start();
    const std::string second = browser.start();
    CHECK(first != second);
    REQUIRE(browser.flow_cookies().size() == 2);
    CHECK(browser.flow_cookies()[0] != browser.flow_cookies()[1]);
    CHECK(browser.approve(second).status == 200);
    CHECK(browser.approve(first).status == 200);
}

TEST_CASE("Start neither reads nor makes a session: a signed-in browser gets a flow cookie and keeps its session") {
    App app;
    Browser browser(app);
    REQUIRE(browser.approve(browser.start()).status == 200);
    const std::string session = browser.session();
    HttpResponse again = browser.post("/api/twitter/start");
    CHECK(again.status == 200);
    CHECK_FALSE(set_cookie_value(again, "perch_session"));
    CHECK(browser.session() == session);
    CHECK(app.sessions->touch(session));
    CHECK(app.sessions->size() == 1);
}

TEST_CASE("A browser keeps at most max_flows_per_session flows: a start clears the oldest beyond it") {
    App app([](ProxyConfig& config) { config.max_flows_per_session = 3; });
    Browser browser(app);
    std::vector<std::string> tokens;
    std::vector<std::string> names;
    for (int i = 0; i < 3; ++i) {
        tokens.push_back(browser.start());
        names.push_back(browser.flow_cookies().back());
        app.clock.advance(std::chrono::seconds(1));
    }
    HttpResponse fourth = browser.post("/api/twitter/start");
    REQUIRE(fourth.status == 200);
    tokens.push_back(json::parse(fourth.body).at("oauth_token"));
    CHECK(set_cookie_value(fourth, names[0]) == std::string());  // cleared: Max-Age=0
    CHECK(header(fourth, "Set-Cookie") == names[0] + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    CHECK(browser.flow_cookies().size() == 3);

    // The dropped flow is not this browser's any more; the others complete.
    HttpResponse dropped = browser.approve(tokens[0]);
    CHECK(dropped.status == 400);
    CHECK(error_code(dropped) == "token_mismatch");
    for (int i = 1; i < 4; ++i) CHECK(browser.approve(tokens[static_cast<std::size_t>(i)]).status == 200);
    CHECK(app.twitter.access_token_calls == 3);
}

TEST_CASE("Flow cookies that do not open are ignored, never an error, and the next start clears them") {
    App app;
    Started genuine = start(app);
    const std::string name = genuine.cookie.substr(0, genuine.cookie.find('='));
    const std::string value = genuine.cookie.substr(genuine.cookie.find('=') + 1);
    std::string flipped = value;
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    const std::string moved = "perch_flow_AAAAAAAAAAA=" + value;  // another name: the seal is bound to its own
    const std::string query = "?oauth_token=" + genuine.token + "&oauth_verifier=good-verifier";
    for (const std::string& bad : {name + "=" + flipped, moved, name + "=" + std::string(2000, 'A'),
                                   name + "=not base64!", name + "=", "perch_flow_short=" + value}) {
        INFO(bad);
        HttpResponse response = exchange(app, bad, query);
        CHECK(response.status == 400);
        CHECK(error_code(response) == "no_session");
    }
    // Sealed by a proxy with another token key.
    CountingRandom random;
    FlowSeal other(TokenKey{{8}}, random);
    const std::string foreign = name + "=" + other.seal(PendingFlow{FlowProtocol::oauth1, genuine.token, "s", 1800000000}, name);
    CHECK(error_code(exchange(app, foreign, query)) == "no_session");

    HttpResponse next = app.handle(post_with_cookies("/api/twitter/start", "", name + "=" + flipped));
    REQUIRE(next.status == 200);
    CHECK(set_cookie_value(next, name) == std::string());
    CHECK(app.twitter.access_token_calls == 0);
    CHECK(exchange(app, genuine.cookie, query).status == 200);
}

namespace {

HttpRequest https_post(const std::string& path, const std::string& cookie = "") {
    HttpRequest r = post(path, "");
    r.headers.erase("origin");
    r.headers.emplace("origin", "https://perch.example");
    if (!cookie.empty()) r.headers.emplace("cookie", cookie);
    return r;
}

void use_https(ProxyConfig& config) {
    config.public_origin = "https://perch.example";
    config.secure_cookies = true;
}

}  // namespace

TEST_CASE("On an https origin the cookies are __Host-perch_flow_ and __Host-perch_session, Secure, Path=/, without Domain") {
    App app(use_https);
    HttpResponse started = app.handle(https_post("/api/twitter/start"));
    REQUIRE(started.status == 200);
    const std::string set_cookie = header(started, "Set-Cookie");
    const std::string name = set_cookie.substr(0, set_cookie.find('='));
    CHECK(name.rfind("__Host-perch_flow_", 0) == 0);
    CHECK(set_cookie == name + "=" + *set_cookie_value(started, name) +
                            "; Path=/; Max-Age=660; HttpOnly; Secure; SameSite=Lax");

    HttpRequest exchange_request = https_post("/api/twitter/exchange", set_cookie.substr(0, set_cookie.find(';')));
    exchange_request.body = exchange_body("?oauth_token=rt1&oauth_verifier=good-verifier");
    HttpResponse exchanged = app.handle(exchange_request);
    REQUIRE(exchanged.status == 200);
    const std::string session = *set_cookie_value(exchanged, "__Host-perch_session");
    CHECK(session.size() == 43);
    CHECK(set_cookies(exchanged) ==
          std::vector<std::string>{"__Host-perch_session=" + session + "; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax",
                                   name + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"});
}

TEST_CASE("On an https origin an unprefixed flow or session cookie (which any subdomain can set) is ignored") {
    App app(use_https);
    HttpResponse started = app.handle(https_post("/api/twitter/start"));
    REQUIRE(started.status == 200);
    const std::string set_cookie = header(started, "Set-Cookie");
    const std::string name = set_cookie.substr(0, set_cookie.find('='));
    const std::string value = *set_cookie_value(started, name);
    const std::string unprefixed = name.substr(std::string("__Host-").size());

    // A sibling host planting its own flow (login CSRF) or session: neither is read.
    HttpRequest planted = https_post("/api/twitter/exchange", unprefixed + "=" + value);
    planted.body = exchange_body("?oauth_token=rt1&oauth_verifier=good-verifier");
    HttpResponse response = app.handle(planted);
    CHECK(response.status == 400);
    CHECK(error_code(response) == "no_session");
    CHECK(app.twitter.access_token_calls == 0);

    HttpRequest genuine = https_post("/api/twitter/exchange", name + "=" + value);
    genuine.body = planted.body;
    HttpResponse exchanged = app.handle(genuine);
    REQUIRE(exchanged.status == 200);
    const std::string session = *set_cookie_value(exchanged, "__Host-perch_session");
    HttpRequest me = request("GET", "/api/me");
    me.headers.emplace("cookie", "perch_session=" + session);
    CHECK(app.handle(me).status == 401);
}

TEST_CASE("However many sign-ins are started, a start is never refused for room: the server holds none of them") {
    App app([](ProxyConfig& config) {
        config.max_sessions = 1;
        config.max_pending_flows = 1;
    });
    for (int i = 0; i < 2000; ++i) REQUIRE(app.handle(post("/api/twitter/start", "")).status == 200);
    CHECK(app.sessions->size() == 0);
    CHECK(app.consumed->size() == 0);
    Browser late(app);
    CHECK(late.approve(late.start()).status == 200);
}
