// The account routes (register, me, logout) and the exchange's returning-user
// branch, through the Router with plain structs, a scripted Twitter and a real
// AccountStore on a temporary file.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "app_fixture.h"
#include "store/sqlite.h"

using namespace perch;
using namespace perch::testing;
using json = nlohmann::json;

namespace {

// What FakeTwitterClient's verify_credentials says about everyone.
const std::string twitter_id = "1234567890123456789";
const std::string original_picture = "https://pbs.twimg.com/profile_images/1/a.jpg";
// FakeClock's wall clock at offset 0.
const std::string fake_now = "2023-11-14T22:13:20Z";

json form(const std::string& username = "perch_tester") {
    return json{{"username", username},
                {"first_name", "Zoë"},
                {"last_name", "Tester"},
                {"email", "zoe@example.com"},
                {"timezone", "Europe/Berlin"}};
}

json expected_user(const std::string& created = fake_now, const std::string& signed_in = fake_now) {
    return json{{"twitter_id", twitter_id},     {"username", "perch_tester"},  {"first_name", "Zoë"},
                {"last_name", "Tester"},        {"email", "zoe@example.com"},  {"timezone", "Europe/Berlin"},
                {"picture", original_picture},  {"created_at", created},       {"last_sign_in_at", signed_in}};
}

// start -> consent -> exchange; returns the exchange's answer (the cookie it set is the session).
struct Exchanged {
    HttpResponse response;
    std::string session;
};

Exchanged sign_in_with_twitter(App& app) {
    Started s = start(app);
    HttpResponse response = exchange(app, s.cookie, "?oauth_token=" + s.token + "&oauth_verifier=good-verifier");
    REQUIRE(response.status == 200);
    const std::string rotated = cookie_session(response);
    REQUIRE(rotated.size() == 43);
    return Exchanged{response, rotated};
}

HttpResponse register_form(App& app, const std::string& session, const json& body) {
    return app.handle(post("/api/register", body.dump(), session));
}

HttpResponse me(App& app, const std::string& session) {
    HttpRequest r = request("GET", "/api/me");
    if (!session.empty()) r.headers.emplace("cookie", "perch_session=" + session);
    return app.handle(r);
}

HttpResponse logout(App& app, const std::string& session, const std::string& body = "{}") {
    return app.handle(post("/api/logout", body, session));
}

std::int64_t account_count(App& app) {
    auto count = app.accounts->count();
    REQUIRE(count.ok());
    return count.value();
}

// The session id of a new, registered and signed-in account.
std::string registered_session(App& app) {
    Exchanged exchanged = sign_in_with_twitter(app);
    HttpResponse created = register_form(app, exchanged.session, form());
    REQUIRE(created.status == 201);
    return cookie_session(created);
}

void check_not_authenticated(const HttpResponse& response) {
    CHECK(response.status == 401);
    CHECK(json::parse(response.body) ==
          json{{"error", {{"code", "not_authenticated"}, {"message", "Sign in with Twitter first."}}}});
}

// Holds SQLite's write lock on the app's database from another connection.
class WriteLock {
public:
    explicit WriteLock(const App& app)
        : db_((app.data.path() / "perch.db").string(), sqlite::Database::Mode::read_write) {
        db_.exec("BEGIN IMMEDIATE");
    }
    ~WriteLock() { db_.exec("ROLLBACK"); }

private:
    sqlite::Database db_;
};

}  // namespace

TEST_CASE("Register creates the account from the proxy's own Twitter identity: 201, signed in, session rotated") {
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    CHECK(json::parse(exchanged.response.body).at("status") == "new");

    HttpResponse created = register_form(app, exchanged.session, form());
    REQUIRE(created.status == 201);
    CHECK(created.content_type == "application/json");
    CHECK(json::parse(created.body) == json{{"user", expected_user()}});
    CHECK(header(created, "Cache-Control") == "no-store");

    // Registration rotates the session id again; the pre-registration id is dead.
    const std::string signed_in = cookie_session(created);
    CHECK(signed_in.size() == 43);
    CHECK(signed_in != exchanged.session);
    CHECK_FALSE(app.sessions->touch(exchanged.session).value());
    REQUIRE(app.sessions->signed_in_account(signed_in).value().has_value());

    // The stored row: the verified id and original-size picture, tokens sealed.
    auto stored = app.accounts->find_by_twitter_id(twitter_id);
    REQUIRE(stored.ok());
    REQUIRE(stored.value().has_value());
    const Account& account = *stored.value();
    CHECK(account.id == *app.sessions->signed_in_account(signed_in).value());
    CHECK(account.picture == original_picture);
    CHECK(account.sealed_access_token.find("at-rt1") == std::string::npos);
    CHECK(account.sealed_access_token_secret.find(access_secret_prefix) == std::string::npos);
    auto tokens = app.accounts->decrypt_tokens(account);
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token == "at-rt1");
    CHECK(tokens.value().secret == "AT-SECRET-rt1");
    CHECK(account_count(app) == 1);
    check_no_secrets(app.seen);
}

