#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fixture.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

TEST_CASE("GET /healthz answers ok with every security header and no-store") {
    App app;
    HttpResponse response = app.handle(request("GET", "/healthz"));
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(response.body == R"({"status":"ok"})");
    CHECK(header(response, "Content-Security-Policy") == expected_csp);
    CHECK(header(response, "X-Content-Type-Options") == "nosniff");
    CHECK(header(response, "Referrer-Policy") == "no-referrer");
    CHECK(header(response, "X-Frame-Options") == "DENY");
    CHECK(header(response, "Cache-Control") == "no-store");
}

TEST_CASE("HEAD /healthz is allowed like GET") {
    App app;
    CHECK(app.handle(request("HEAD", "/healthz")).status == 200);
}

TEST_CASE("A wrong method on a known route is 405 with Allow") {
    App app;
    HttpResponse response = app.handle(post("/healthz", ""));
    CHECK(response.status == 405);
    CHECK(error_code(response) == "method_not_allowed");
    CHECK(header(response, "Allow") == "GET, HEAD");

    response = app.handle(request("GET", "/api/twitter/start"));
    CHECK(response.status == 405);
    CHECK(header(response, "Allow") == "POST");
    CHECK(header(response, "Cache-Control") == "no-store");
}

TEST_CASE("An unknown /api route is a JSON 404, never a file") {
    App app;
    for (const char* path : {"/api/nope", "/api", "/api/", "/api/twitter"}) {
        HttpResponse response = app.handle(request("GET", path));
        INFO(path);
        CHECK(response.status == 404);
        CHECK(response.content_type == "application/json");
        CHECK(error_code(response) == "not_found");
        CHECK(header(response, "Cache-Control") == "no-store");
    }
}

TEST_CASE("Static files come through the router with security headers but without no-store") {
    App app;
    HttpResponse page = app.handle(request("GET", "/"));
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(header(page, "Content-Security-Policy") == expected_csp);
    CHECK(header(page, "X-Frame-Options") == "DENY");
    CHECK(header(page, "Cache-Control") == "no-cache");

    HttpResponse callback = app.handle(request("GET", "/signup/callback"));
    CHECK(callback.status == 200);
    CHECK(callback.body == page.body);

    HttpResponse missing = app.handle(request("GET", "/missing.js"));
    CHECK(missing.status == 404);
    CHECK(error_code(missing) == "not_found");

    HttpResponse traversal = app.handle(request("GET", "/../index.html"));
    CHECK(traversal.status == 404);

    HttpResponse wrong = app.handle(post("/", ""));
    CHECK(wrong.status == 405);
    CHECK(header(wrong, "Allow") == "GET, HEAD");
}

