// DELETE /api/me through the Router with plain structs, a scripted Twitter and
// a real AccountStore: the account goes, with its tokens, and so does the session.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "app_fixture.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

namespace {

// What FakeTwitterClient's verify_credentials says about everyone.
const std::string twitter_id = "1234567890123456789";

const std::string form = json{{"username", "perch_tester"}, {"first_name", "Zoë"}, {"last_name", "Tester"},
                              {"email", "zoe@example.com"}, {"timezone", "Europe/Berlin"}}
                             .dump();

// A browser that signed in with X and registered: its jar holds a signed-in session.
void sign_up(Browser& browser) {
    REQUIRE(browser.approve(browser.start()).status == 200);
    REQUIRE(browser.post("/api/register", form).status == 201);
}

HttpRequest delete_me() {
    HttpRequest r = request("DELETE", "/api/me");
    r.headers.emplace("origin", origin);
    return r;
}

}  // namespace

TEST_CASE("DELETE /api/me deletes the account and its tokens, ends the session and clears the cookie") {
    App app;
    Browser browser(app);
    sign_up(browser);
    const std::string session = browser.session();
    REQUIRE(app.accounts->count().value() == 1);

    HttpResponse deleted = browser.send(delete_me());
    CHECK(deleted.status == 204);
    CHECK(deleted.body.empty());
    CHECK(header(deleted, "Cache-Control") == "no-store");
    CHECK(set_cookie_value(deleted, "perch_session") == std::optional<std::string>(""));
    CHECK(header(deleted, "Set-Cookie").find("Max-Age=0") != std::string::npos);

    CHECK(app.accounts->count().value() == 0);
    CHECK_FALSE(app.accounts->find_by_twitter_id(twitter_id).value().has_value());
    CHECK(app.accounts->tokens_of(twitter_id).error().kind == AccountErrorKind::not_found);
    // The session is gone from the store, not only from the browser.
    CHECK_FALSE(app.sessions->signed_in_account(session).value().has_value());
    HttpRequest me = request("GET", "/api/me");
    me.headers.emplace("cookie", "perch_session=" + session);
    HttpResponse after = app.handle(me);
    CHECK(after.status == 401);
    CHECK(error_code(after) == "not_authenticated");
    check_no_secrets(app.seen);
}

TEST_CASE("DELETE /api/me with an empty JSON body is the same as without one") {
    App app;
    Browser browser(app);
    sign_up(browser);
    HttpRequest r = delete_me();
    r.headers.emplace("content-type", "application/json");
    r.body = "{}";
    CHECK(browser.send(r).status == 204);
    CHECK(app.accounts->count().value() == 0);
}

TEST_CASE("DELETE /api/me is 401 not_authenticated without an account, and deletes nothing") {
    App app;
    // Someone else's account, which nothing below may touch.
    RegistrationForm fields{"someone", "Some", "One", "someone@example.com", "Europe/Berlin"};
    REQUIRE(app.accounts->register_account(NewAccount{"999", fields, "", "token", "secret", std::nullopt}).ok());

    HttpResponse no_cookie = app.handle(delete_me());
    CHECK(no_cookie.status == 401);
    CHECK(error_code(no_cookie) == "not_authenticated");

    HttpRequest unknown = delete_me();
    unknown.headers.emplace("cookie", "perch_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    CHECK(app.handle(unknown).status == 401);

    // Signed in with X but not registered: no account to delete.
    Browser visitor(app);
    REQUIRE(visitor.approve(visitor.start()).status == 200);
    HttpResponse identity_only = visitor.send(delete_me());
    CHECK(identity_only.status == 401);
    CHECK(error_code(identity_only) == "not_authenticated");
    CHECK(app.accounts->count().value() == 1);
}

TEST_CASE("DELETE /api/me follows the Origin rules of every state-changing route") {
    App app;
    Browser browser(app);
    sign_up(browser);

    HttpRequest foreign = request("DELETE", "/api/me");
    foreign.headers.emplace("origin", "https://evil.example");
    HttpResponse refused = browser.send(foreign);
    CHECK(refused.status == 403);
    CHECK(error_code(refused) == "forbidden_origin");

    HttpRequest no_origin = request("DELETE", "/api/me");  // neither Origin nor Sec-Fetch-Site
    CHECK(browser.send(no_origin).status == 403);

    HttpRequest cross_site = request("DELETE", "/api/me");
    cross_site.headers.emplace("sec-fetch-site", "cross-site");
    CHECK(browser.send(cross_site).status == 403);

    // A body must still be JSON, and only {} at that.
    HttpRequest form_body = delete_me();
    form_body.headers.emplace("content-type", "application/x-www-form-urlencoded");
    form_body.body = "a=1";
    CHECK(browser.send(form_body).status == 415);
    // A body the server parsed away (what a multipart form leaves) is no bodiless DELETE;
    // an empty body labelled text/plain (fetch's label for "") is.
    HttpRequest multipart = delete_me();
    multipart.headers.emplace("content-type", "multipart/form-data; boundary=x");
    multipart.headers.emplace("content-length", "40");
    CHECK(browser.send(multipart).status == 415);
    HttpRequest extra = delete_me();
    extra.headers.emplace("content-type", "application/json");
    extra.body = R"({"confirm":true})";
    CHECK(browser.send(extra).status == 400);

    CHECK(app.accounts->count().value() == 1);
    HttpRequest same_origin = request("DELETE", "/api/me");
    same_origin.headers.emplace("sec-fetch-site", "same-origin");
    same_origin.headers.emplace("content-type", "text/plain;charset=UTF-8");
    same_origin.headers.emplace("content-length", "0");
    CHECK(browser.send(same_origin).status == 204);
    CHECK(app.accounts->count().value() == 0);
}

TEST_CASE("After DELETE /api/me the same X user's next sign-in is a new sign-up with a new account id") {
    App app;
    Browser first(app);
    sign_up(first);
    const std::int64_t old_id = app.accounts->find_by_twitter_id(twitter_id).value()->id;
    // A second browser signed in to the same account keeps its cookie.
    Browser other(app);
    HttpResponse returning = other.approve(other.start());
    REQUIRE(returning.status == 200);
    REQUIRE(json::parse(returning.body).at("status") == "signed_in");

    REQUIRE(first.send(delete_me()).status == 204);

    Browser again(app);
    HttpResponse exchanged = again.approve(again.start());
    REQUIRE(exchanged.status == 200);
    CHECK(json::parse(exchanged.body).at("status") == "new");
    REQUIRE(again.post("/api/register", form).status == 201);
    const std::int64_t new_id = app.accounts->find_by_twitter_id(twitter_id).value()->id;
    CHECK(new_id > old_id);

    // The other browser's session named the deleted account: it is never the new one's.
    HttpResponse stale = other.send(request("GET", "/api/me"));
    CHECK(stale.status == 401);
    CHECK(other.send(delete_me()).status == 401);
    CHECK(app.accounts->count().value() == 1);
}