TEST_CASE("GET /api/me answers the signed-in account, and 401 otherwise") {
    App app;
    check_not_authenticated(me(app, ""));
    check_not_authenticated(me(app, std::string(43, 'A')));
    // A Twitter identity alone (not registered yet) is not an account.
    Exchanged exchanged = sign_in_with_twitter(app);
    check_not_authenticated(me(app, exchanged.session));

    HttpResponse created = register_form(app, exchanged.session, form());
    REQUIRE(created.status == 201);
    HttpResponse response = me(app, cookie_session(created));
    CHECK(response.status == 200);
    CHECK(json::parse(response.body) == json{{"user", expected_user()}});
    CHECK(header(response, "Cache-Control") == "no-store");
    CHECK(count_headers(response, "Set-Cookie") == 0);
    CHECK(app.handle(request("HEAD", "/api/me")).status == 401);
}

TEST_CASE("Register without a session (a sign-in only started is none) is 401") {
    App app;
    check_not_authenticated(register_form(app, "", form()));
    check_not_authenticated(register_form(app, std::string(43, 'Z'), form()));
    Started s = start(app);  // a flow is pending, but nobody has come back from Twitter
    check_not_authenticated(app.handle(post_with_cookies("/api/register", form().dump(), s.cookie)));
    // Even a body naming an identity changes nothing: the browser cannot claim one.
    json claimed = form();
    claimed["twitter_id"] = twitter_id;
    check_not_authenticated(app.handle(post_with_cookies("/api/register", claimed.dump(), s.cookie)));
    CHECK(account_count(app) == 0);
    CHECK(app.twitter.access_token_calls == 0);
}

TEST_CASE("Register takes exactly the five form fields: an id, token or picture from the browser is 400") {
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    struct Case {
        std::string body;
        std::string code;
    };
    for (const char* extra : {"twitter_id", "picture", "access_token", "access_token_secret", "user_id", "id"}) {
        json body = form();
        body[extra] = "1";
        HttpResponse response = register_form(app, exchanged.session, body);
        INFO(extra);
        CHECK(response.status == 400);
        CHECK(error_code(response) == "invalid_field");
        CHECK(json::parse(response.body).at("error").at("message") == "unknown field \"" + std::string(extra) + "\"");
    }
    json missing = form();
    missing.erase("timezone");
    json number = form();
    number["email"] = 5;
    for (const Case& c : {Case{"", "invalid_json"}, Case{"{", "invalid_json"}, Case{"[]", "invalid_json"},
                          Case{missing.dump(), "missing_field"}, Case{number.dump(), "invalid_field"}}) {
        HttpResponse response = app.handle(post("/api/register", c.body, exchanged.session));
        INFO(c.body);
        CHECK(response.status == 400);
        CHECK(error_code(response) == c.code);
    }
    CHECK(account_count(app) == 0);
    // None of that used up the identity: a correct body still registers.
    CHECK(register_form(app, exchanged.session, form()).status == 201);
}

