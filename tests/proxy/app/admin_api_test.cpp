// The admin listener's routes without sockets: the bearer, the account
// lookup, both protocols' credentials, renewing an expiring OAuth 2.0 grant
// once for many concurrent callers, and X refusing the renewal.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/admin_api.h"
#include "support/account_test_support.h"

using namespace perch;

namespace {

constexpr const char* admin_token = "admin-token-for-tests-0123456789";

// X's token endpoint: each refresh answers a new pair, or refuses; a gate
// holds the answer until the test opens it, so callers pile up meanwhile.
class FakeOAuth2Client final : public OAuth2Client {
public:
    std::string authorize_url(std::string_view, std::string_view) const override { return {}; }
    ProviderResult<OAuth2Tokens> exchange_code(std::string_view, std::string_view) override {
        return ProviderFailure{ProviderFailure::Kind::error, "unused"};
    }
    ProviderResult<VerifiedUser> users_me(std::string_view, bool) override {
        return ProviderFailure{ProviderFailure::Kind::error, "unused"};
    }
    ProviderResult<OAuth2Tokens> refresh(std::string_view refresh_token) override {
        std::unique_lock<std::mutex> lock(mutex);
        ++calls;
        entered.notify_all();
        opened.wait(lock, [this] { return open; });
        if (refuse) return ProviderFailure{ProviderFailure::Kind::grant_refused, "X answered invalid_grant"};
        seen.emplace_back(refresh_token);
        const std::string n = std::to_string(calls);
        return OAuth2Tokens{"access-" + n, "refresh-" + n, 7200, "users.read"};
    }
    void wait_for_call() {
        std::unique_lock<std::mutex> lock(mutex);
        entered.wait(lock, [this] { return calls > 0; });
    }
    void let_through() {
        std::lock_guard<std::mutex> lock(mutex);
        open = true;
        opened.notify_all();
    }

    std::mutex mutex;
    std::condition_variable entered;
    std::condition_variable opened;
    bool open = true;
    bool refuse = false;
    int calls = 0;
    std::vector<std::string> seen;
};

struct Admin {
    Admin() : store(accounts.open()), api(admin_token, *store, &x, accounts.clock, nullptr) {}

    void oauth2_account(const std::string& id, std::int64_t expires_at, std::string refresh = "refresh-0") {
        NewAccount account = test::new_account(id, "user" + id);
        account.access_token.clear();
        account.access_token_secret.clear();
        account.oauth2 = OAuth2Grant{"access-0", std::move(refresh), expires_at};
        REQUIRE(store->register_account(account).ok());
    }
    HttpResponse get(const std::string& path, const std::string& authorization = std::string("Bearer ") + admin_token) {
        HttpRequest request;
        request.method = "GET";
        request.path = path;
        if (!authorization.empty()) request.headers.emplace("authorization", authorization);
        return api.handle(request);
    }

