// GET /api/auth, the reverse proxies' auth subrequest, through the Router
// with plain structs, a scripted Twitter and a real AccountStore.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "app/forward_auth.h"
#include "app_fixture.h"
#include "core/text.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

namespace {

// What FakeTwitterClient's verify_credentials says about everyone.
const std::string twitter_id = "1234567890123456789";

json form(const std::string& email = "zoe@example.com") {
    return json{{"username", "perch_tester"},
                {"first_name", "Zoë"},
                {"last_name", "Tester"},
                {"email", email},
                {"timezone", "Europe/Berlin"}};
}

// start -> consent -> exchange: a session holding an X identity, no account yet.
std::string identity_session(App& app) {
    Started s = start(app);
    HttpResponse response = exchange(app, s.cookie, "?oauth_token=" + s.token + "&oauth_verifier=good-verifier");
    REQUIRE(response.status == 200);
    const std::string session = cookie_session(response);
    REQUIRE(session.size() == 43);
    return session;
}

// The session id of a new account registered through /api/register with `body`.
std::string registered_session(App& app, const json& body = form()) {
    HttpResponse created = app.handle(post("/api/register", body.dump(), identity_session(app)));
    REQUIRE(created.status == 201);
    return cookie_session(created);
}

// An account written straight into the store, past the core's form
// validation, and a session signed in to it: what a hand-edited or foreign
// row would look like to the route.
std::string stored_account_session(App& app, const std::string& username, const std::string& email) {
    const std::string session = identity_session(app);
    RegistrationForm fields{username, "Zoë", "Tester", email, "Europe/Berlin"};
    auto stored = app.accounts->register_account(NewAccount{twitter_id, fields, "", "token", "secret", std::nullopt});
    REQUIRE(stored.ok());
    auto signed_in = app.sessions->sign_in(session, stored.value().id);
    REQUIRE(signed_in.ok());
    REQUIRE(signed_in.value().has_value());
    return *signed_in.value();
}

HttpResponse auth(App& app, const std::string& session, const std::string& method = "GET") {
    HttpRequest r = request(method, "/api/auth");
    if (!session.empty()) r.headers.emplace("cookie", "perch_session=" + session);
    return app.handle(r);
}

int perch_headers(const HttpResponse& response) {
    int n = 0;
    for (const auto& entry : response.headers) n += lower(entry.first).rfind("x-perch-", 0) == 0 ? 1 : 0;
    return n;
}

void check_not_authenticated(const HttpResponse& response) {
    CHECK(response.status == 401);
    CHECK(json::parse(response.body) ==
          json{{"error", {{"code", "not_authenticated"}, {"message", "Sign in with Twitter first."}}}});
    CHECK(perch_headers(response) == 0);
    CHECK(header(response, "Cache-Control") == "no-store");
}

}  // namespace

TEST_CASE("GET /api/auth for a signed-in account: 204, no body, exactly the stored identity, no-store") {
    App app;
    const std::string session = registered_session(app);
    HttpResponse response = auth(app, session);
    REQUIRE(response.status == 204);
    CHECK(response.body.empty());
    CHECK(response.content_type.empty());
    CHECK(header(response, "Cache-Control") == "no-store");

    auto account_id = app.sessions->signed_in_account(session).value();
    REQUIRE(account_id.has_value());
    auto stored = app.accounts->find_by_id(*account_id);
    REQUIRE(stored.ok());
    REQUIRE(stored.value().has_value());
    CHECK(header(response, "X-Perch-User-Id") == twitter_id);
    CHECK(header(response, "X-Perch-User-Id") == stored.value()->twitter_id);
    CHECK(header(response, "X-Perch-Username") == "perch_tester");
    CHECK(header(response, "X-Perch-Email") == "zoe@example.com");
    CHECK(count_headers(response, "X-Perch-User-Id") == 1);
    CHECK(count_headers(response, "X-Perch-Username") == 1);
    CHECK(count_headers(response, "X-Perch-Email") == 1);
    CHECK(perch_headers(response) == 3);
    // No rotation: nothing is set, and the same cookie keeps working.
    CHECK(set_cookies(response).empty());
    CHECK(auth(app, session).status == 204);
}

TEST_CASE("HEAD /api/auth answers as GET does") {
    App app;
    const std::string session = registered_session(app);
    HttpResponse response = auth(app, session, "HEAD");
    CHECK(response.status == 204);
    CHECK(header(response, "X-Perch-User-Id") == twitter_id);
    CHECK(header(response, "X-Perch-Username") == "perch_tester");
    check_not_authenticated(auth(app, "", "HEAD"));
}