TEST_CASE("Register validates with the core's rules: 422 invalid with every field's message") {
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    json body = form("no spaces allowed");
    body["first_name"] = " ";
    body["email"] = "zoe.example.com";
    body["timezone"] = "UTC+25:00";
    HttpResponse response = register_form(app, exchanged.session, body);
    CHECK(response.status == 422);
    CHECK(json::parse(response.body) ==
          json{{"error",
                {{"code", "invalid"},
                 {"message", "Some fields need correcting."},
                 {"fields",
                  {{"username", "Username may contain only letters, digits and underscores."},
                   {"first_name", "Enter your first name."},
                   {"email", "Email address must contain one @, like name@example.com."},
                   {"timezone", "Choose a time zone like Europe/Berlin, UTC or UTC+05:30."}}}}}});
    CHECK(account_count(app) == 0);
    CHECK_FALSE(app.sessions->signed_in_account(exchanged.session).value().has_value());
    CHECK(app.sessions->touch(exchanged.session).value());  // not rotated: nothing happened
}

TEST_CASE("Register refuses what looks blank or reorders text, Unicode domains and unknown zones") {
    // The same rules the page runs, through the route: 422 invalid with the
    // core's message per field, and nothing stored.
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    const std::string zero_width = "\xe2\x80\x8b";
    const std::string right_to_left_override = "\xe2\x80\xae";
    const std::string fullwidth_example =  // ｅｘａｍｐｌｅ
        "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85";
    const std::string invalid_timezone = "Choose a time zone like Europe/Berlin, UTC or UTC+05:30.";
    const std::string ascii_domain =
        "The part of the email address after the @ must be ASCII: use the xn-- form of a Unicode "
        "domain.";
    struct Case {
        json body;
        json fields;
    };
    const auto with = [](json body, const char* field, const std::string& value) {
        body[field] = value;
        return body;
    };
    json both = with(form(), "first_name", zero_width + "\xe3\x85\xa4");
    both["last_name"] = "Tester" + right_to_left_override;
    for (const Case& c : {
             Case{with(form(), "first_name", zero_width), {{"first_name", "Enter your first name."}}},
             Case{both,
                  {{"first_name", "Enter your first name."},
                   {"last_name", "Last name must not contain hidden text-direction characters."}}},
             Case{with(form(), "last_name", zero_width),
                  {{"last_name", "Last name must be empty or contain visible characters."}}},
             Case{with(form(), "email", "zoe@" + fullwidth_example + ".com"), {{"email", ascii_domain}}},
             Case{with(form(), "email", "zoe@exa" + zero_width + "mple.com"), {{"email", ascii_domain}}},
             Case{with(form(), "email", "zo" + zero_width + "e@example.com"),
                  {{"email", "The part of the email address before the @ must not contain invisible characters."}}},
             Case{with(form(), "timezone", "a/b/c/d/e/f/g"), {{"timezone", invalid_timezone}}},
             Case{with(form(), "timezone", "Mars/Olympus_Mons"), {{"timezone", invalid_timezone}}}}) {
        CAPTURE(c.body.dump());
        HttpResponse response = register_form(app, exchanged.session, c.body);
        CHECK(response.status == 422);
        CHECK(json::parse(response.body) == json{{"error",
                                                  {{"code", "invalid"},
                                                   {"message", "Some fields need correcting."},
                                                   {"fields", c.fields}}}});
    }
    CHECK(account_count(app) == 0);

    // What the core accepts the route stores as it came.
    json accepted = form();
    accepted["first_name"] = "\xd8\xb9\xd9\x84\xdb\x8c\xe2\x80\x8c\xd8\xa7\xda\xa9\xd8\xa8\xd8\xb1";  // ZWNJ inside
    accepted["email"] = "zoe@xn--bcher-kva.de";
    accepted["timezone"] = "Asia/Calcutta";
    HttpResponse created = register_form(app, exchanged.session, accepted);
    REQUIRE(created.status == 201);
    const json user = json::parse(created.body)["user"];
    CHECK(user["first_name"] == accepted["first_name"]);
    CHECK(user["email"] == "zoe@xn--bcher-kva.de");
    CHECK(user["timezone"] == "Asia/Calcutta");
}

TEST_CASE("A Twitter id that already has an account is 409 already_registered") {
    App app;
    Exchanged first = sign_in_with_twitter(app);
    Exchanged second = sign_in_with_twitter(app);  // another browser, before either registered
    CHECK(json::parse(second.response.body).at("status") == "new");

    HttpResponse created = register_form(app, first.session, form());
    REQUIRE(created.status == 201);
    HttpResponse again = register_form(app, second.session, form("other_name"));
    CHECK(again.status == 409);
    CHECK(json::parse(again.body) ==
          json{{"error",
                {{"code", "already_registered"},
                 {"message", "This Twitter account already has an account here. Sign in instead."}}}});
    // The signed-in session itself cannot register twice either.
    CHECK(error_code(register_form(app, cookie_session(created), form("third_name"))) == "already_registered");
    CHECK(account_count(app) == 1);
    check_not_authenticated(me(app, second.session));
}