TEST_CASE("img-src allows a loopback provider's origin for the emulator's pictures") {
    App app([](ProxyConfig& config) { config.twitter_api = "http://127.0.0.1:9999"; });
    HttpResponse response = app.handle(request("GET", "/healthz"));
    CHECK(header(response, "Content-Security-Policy") ==
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' https://pbs.twimg.com "
          "http://127.0.0.1:9999; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
}

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

TEST_CASE("Start reports provider errors as 502 and timeouts as 504 without a cookie; the detail goes to the log only") {
    App app;
    app.twitter.request_token_failure = ProviderFailure{
        ProviderFailure::Kind::error, "Twitter answered HTTP 500: <html><title>500</title></html>"};
    HttpResponse response = app.handle(post("/api/twitter/start", ""));
    CHECK(response.status == 502);
    CHECK(json::parse(response.body) ==
          json{{"error",
                {{"code", "provider_error"}, {"message", "Twitter could not complete the sign-in. Please try again later."}}}});
    CHECK(count_headers(response, "Set-Cookie") == 0);
    CHECK(app.log_text.str() ==
          "warning provider_error at request_token: Twitter answered HTTP 500: <html><title>500</title></html>\n");

    app.twitter.request_token_failure = ProviderFailure{ProviderFailure::Kind::timeout, "no answer within 10000 ms"};
    response = app.handle(post("/api/twitter/start", ""));
    CHECK(response.status == 504);
    CHECK(json::parse(response.body) ==
          json{{"error", {{"code", "provider_timeout"}, {"message", "Twitter did not answer in time. Please try again."}}}});
    CHECK(app.log_text.str().find("provider_timeout at request_token: no answer within 10000 ms") != std::string::npos);
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

TEST_CASE("Start accepts an empty body or {} and rejects anything else") {
    App app;
    CHECK(app.handle(post("/api/twitter/start", "{}")).status == 200);
    CHECK(app.handle(post("/api/twitter/start", " { } ")).status == 200);
    HttpResponse response = app.handle(post("/api/twitter/start", "[]"));
    CHECK(response.status == 400);
    CHECK(error_code(response) == "invalid_json");
    response = app.handle(post("/api/twitter/start", R"({"callback":"http://evil.example"})"));
    CHECK(response.status == 400);
    CHECK(error_code(response) == "invalid_field");
    response = app.handle(post("/api/twitter/start", "{"));
    CHECK(response.status == 400);
    CHECK(error_code(response) == "invalid_json");
}

TEST_CASE("State-changing routes refuse a foreign, null, doubled or missing Origin with 403") {
    App app;
    for (const char* path : {"/api/twitter/start", "/api/twitter/exchange"}) {
        INFO(path);
        for (const char* bad : {"https://evil.example", "null", "http://127.0.0.1:8081", "http://localhost:8080",
                                "http://127.0.0.1:8080/", "HTTP://127.0.0.1:8080 "}) {
            HttpRequest r = post(path, "{}");
            r.headers.erase("origin");
            r.headers.emplace("origin", bad);
            HttpResponse response = app.handle(r);
            INFO(bad);
            CHECK(response.status == 403);
            CHECK(error_code(response) == "forbidden_origin");
        }
        HttpRequest doubled = post(path, "{}");
        doubled.headers.emplace("origin", "https://evil.example");
        CHECK(app.handle(doubled).status == 403);

        HttpRequest none = post(path, "{}");
        none.headers.erase("origin");
        CHECK(app.handle(none).status == 403);
        none.headers.emplace("sec-fetch-site", "cross-site");
        CHECK(app.handle(none).status == 403);
    }
    CHECK(app.twitter.request_token_calls == 0);
}

TEST_CASE("Without Origin, Sec-Fetch-Site same-origin is accepted") {
    App app;
    HttpRequest r = post("/api/twitter/start", "");
    r.headers.erase("origin");
    r.headers.emplace("sec-fetch-site", "same-origin");
    CHECK(app.handle(r).status == 200);
}

TEST_CASE("State-changing routes need a JSON content type: 415 otherwise") {
    App app;
    for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                             "application/jsonp", "application/json; charset=latin1", "text/json"}) {
        HttpRequest r = post("/api/twitter/start", "{}");
        r.headers.erase("content-type");
        if (*type) r.headers.emplace("content-type", type);
        HttpResponse response = app.handle(r);
        INFO(type);
        CHECK(response.status == 415);
        CHECK(error_code(response) == "unsupported_media_type");
    }
    for (const char* type : {"application/json", "Application/JSON; charset=UTF-8", "application/json;charset=utf-8"}) {
        HttpRequest r = post("/api/twitter/start", "{}");
        r.headers.erase("content-type");
        r.headers.emplace("content-type", type);
        INFO(type);
        CHECK(app.handle(r).status == 200);
    }
}

TEST_CASE("A body over the limit is 413 before it is parsed") {
    App app;
    std::string big = exchange_body(std::string(20 * 1024, 'a'));
    HttpResponse response = app.handle(post("/api/twitter/exchange", big));
    CHECK(response.status == 413);
    CHECK(error_code(response) == "too_large");
}

TEST_CASE("Exchange bodies are parsed strictly") {
    App app;
    Started s = start(app);
    struct Case {
        std::string body;
        std::string code;
    };
    for (const Case& c : {Case{"", "invalid_json"}, Case{"not json", "invalid_json"}, Case{"[]", "invalid_json"},
                          Case{"{}", "missing_field"}, Case{R"({"callback_query":5})", "invalid_field"},
                          Case{R"({"callback_query":"?a=1","extra":1})", "invalid_field"}}) {
        HttpResponse response = app.handle(post_with_cookies("/api/twitter/exchange", c.body, s.cookie));
        INFO(c.body);
        CHECK(response.status == 400);
        CHECK(error_code(response) == c.code);
    }
    CHECK(app.twitter.access_token_calls == 0);
}

TEST_CASE("A full flow: exchange answers new with the provider's user, makes the session and clears the flow cookie") {
    App app;
    Started s = start(app);
    const std::string flow_name = s.cookie.substr(0, s.cookie.find('='));
    HttpResponse response = exchange(app, s.cookie, "?oauth_token=" + s.token + "&oauth_verifier=good-verifier");
    REQUIRE(response.status == 200);
    auto body = json::parse(response.body);
    CHECK(body.at("status") == "new");
    CHECK(body.at("twitter_user").at("id_str") == "1234567890123456789");
    CHECK(body.at("twitter_user").at("name") == "Zoë Tester");
    CHECK(body.at("twitter_user").at("screen_name") == "perch_tester");
    CHECK(header(response, "Cache-Control") == "no-store");

    // access_token got this flow's own secret, from the cookie, and the verifier.
    REQUIRE(app.twitter.exchanged.size() == 1);
    CHECK(app.twitter.exchanged[0].token == "rt1");
    CHECK(app.twitter.exchanged[0].secret == "RT-SECRET-1");
    CHECK(app.twitter.verifiers[0] == "good-verifier");
    CHECK(app.twitter.verify_calls == 1);

    // The session exists from now on, with the identity server-side.
    const std::string session = cookie_session(response);
    CHECK(session.size() == 43);
    CHECK(set_cookies(response) ==
          std::vector<std::string>{"perch_session=" + session + "; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax",
                                   flow_name + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"});
    auto identity = app.sessions->identity(session);
    REQUIRE(identity);
    CHECK(identity->user_id == "1234567890123456789");
    CHECK(identity->screen_name == "perch_tester");
    CHECK(identity->access_token == "at-rt1");
    CHECK(identity->access_token_secret == "AT-SECRET-rt1");
    CHECK(identity->user.at("name") == "Zoë Tester");
    CHECK(app.sessions->size() == 1);
    CHECK(app.consumed->size() == 1);
    check_no_secrets(app.seen);
}

TEST_CASE("A browser that already had a session gets a new id on the exchange, and the old one is dead") {
    App app;
    Browser browser(app);
    REQUIRE(browser.approve(browser.start()).status == 200);
    const std::string first = browser.session();
    REQUIRE(browser.approve(browser.start()).status == 200);
    CHECK(browser.session().size() == 43);
    CHECK(browser.session() != first);
    CHECK_FALSE(app.sessions->touch(first));
    CHECK(app.sessions->size() == 1);
}

TEST_CASE("A replayed callback is 409 in the browser that used it, and reaches no provider") {
    App app;
    Browser browser(app);
    const std::string token = browser.start();
    const std::string flow_cookie = browser.jar.header();
    const std::string query = "?oauth_token=" + token + "&oauth_verifier=good-verifier";
    REQUIRE(browser.exchange(query).status == 200);
    CHECK(browser.flow_cookies().empty());

    HttpResponse replay = browser.exchange(query);
    CHECK(replay.status == 409);
    CHECK(error_code(replay) == "replayed");
    // A kept copy of the flow cookie is refused too: the flow was consumed.
    HttpResponse copy = exchange(app, flow_cookie, query);
    CHECK(copy.status == 409);
    CHECK(error_code(copy) == "replayed");
    CHECK(set_cookie_value(copy, flow_cookie.substr(0, flow_cookie.find('='))) == std::string());
    // Another browser has no flow for it; a browser with none at all has no sign-in.
    Browser thief(app);
    thief.start();
    CHECK(error_code(thief.exchange(query)) == "token_mismatch");
    CHECK(error_code(exchange(app, "", query)) == "no_session");
    CHECK(app.twitter.access_token_calls == 1);
}

TEST_CASE("A double-clicked callback racing on many threads is exchanged exactly once") {
    App app;
    Started s = start(app);
    const std::string query = "oauth_token=" + s.token + "&oauth_verifier=good-verifier";
    std::atomic<int> ok{0}, replayed{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            HttpResponse response =
                app.router->handle(post_with_cookies("/api/twitter/exchange", exchange_body(query), s.cookie));
            if (response.status == 200) ++ok;
            else if (response.status == 409 && error_code(response) == "replayed") ++replayed;
            else ++other;
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    CHECK(ok == 1);
    CHECK(replayed == 7);
    CHECK(other == 0);
    CHECK(app.twitter.access_token_calls == 1);
    CHECK(app.sessions->size() == 1);
}

TEST_CASE("Two tabs in one browser both complete and never cross-complete") {
    App app;
    Browser browser(app);
    const std::string a = browser.start();
    const std::string b = browser.start();
    REQUIRE(a == "rt1");
    REQUIRE(b == "rt2");

    REQUIRE(browser.approve("rt2").status == 200);
    REQUIRE(browser.approve("rt1").status == 200);

    REQUIRE(app.twitter.exchanged.size() == 2);
    CHECK(app.twitter.exchanged[0].token == "rt2");
    CHECK(app.twitter.exchanged[0].secret == "RT-SECRET-2");
    CHECK(app.twitter.exchanged[1].token == "rt1");
    CHECK(app.twitter.exchanged[1].secret == "RT-SECRET-1");
    CHECK(browser.flow_cookies().empty());
}

TEST_CASE("Another browser's token is a token_mismatch, reaches no provider and leaves the flow to its owner") {
    App app;
    Started mine = start(app);
    Started theirs = start(app);
    HttpResponse response = exchange(app, mine.cookie, "oauth_token=" + theirs.token + "&oauth_verifier=v");
    CHECK(response.status == 400);
    CHECK(error_code(response) == "token_mismatch");
    CHECK(count_headers(response, "Set-Cookie") == 0);
    CHECK(app.twitter.access_token_calls == 0);
    CHECK(exchange(app, theirs.cookie, "oauth_token=" + theirs.token + "&oauth_verifier=v").status == 200);
}

TEST_CASE("Callback outcomes become 400 errors named after them, and leave the flow pending") {
    App app;
    Started s = start(app);
    struct Case {
        std::string query;
        std::string code;
    };
    for (const Case& c : {Case{"oauth_token=tampered&oauth_verifier=v", "token_mismatch"},
                          Case{"oauth_token=" + s.token, "missing_params"},
                          Case{"oauth_token=" + s.token + "&oauth_verifier=", "missing_params"},
                          Case{"oauth_verifier=v", "missing_params"},
                          Case{"", "missing_params"},
                          Case{"oauth_token=%zz&oauth_verifier=v", "malformed"},
                          Case{"oauth_token=" + s.token + "&oauth_token=" + s.token + "&oauth_verifier=v", "malformed"},
                          Case{"oauth_token=" + s.token + "&oauth_verifier=<script>", "malformed"}}) {
        HttpResponse response = exchange(app, s.cookie, c.query);
        INFO(c.query);
        CHECK(response.status == 400);
        CHECK(error_code(response) == c.code);
        CHECK(count_headers(response, "Set-Cookie") == 0);
    }
    CHECK(app.twitter.access_token_calls == 0);
    CHECK(exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=v").status == 200);
}

TEST_CASE("Exchange from a browser without any flow cookie is 400 no_session") {
    App app;
    Started s = start(app);
    for (const std::string& cookies : {std::string(), "perch_session=" + std::string(43, 'Q'), std::string("other=1")}) {
        HttpResponse response = exchange(app, cookies, "oauth_token=" + s.token + "&oauth_verifier=v");
        INFO(cookies);
        CHECK(response.status == 400);
        CHECK(error_code(response) == "no_session");
    }
    CHECK(app.twitter.access_token_calls == 0);
}

TEST_CASE("A cancelled callback is 400 denied without a provider call, and the flow is over") {
    App app;
    Browser browser(app);
    const std::string token = browser.start();
    HttpResponse response = browser.exchange("denied=" + token);
    CHECK(response.status == 400);
    CHECK(error_code(response) == "denied");
    CHECK(browser.flow_cookies().empty());
    response = browser.approve(token);
    CHECK(response.status == 400);
    CHECK(error_code(response) == "no_session");
    CHECK(app.twitter.access_token_calls == 0);
}

TEST_CASE("A callback after the flow lifetime is 410 expired, reaches no provider and clears the cookie") {
    App app;
    Browser browser(app);
    const std::string token = browser.start();
    app.clock.advance(std::chrono::minutes(10));
    HttpResponse response = browser.approve(token);
    CHECK(response.status == 410);
    CHECK(error_code(response) == "expired");
    CHECK(browser.flow_cookies().empty());
    CHECK(app.twitter.access_token_calls == 0);
}

TEST_CASE("Provider failures during the exchange are 502 or 504; the flow is used up and never retried") {
    App app;
    Started s = start(app);
    app.twitter.access_token_failure = ProviderFailure{ProviderFailure::Kind::timeout, "Twitter did not answer in time"};
    HttpResponse response = exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=v");
    CHECK(response.status == 504);
    CHECK(error_code(response) == "provider_timeout");
    CHECK(set_cookie_value(response, s.cookie.substr(0, s.cookie.find('='))) == std::string());
    CHECK(app.log_text.str().find("provider_timeout at access_token: Twitter did not answer in time") != std::string::npos);
    app.twitter.access_token_failure.reset();
    CHECK(error_code(exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=v")) == "replayed");
    CHECK(app.twitter.access_token_calls == 1);

    Started t = start(app);
    app.twitter.access_token_failure = ProviderFailure{ProviderFailure::Kind::error, "Twitter error 89: Invalid or expired token."};
    response = exchange(app, t.cookie, "oauth_token=" + t.token + "&oauth_verifier=v");
    CHECK(response.status == 502);
    CHECK(error_code(response) == "provider_error");

    app.twitter.access_token_failure.reset();
    Started u = start(app);
    app.twitter.verify_failure = ProviderFailure{ProviderFailure::Kind::error, "verify_credentials returned a different user"};
    response = exchange(app, u.cookie, "oauth_token=" + u.token + "&oauth_verifier=v");
    CHECK(response.status == 502);
    CHECK(error_code(response) == "provider_error");
    CHECK(app.log_text.str().find("provider_error at verify_credentials: verify_credentials returned a different user") !=
          std::string::npos);
    CHECK_FALSE(set_cookie_value(response, "perch_session"));
    CHECK(app.sessions->size() == 0);
}

TEST_CASE("With the session store full, an exchange X identified is 503 busy; starts go on") {
    App app([](ProxyConfig& config) { config.max_sessions = 1; });
    Browser first(app);
    REQUIRE(first.approve(first.start()).status == 200);
    Browser second(app);
    const std::string token = second.start();
    HttpResponse response = second.approve(token);
    CHECK(response.status == 503);
    CHECK(error_code(response) == "busy");
    CHECK_FALSE(set_cookie_value(response, "perch_session"));
    CHECK(second.flow_cookies().empty());
    CHECK(app.twitter.verify_calls == 2);
    // The signed-in browser signing in again replaces its own session.
    CHECK(first.approve(first.start()).status == 200);
}

TEST_CASE("An exception in a route is a 500 that never shows what() ") {
    App app;
    AppContext context = app.context();
    context.log = nullptr;
    Router router(context,
                  {Route{"GET", "/api/boom", false,
                         [](const HttpRequest&, AppContext&) -> RouteResult {
                             throw std::runtime_error("db password hunter2");
                         }}});
    HttpResponse response = router.handle(request("GET", "/api/boom"));
    CHECK(response.status == 500);
    CHECK(json::parse(response.body) == json{{"error", {{"code", "internal"}, {"message", "Internal error."}}}});
    CHECK(response.body.find("hunter2") == std::string::npos);
    CHECK(header(response, "X-Content-Type-Options") == "nosniff");
    CHECK(header(response, "Cache-Control") == "no-store");
}

TEST_CASE("Every error body is {error:{code,message}} and no response ever carries a secret") {
    App app;
    Started s = start(app);
    exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=v");
    exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=v");
    exchange(app, "", "x");
    app.handle(request("GET", "/api/nope"));
    app.handle(request("DELETE", "/healthz"));
    app.twitter.request_token_failure = ProviderFailure{ProviderFailure::Kind::error, "Twitter error 32"};
    app.handle(post("/api/twitter/start", ""));
    for (const HttpResponse& response : app.seen) {
        if (response.status < 400) continue;
        auto body = json::parse(response.body);
        CHECK(body.size() == 1);
        CHECK(body.at("error").size() == 2);
        CHECK(body.at("error").at("code").is_string());
        CHECK(body.at("error").at("message").is_string());
    }
    check_no_secrets(app.seen);
}