    test::AccountFixture accounts;
    std::unique_ptr<AccountStore> store;
    FakeOAuth2Client x;
    AdminApi api;
};

std::string error_code(const HttpResponse& response) {
    return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
}

bool has_header(const HttpResponse& response, const std::string& name, const std::string& value) {
    for (const auto& header : response.headers) {
        if (header.first == name && header.second == value) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("Admin: every request needs the exact bearer token, before anything else is told") {
    Admin admin;
    REQUIRE(admin.store->register_account(test::new_account("42", "ada")).ok());
    for (const std::string& authorization :
         {std::string(), std::string("Bearer"), std::string("Bearer "), std::string("Basic ") + admin_token,
          std::string("Bearer ") + admin_token + "x", std::string("Bearer admin-token-for-tests-012345678"),
          std::string("Bearer  ") + admin_token}) {
        for (const char* path : {"/v1/accounts/42/credentials", "/v1/accounts/1/credentials", "/nothing"}) {
            const HttpResponse response = admin.get(path, authorization);
            INFO(authorization << " " << path);
            CHECK(response.status == 401);
            CHECK(error_code(response) == "not_authenticated");
            CHECK(has_header(response, "WWW-Authenticate", "Bearer"));
            CHECK(response.body.find("Token") == std::string::npos);
        }
    }
    // The scheme is case-insensitive (RFC 6750 / RFC 9110).
    CHECK(admin.get("/v1/accounts/42/credentials", std::string("bearer ") + admin_token).status == 200);

    HttpRequest twice;
    twice.method = "GET";
    twice.path = "/v1/accounts/42/credentials";
    twice.headers.emplace("authorization", std::string("Bearer ") + admin_token);
    twice.headers.emplace("authorization", "Bearer other");
    CHECK(admin.api.handle(twice).status == 401);
}

TEST_CASE("Admin: unknown accounts and routes are 404 JSON; other methods 405") {
    Admin admin;
    const HttpResponse unknown = admin.get("/v1/accounts/1234/credentials");
    CHECK(unknown.status == 404);
    CHECK(error_code(unknown) == "not_found");
    CHECK(has_header(unknown, "Cache-Control", "no-store"));
    for (const char* path : {"/", "/v1/accounts//credentials", "/v1/accounts/12a/credentials",
                             "/v1/accounts/12/credentials/", "/v1/accounts/12/tokens", "/metrics",
                             "/v1/accounts/../credentials"}) {
        INFO(path);
        CHECK(admin.get(path).status == 404);
    }
    CHECK(credentials_path_id("/v1/accounts/" + std::string(64, '9') + "/credentials") == std::string(64, '9'));
    CHECK(credentials_path_id("/v1/accounts/" + std::string(65, '9') + "/credentials").empty());

    HttpRequest post;
    post.method = "POST";
    post.path = "/v1/accounts/1/credentials";
    post.headers.emplace("authorization", std::string("Bearer ") + admin_token);
    const HttpResponse refused = admin.api.handle(post);
    CHECK(refused.status == 405);
    CHECK(has_header(refused, "Allow", "GET, HEAD"));
}

TEST_CASE("Admin: an OAuth 1.0a account's token and secret") {
    Admin admin;
    REQUIRE(admin.store->register_account(test::new_account("42", "ada")).ok());
    const HttpResponse response = admin.get("/v1/accounts/42/credentials");
    REQUIRE(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(nlohmann::json::parse(response.body) ==
          nlohmann::json{{"protocol", "oauth1"},
                         {"token", "42-TokenPlaintextMarker-ada"},
                         {"token_secret", "SecretPlaintextMarker-ada"}});
    CHECK(has_header(response, "Cache-Control", "no-store"));
}

TEST_CASE("Admin: an OAuth 2.0 token with more than 60 s left is given as stored, without asking X") {
    Admin admin;
    const std::int64_t now = admin.accounts.clock.now;
    admin.oauth2_account("7", now + 61);
    const HttpResponse response = admin.get("/v1/accounts/7/credentials");
    REQUIRE(response.status == 200);
    CHECK(nlohmann::json::parse(response.body) ==
          nlohmann::json{{"protocol", "oauth2"}, {"access_token", "access-0"}, {"expires_at", format_rfc3339_utc(now + 61)}});
    CHECK(admin.x.calls == 0);

    admin.oauth2_account("8", 0);  // X gave no lifetime: nothing to renew by
    CHECK(nlohmann::json::parse(admin.get("/v1/accounts/8/credentials").body).at("expires_at").is_null());
    CHECK(admin.x.calls == 0);
}

TEST_CASE("Admin: a token with 60 s or less left is renewed first, the new pair stored before it is given") {
    Admin admin;
    const std::int64_t now = admin.accounts.clock.now;
    admin.oauth2_account("7", now + 60);
    const HttpResponse response = admin.get("/v1/accounts/7/credentials");
    REQUIRE(response.status == 200);
    CHECK(nlohmann::json::parse(response.body) ==
          nlohmann::json{{"protocol", "oauth2"}, {"access_token", "access-1"}, {"expires_at", "2024-05-01T14:34:56Z"}});
    CHECK(admin.x.seen == std::vector<std::string>{"refresh-0"});
    const auto stored = admin.store->oauth2_grant_of("7");
    REQUIRE(stored.ok());
    CHECK(stored.value().access_token == "access-1");
    CHECK(stored.value().refresh_token == "refresh-1");
    CHECK(stored.value().expires_at == now + 7200);
    // Fresh now: the next request does not ask X again.
    CHECK(nlohmann::json::parse(admin.get("/v1/accounts/7/credentials").body).at("access_token") == "access-1");
    CHECK(admin.x.calls == 1);
}

TEST_CASE("Admin: concurrent requests for one expired account share exactly one refresh") {
    Admin admin;
    admin.oauth2_account("7", admin.accounts.clock.now - 1);
    admin.x.open = false;
    std::vector<std::thread> callers;
    std::vector<HttpResponse> answers(8);
    for (std::size_t i = 0; i < answers.size(); ++i) {
        callers.emplace_back([&admin, &answers, i] { answers[i] = admin.get("/v1/accounts/7/credentials"); });
    }
    admin.x.wait_for_call();  // one caller is at X; the others wait for it or find the new grant
    admin.x.let_through();
    for (auto& caller : callers) caller.join();
    CHECK(admin.x.calls == 1);
    for (const HttpResponse& answer : answers) {
        REQUIRE(answer.status == 200);
        CHECK(nlohmann::json::parse(answer.body).at("access_token") == "access-1");
    }
}

TEST_CASE("Admin: X refusing the refresh, or no refresh token, is 409 reauthorization_required") {
    Admin admin;
    admin.oauth2_account("7", admin.accounts.clock.now - 1);
    admin.x.refuse = true;
    const HttpResponse refused = admin.get("/v1/accounts/7/credentials");
    CHECK(refused.status == 409);
    CHECK(error_code(refused) == "reauthorization_required");
    CHECK(admin.store->oauth2_grant_of("7").value().refresh_token == "refresh-0");

    admin.oauth2_account("8", admin.accounts.clock.now - 1, "");
    const HttpResponse none = admin.get("/v1/accounts/8/credentials");
    CHECK(none.status == 409);
    CHECK(error_code(none) == "reauthorization_required");
    CHECK(admin.x.calls == 1);
}

TEST_CASE("Admin: without an OAuth 2.0 client an expired grant cannot be renewed: 409") {
    test::AccountFixture accounts;
    auto store = accounts.open();
    AdminApi api(admin_token, *store, nullptr, accounts.clock, nullptr);
    NewAccount account = test::new_account("7", "ada");
    account.access_token.clear();
    account.access_token_secret.clear();
    account.oauth2 = OAuth2Grant{"access-0", "refresh-0", accounts.clock.now - 1};
    REQUIRE(store->register_account(account).ok());
    HttpRequest request;
    request.method = "GET";
    request.path = "/v1/accounts/7/credentials";
    request.headers.emplace("authorization", std::string("Bearer ") + admin_token);
    CHECK(api.handle(request).status == 409);
}