TEST_CASE("A username another account has, in any case, is 409 username_taken") {
    App app;
    NewAccount other;
    other.twitter_id = "42";
    other.form = RegistrationForm{"Perch_Tester", "Other", "", "other@example.com", "UTC"};
    other.access_token = "other-token";
    other.access_token_secret = "other-secret";
    REQUIRE(app.accounts->register_account(other).ok());

    Exchanged exchanged = sign_in_with_twitter(app);
    for (const char* taken : {"Perch_Tester", "perch_tester", "PERCH_TESTER"}) {
        HttpResponse response = register_form(app, exchanged.session, form(taken));
        INFO(taken);
        CHECK(response.status == 409);
        CHECK(json::parse(response.body) ==
              json{{"error", {{"code", "username_taken"}, {"message", "This username is taken. Choose another."}}}});
    }
    CHECK(account_count(app) == 1);
    HttpResponse created = register_form(app, exchanged.session, form("perch_tester2"));
    CHECK(created.status == 201);
    CHECK(account_count(app) == 2);
}

TEST_CASE("A returning user's exchange answers signed_in, refreshes the stored tokens and signs a new session in") {
    App app;
    const std::string first_session = registered_session(app);
    CHECK(logout(app, first_session).status == 204);

    app.clock.advance(std::chrono::hours(2));
    Started s = start(app);
    HttpResponse response = exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=good-verifier");
    REQUIRE(response.status == 200);
    CHECK(json::parse(response.body) ==
          json{{"status", "signed_in"}, {"user", expected_user(fake_now, "2023-11-15T00:13:20Z")}});
    const std::string rotated = cookie_session(response);
    CHECK(rotated.size() == 43);
    CHECK(rotated != first_session);
    CHECK(app.sessions->signed_in_account(rotated).value().has_value());
    CHECK(me(app, rotated).status == 200);

    // Still one account, now holding this sign-in's tokens.
    CHECK(account_count(app) == 1);
    auto stored = app.accounts->find_by_twitter_id(twitter_id);
    REQUIRE(stored.ok());
    REQUIRE(stored.value().has_value());
    auto tokens = app.accounts->decrypt_tokens(*stored.value());
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token == "at-rt2");
    CHECK(tokens.value().secret == "AT-SECRET-rt2");
    CHECK(stored.value()->last_sign_in_at == "2023-11-15T00:13:20Z");
    check_no_secrets(app.seen);
}