TEST_CASE("GET /api/auth is 401 not_authenticated without a signed-in account") {
    App app;
    SECTION("no cookie") { check_not_authenticated(auth(app, "")); }
    SECTION("a cookie that names no session") {
        check_not_authenticated(auth(app, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    }
    SECTION("a malformed cookie") { check_not_authenticated(auth(app, "not a session\r\nX-Perch-User-Id: 1")); }
    SECTION("an X identity that has not registered") { check_not_authenticated(auth(app, identity_session(app))); }
    SECTION("the browser's own X-Perch-User-Id is no credential") {
        HttpRequest r = request("GET", "/api/auth");
        r.headers.emplace("x-perch-user-id", twitter_id);
        r.headers.emplace("x-perch-username", "perch_tester");
        check_not_authenticated(app.handle(r));
    }
    SECTION("after sign-out") {
        const std::string session = registered_session(app);
        REQUIRE(auth(app, session).status == 204);
        REQUIRE(app.handle(post("/api/logout", "{}", session)).status == 204);
        check_not_authenticated(auth(app, session));
    }
}

TEST_CASE("GET /api/auth counts as use of the session: it refreshes the idle timeout") {
    App app;  // 30 minutes idle
    const std::string session = registered_session(app);
    app.clock.advance(std::chrono::minutes(20));
    REQUIRE(auth(app, session).status == 204);
    app.clock.advance(std::chrono::minutes(20));  // 40 minutes since sign-in, 20 since the last use
    REQUIRE(auth(app, session).status == 204);
    app.clock.advance(std::chrono::minutes(31));
    check_not_authenticated(auth(app, session));
}

TEST_CASE("GET /api/auth leaves out an email that is not printable ASCII") {
    App app;
    // The core accepts non-ASCII local parts (RFC 6531); a header cannot carry them as they are.
    const std::string session = registered_session(app, form("zoë@example.com"));
    HttpResponse response = auth(app, session);
    REQUIRE(response.status == 204);
    CHECK(header(response, "X-Perch-User-Id") == twitter_id);
    CHECK(header(response, "X-Perch-Username") == "perch_tester");
    CHECK(count_headers(response, "X-Perch-Email") == 0);
    CHECK(perch_headers(response) == 2);
}

TEST_CASE("GET /api/auth never lets a stored CR or LF into a header") {
    App app;
    SECTION("an email with a line break is left out") {
        const std::string session = stored_account_session(app, "perch_tester", "a@example.com\r\nX-Perch-User-Id: 1");
        HttpResponse response = auth(app, session);
        REQUIRE(response.status == 204);
        CHECK(header(response, "X-Perch-User-Id") == twitter_id);
        CHECK(count_headers(response, "X-Perch-User-Id") == 1);
        CHECK(count_headers(response, "X-Perch-Email") == 0);
        CHECK(perch_headers(response) == 2);
    }
    SECTION("an empty email is left out") {
        const std::string session = stored_account_session(app, "perch_tester", "");
        HttpResponse response = auth(app, session);
        REQUIRE(response.status == 204);
        CHECK(count_headers(response, "X-Perch-Email") == 0);
        CHECK(perch_headers(response) == 2);
    }
    SECTION("a username with a line break is refused, not passed on") {
        const std::string session = stored_account_session(app, "evil\r\nX-Perch-User-Id: 1", "a@example.com");
        HttpResponse response = auth(app, session);
        CHECK(response.status == 500);
        CHECK(error_code(response) == "internal");
        CHECK(perch_headers(response) == 0);
        CHECK(app.log_text.str().find("auth: a stored account") != std::string::npos);
    }
}

TEST_CASE("is_header_safe: non-empty printable ASCII only") {
    CHECK(is_header_safe("perch_tester"));
    CHECK(is_header_safe("a b~!"));
    CHECK_FALSE(is_header_safe(""));
    CHECK_FALSE(is_header_safe("a\rb"));
    CHECK_FALSE(is_header_safe("a\nb"));
    CHECK_FALSE(is_header_safe("a\tb"));
    CHECK_FALSE(is_header_safe(std::string("a\0b", 3)));
    CHECK_FALSE(is_header_safe("a\x7f"));
    CHECK_FALSE(is_header_safe("zo\xc3\xab"));
}
