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
