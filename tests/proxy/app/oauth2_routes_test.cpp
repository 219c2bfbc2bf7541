// The OAuth 2.0 start and exchange routes without sockets: the real router,
// session store, flow seal and account store, a scripted X and a fake clock.
#include <catch2/catch.hpp>

#include <deque>
#include <string>

#include "app_fixture.h"
#include "provider/oauth2_client.h"
#include "provider/pkce.h"
#include "core/query.h"

namespace {

using perch::HttpResponse;
using perch::OAuth2Tokens;
using perch::ProviderFailure;
using perch::VerifiedUser;
using namespace perch::testing;

constexpr const char* good_code = "good-code";

// Scripted X: the code "good-code" with the verifier whose challenge the
// authorize URL carried gives tokens; users_me answers the v2 user.
class ScriptedOAuth2 final : public perch::OAuth2Client {
public:
    std::string authorize_url(std::string_view state, std::string_view challenge) const override {
        challenges_.push_back(std::string(challenge));
        return "https://x.com/i/oauth2/authorize?state=" + std::string(state) + "&code_challenge=" + std::string(challenge);
    }
    perch::ProviderResult<OAuth2Tokens> exchange_code(std::string_view code, std::string_view verifier) override {
        ++exchanges;
        if (!failures.empty()) {
            ProviderFailure next = failures.front();
            failures.pop_front();
            return next;
        }
        const bool known = std::find(challenges_.begin(), challenges_.end(), perch::code_challenge_s256(verifier)) !=
                           challenges_.end();
        if (code != good_code || !known) return ProviderFailure{ProviderFailure::Kind::grant_refused, "invalid_request"};
        return OAuth2Tokens{"ACCESS-TOKEN-x9", "REFRESH-TOKEN-x9", 7200, scope};
    }
    perch::ProviderResult<OAuth2Tokens> refresh(std::string_view) override {
        return ProviderFailure{ProviderFailure::Kind::error, "not scripted"};
    }
    perch::ProviderResult<VerifiedUser> users_me(std::string_view access_token, bool with_email) override {
        ++users_me_calls;
        last_with_email = with_email;
        CHECK(access_token == "ACCESS-TOKEN-x9");
        nlohmann::json user{{"id", "2244994945"}, {"name", "X Dev"}, {"username", "XDevelopers"}};
        if (with_email) user["confirmed_email"] = "dev@example.com";
        return VerifiedUser{user, "2244994945"};
    }

    std::string scope = "tweet.read users.read offline.access";
    std::deque<ProviderFailure> failures;
    int exchanges = 0;
    int users_me_calls = 0;
    bool last_with_email = false;

private:
    mutable std::vector<std::string> challenges_;
};

struct OAuth2App {
    OAuth2App() : app([](perch::ProxyConfig& config) { config.protocol = perch::Protocol::oauth2; }) {
        perch::AppContext context = app.context();
        context.oauth2 = &x;
        app.router = std::make_unique<perch::Router>(context, perch::api_routes());
    }
    ScriptedOAuth2 x;
    App app;
};

std::string start_state(Browser& browser) {
    HttpResponse response = browser.post("/api/twitter/start");
    REQUIRE(response.status == 200);
    const auto body = json::parse(response.body);
    CHECK(body.size() == 2);
    return body.at("state").get<std::string>();
}

}  // namespace

TEST_CASE("OAuth 2.0 start: authorize_url and state, the verifier only sealed in the flow cookie") {
    OAuth2App fixture;
    Browser browser(fixture.app);
    const std::string state = start_state(browser);
    CHECK(state.size() == 43);
    REQUIRE(browser.flow_cookies().size() == 1);
    CHECK(fixture.x.exchanges == 0);
    const std::string second = start_state(browser);
    CHECK(second != state);
    CHECK(browser.flow_cookies().size() == 2);
}

TEST_CASE("OAuth 2.0 exchange: a new person, then replayed; the grant goes to the session, not the answer") {
    OAuth2App fixture;
    Browser browser(fixture.app);
    const std::string state = start_state(browser);
    const HttpResponse done = browser.exchange("?state=" + state + "&code=" + good_code);
    REQUIRE(done.status == 200);
    const auto body = json::parse(done.body);
    CHECK(body.at("status") == "new");
    CHECK(body.at("twitter_user").at("username") == "XDevelopers");
    CHECK_FALSE(fixture.x.last_with_email);
    CHECK(browser.flow_cookies().empty());
    CHECK(error_code(browser.exchange("?state=" + state + "&code=" + good_code)) == "replayed");
    CHECK(fixture.x.exchanges == 1);
    for (const HttpResponse& response : fixture.app.seen) {
        CHECK(response.body.find("ACCESS-TOKEN") == std::string::npos);
        CHECK(response.body.find("REFRESH-TOKEN") == std::string::npos);
    }
    CHECK(fixture.app.log_text.str().find("TOKEN-x9") == std::string::npos);

    // Registering stores the grant; a returning sign-in replaces it.
    REQUIRE(browser.post("/api/register", R"({"username":"xdev","first_name":"X","last_name":"Dev","email":"a@b.co","timezone":"UTC"})")
                .status == 201);
    CHECK(fixture.app.accounts->oauth2_grant_of("2244994945").value().refresh_token == "REFRESH-TOKEN-x9");
    Browser again(fixture.app);
    const HttpResponse signed_in = again.exchange("?state=" + start_state(again) + "&code=" + good_code);
    REQUIRE(signed_in.status == 200);
    CHECK(json::parse(signed_in.body).at("status") == "signed_in");
}