TEST_CASE("Logout destroys the session and expires the cookie: 204, then 401") {
    App app;
    const std::string session = registered_session(app);
    HttpResponse response = logout(app, session);
    CHECK(response.status == 204);
    CHECK(response.body.empty());
    CHECK(response.content_type.empty());
    CHECK(header(response, "Set-Cookie") == "perch_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    CHECK(header(response, "Cache-Control") == "no-store");
    CHECK_FALSE(app.sessions->touch(session).value());
    check_not_authenticated(me(app, session));
    // Signing out twice, or without any session, is still a sign-out.
    CHECK(logout(app, session).status == 204);
    CHECK(logout(app, "", "").status == 204);
    CHECK(account_count(app) == 1);  // the account stays
}

TEST_CASE("Logout's cookie is the Secure __Host- cookie on an https origin") {
    App app([](ProxyConfig& config) {
        config.public_origin = "https://perch.example";
        config.secure_cookies = true;
    });
    HttpRequest r = post("/api/logout", "{}");
    r.headers.erase("origin");
    r.headers.emplace("origin", "https://perch.example");
    HttpResponse response = app.handle(r);
    CHECK(response.status == 204);
    CHECK(header(response, "Set-Cookie") == "__Host-perch_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
}

TEST_CASE("Logout and register are state-changing: a foreign Origin is 403 and changes nothing") {
    App app;
    const std::string session = registered_session(app);
    for (const char* path : {"/api/logout", "/api/register"}) {
        HttpRequest r = post(path, path == std::string("/api/logout") ? "{}" : form("someone_else").dump(), session);
        r.headers.erase("origin");
        r.headers.emplace("origin", "https://evil.example");
        HttpResponse response = app.handle(r);
        INFO(path);
        CHECK(response.status == 403);
        CHECK(error_code(response) == "forbidden_origin");
        HttpRequest plain = post(path, "{}", session);
        plain.headers.erase("content-type");
        plain.headers.emplace("content-type", "text/plain");
        CHECK(app.handle(plain).status == 415);
    }
    CHECK(me(app, session).status == 200);
    CHECK(account_count(app) == 1);
    CHECK(logout(app, session, R"({"everywhere":true})").status == 400);
    CHECK(me(app, session).status == 200);
    CHECK(app.handle(request("GET", "/api/logout")).status == 405);
    CHECK(app.handle(request("GET", "/api/register")).status == 405);
    CHECK(header(app.handle(post("/api/me", "{}")), "Allow") == "GET, HEAD, DELETE");
}

TEST_CASE("A storage failure is 500 internal: the detail goes to the log, never to the browser") {
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    HttpResponse response;
    {
        WriteLock lock(app);  // another process holds the database past the busy timeout
        response = register_form(app, exchanged.session, form());
    }
    CHECK(response.status == 500);
    CHECK(json::parse(response.body) ==
          json{{"error",
                {{"code", "internal"}, {"message", "Your account could not be reached just now. Please try again."}}}});
    CHECK(app.log_text.str().find("account store failed at register (storage): register account: ") !=
          std::string::npos);
    CHECK(account_count(app) == 0);
    CHECK_FALSE(app.sessions->signed_in_account(exchanged.session).value().has_value());
    // Once the lock is gone the same session registers.
    CHECK(register_form(app, exchanged.session, form()).status == 201);

    // A returning user's token refresh fails the same way, without signing in.
    const std::size_t sessions = app.sessions->size().value();
    Started s = start(app);
    {
        WriteLock lock(app);
        response = exchange(app, s.cookie, "oauth_token=" + s.token + "&oauth_verifier=good-verifier");
    }
    CHECK(response.status == 500);
    CHECK(error_code(response) == "internal");
    CHECK(app.log_text.str().find("account store failed at exchange (storage): sign in account: ") != std::string::npos);
    CHECK(cookie_session(response).empty());
    CHECK(app.sessions->size().value() == sessions);
    check_no_secrets(app.seen);
}

TEST_CASE("A user object has exactly the account's public fields: never a token or secret") {
    App app;
    const std::string session = registered_session(app);
    const json user = json::parse(me(app, session).body).at("user");
    std::set<std::string> keys;
    for (const auto& item : user.items()) keys.insert(item.key());
    CHECK(keys == std::set<std::string>{"twitter_id", "username", "first_name", "last_name", "email", "timezone",
                                        "picture", "created_at", "last_sign_in_at"});
    auto stored = app.accounts->find_by_twitter_id(twitter_id);
    REQUIRE(stored.ok());
    REQUIRE(stored.value().has_value());
    for (const HttpResponse& response : app.seen) {
        // Neither the plaintext tokens (check_no_secrets) nor the sealed bytes.
        CHECK(response.body.find(stored.value()->sealed_access_token) == std::string::npos);
        CHECK(response.body.find(stored.value()->sealed_access_token_secret) == std::string::npos);
    }
    check_no_secrets(app.seen);
}

TEST_CASE("A profile the core cannot map is registered without a picture, and the log says why") {
    App app;
    Exchanged exchanged = sign_in_with_twitter(app);
    // Replace the identity's user object with one lacking "name".
    auto identity = app.sessions->identity(exchanged.session).value();
    REQUIRE(identity.has_value());
    identity->user.erase("name");
    const auto rotated = app.sessions->create(NewSession{*identity, std::nullopt, {}}).value();
    REQUIRE(rotated.has_value());
    HttpResponse created = register_form(app, *rotated, form());
    REQUIRE(created.status == 201);
    CHECK(json::parse(created.body).at("user").at("picture") == "");
    CHECK(app.log_text.str().find("register: the verified Twitter profile could not be mapped (missing_field)") !=
          std::string::npos);
}