TEST_CASE("OAuth 2.0 exchange: an expired flow is 410 and X is not asked") {
    OAuth2App fixture;
    Browser browser(fixture.app);
    const std::string state = start_state(browser);
    fixture.app.clock.advance(fixture.app.config.flow_ttl);
    const HttpResponse late = browser.exchange("?state=" + state + "&code=" + good_code);
    CHECK(late.status == 410);
    CHECK(error_code(late) == "expired");
    CHECK(fixture.x.exchanges == 0);
}

TEST_CASE("OAuth 2.0 exchange: callback outcomes in the core's order") {
    OAuth2App fixture;
    Browser browser(fixture.app);
    const std::string state = start_state(browser);
    CHECK(error_code(Browser(fixture.app).exchange("?state=" + state + "&code=c")) == "no_session");
    CHECK(error_code(Browser(fixture.app).exchange("?error=access_denied")) == "denied");
    CHECK(error_code(Browser(fixture.app).exchange("?state=a&state=b")) == "malformed");
    CHECK(error_code(browser.exchange("?state=" + state)) == "missing_params");
    CHECK(error_code(browser.exchange("?state=x" + state + "&code=c")) == "token_mismatch");
    CHECK(error_code(browser.exchange("?state=" + std::string(501, 's') + "&code=c")) == "malformed");
    CHECK(fixture.x.exchanges == 0);
    const HttpResponse refused = browser.exchange("?state=" + state + "&error=invalid_scope&error_description=nope");
    CHECK(refused.status == 400);
    CHECK(error_code(refused) == "provider_refused");
    CHECK(refused.body.find("nope") == std::string::npos);
    CHECK(fixture.app.log_text.str().find("error=invalid_scope error_description=nope") != std::string::npos);
    CHECK(browser.flow_cookies().empty());
}

TEST_CASE("OAuth 2.0 exchange: X's refusals map to grant_refused, provider_error, 503 with Retry-After, 504") {
    OAuth2App fixture;
    using Kind = ProviderFailure::Kind;
    struct Case {
        ProviderFailure failure;
        int status;
        const char* code;
    };
    ProviderFailure limited{Kind::rate_limited, "429"};
    limited.retry_after_seconds = 42;
    for (const Case& c : {Case{{Kind::grant_refused, "x"}, 400, "grant_refused"},
                          Case{{Kind::error, "x"}, 502, "provider_error"}, Case{limited, 503, "provider_rate_limited"},
                          Case{{Kind::timeout, "x"}, 504, "provider_timeout"}}) {
        Browser browser(fixture.app);
        const std::string state = start_state(browser);
        fixture.x.failures.push_back(c.failure);
        const HttpResponse answer = browser.exchange("?state=" + state + "&code=" + good_code);
        CHECK(answer.status == c.status);
        CHECK(error_code(answer) == c.code);
        if (c.status == 503) CHECK(header(answer, "Retry-After") == "42");
    }
    // A code with the wrong verifier (another flow's) is what X refuses too.
    Browser browser(fixture.app);
    const std::string state = start_state(browser);
    CHECK(error_code(browser.exchange("?state=" + state + "&code=other-code")) == "grant_refused");
}

TEST_CASE("OAuth 2.0 exchange: a grant without users.read is provider_error; users.email asks for the email") {
    OAuth2App fixture;
    fixture.x.scope = "tweet.read offline.access";
    Browser browser(fixture.app);
    CHECK(error_code(browser.exchange("?state=" + start_state(browser) + "&code=" + good_code)) == "provider_error");
    CHECK(fixture.x.users_me_calls == 0);
    CHECK(fixture.app.log_text.str().find("needs tweet.read and users.read") != std::string::npos);

    fixture.x.scope = "tweet.read users.read users.email";
    Browser other(fixture.app);
    const HttpResponse done = other.exchange("?state=" + start_state(other) + "&code=" + good_code);
    REQUIRE(done.status == 200);
    CHECK(fixture.x.last_with_email);
    CHECK(json::parse(done.body).at("twitter_user").at("confirmed_email") == "dev@example.com");
}
