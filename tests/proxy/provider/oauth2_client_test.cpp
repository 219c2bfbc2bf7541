#include <catch2/catch.hpp>

#include <string>

#include "provider/oauth2_client.h"
#include "provider/pkce.h"
#include "core/query.h"
#include "upstream_fakes.h"

using perch::OAuth2HttpClient;
using perch::OAuth2Tokens;
using perch::ProviderFailure;
using perch::OAuth2Settings;
using perch::VerifiedUser;
using perch::test::FakeTransport;
using perch::test::FixedClock;

namespace {

constexpr std::int64_t now = 1700000000;

OAuth2Settings config(const std::string& secret = "SUPERSECRETclient") {
    OAuth2Settings c;
    c.client_id = "cid";
    c.client_secret = secret;
    c.callback_url = "http://127.0.0.1:8080/signup/callback";
    c.x_api = "https://api.x.com";
    return c;
}

const char* const token_answer =
    R"({"token_type":"bearer","expires_in":7200,"access_token":"AT-1","scope":"tweet.read users.read","refresh_token":"RT-1"})";

std::string header(const perch::OutgoingRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) return value;
    }
    return {};
}

template <typename T>
const ProviderFailure& failure_of(const perch::ProviderResult<T>& result) {
    REQUIRE(!result.ok());
    return result.error();
}

}  // namespace

TEST_CASE("PKCE S256 matches RFC 7636 Appendix B") {
    CHECK(perch::code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("State and verifier are 43 base64url characters of fresh randomness") {
    perch::SecureRandom random;
    const std::string a = perch::make_state(random);
    const std::string b = perch::make_state(random);
    CHECK(a.size() == 43);
    CHECK(a != b);
    CHECK(perch::is_base64url_text(a));
    const std::string verifier = perch::make_code_verifier(random);
    CHECK(perch::is_code_verifier_text(verifier));
    CHECK_FALSE(perch::is_code_verifier_text(std::string(42, 'a')));
    CHECK_FALSE(perch::is_code_verifier_text(std::string(129, 'a')));
    CHECK(perch::is_code_verifier_text(std::string(128, '~')));
    CHECK_FALSE(perch::is_code_verifier_text(std::string(43, '+')));
}

TEST_CASE("The authorize URL carries exactly X's parameters, in order") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2Settings c = config();
    c.scopes = "tweet.read users.read";
    const OAuth2HttpClient client(c, transport, clock);
    CHECK(client.authorize_url("st", "ch") ==
          "https://x.com/i/oauth2/authorize?response_type=code&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080"
          "%2Fsignup%2Fcallback&scope=tweet.read%20users.read&state=st&code_challenge=ch&code_challenge_method=S256");
}

TEST_CASE("A confidential client exchanges the code with HTTP Basic and a form body") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    transport.answer(200, token_answer);
    auto result = client.exchange_code("the-code", "the-verifier");
    REQUIRE(result.ok());
    const OAuth2Tokens& tokens = result.value();
    CHECK(tokens.access_token == "AT-1");
    CHECK(tokens.refresh_token == "RT-1");
    CHECK(tokens.expires_in == 7200);
    CHECK(tokens.scope == "tweet.read users.read");
    REQUIRE(transport.requests.size() == 1);
    const auto& request = transport.requests[0];
    CHECK(request.method == "POST");
    CHECK(request.url == "https://api.x.com/2/oauth2/token");
    CHECK(request.content_type == "application/x-www-form-urlencoded");
    CHECK(request.body ==
          "grant_type=authorization_code&code=the-code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fsignup%2Fcallback"
          "&code_verifier=the-verifier");
    CHECK(header(request, "Authorization") == "Basic " + perch::base64_encode("cid:SUPERSECRETclient"));
}

TEST_CASE("A public client names itself in the body and sends no Authorization") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(""), transport, clock);
    transport.answer(200, R"({"token_type":"bearer","access_token":"AT"})");
    auto result = client.exchange_code("c", "v");
    REQUIRE(result.ok());
    CHECK(result.value().scope == "tweet.read users.read offline.access");  // none: as requested
    CHECK(result.value().refresh_token.empty());
    CHECK(transport.requests[0].body.substr(transport.requests[0].body.size() - 14) == "&client_id=cid");
    CHECK(header(transport.requests[0], "Authorization").empty());
}

TEST_CASE("The refresh grant asks for a new access token") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    transport.answer(200, token_answer);
    REQUIRE((client.refresh("RT-0")).ok());
    CHECK(transport.requests[0].body == "grant_type=refresh_token&refresh_token=RT-0");
}

TEST_CASE("Token endpoint refusals map to grant_refused, error, rate_limited and timeout") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    using Kind = ProviderFailure::Kind;
    // Realistic lengths: a message that repeats what was sent is withheld whole.
    const std::string code = "VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xR";
    const std::string verifier(43, 'v');

    transport.answer(400, R"({"error":"invalid_grant","error_description":"Value passed for the authorization code was invalid."})");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::grant_refused);
    transport.answer(400, R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::grant_refused);

    transport.answer(401, R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})");
    const ProviderFailure client_refused = failure_of(client.exchange_code(code, verifier));
    CHECK(client_refused.kind == Kind::error);
    CHECK(client_refused.message.find("check PERCH_CLIENT_ID and PERCH_CLIENT_SECRET") != std::string::npos);
    CHECK(client_refused.message.find("Missing valid authorization header") != std::string::npos);

    transport.answer(429, R"({"title":"Too Many Requests"})", {{"x-rate-limit-reset", std::to_string(now + 42)}});
    const ProviderFailure limited = failure_of(client.exchange_code(code, verifier));
    CHECK(limited.kind == Kind::rate_limited);
    CHECK(limited.retry_after_seconds == 42);

    transport.answer(503, "<html>down</html>");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::error);
    transport.answer(200, "not json");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::error);
    transport.answer(200, R"({"token_type":"mac","access_token":"AT"})");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::error);
    transport.answer(200, R"({"token_type":"bearer","access_token":"A T"})");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::error);
    transport.fail(perch::TransportFailure::timeout, "read timed out");
    CHECK(failure_of(client.exchange_code(code, verifier)).kind == Kind::timeout);
}

TEST_CASE("Failure messages never repeat the code, verifier or secret") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    transport.answer(400, R"({"error":"invalid_grant","error_description":"code the-code-123 is unknown"})");
    const ProviderFailure failure = failure_of(client.exchange_code("the-code-123", "verifier"));
    CHECK(failure.message.find("the-code-123") == std::string::npos);
    transport.answer(401, R"({"error":"invalid_client","error_description":"SUPERSECRETclient"})");
    CHECK(failure_of(client.exchange_code("c", "verifier")).message.find("SUPERSECRET") == std::string::npos);
}

TEST_CASE("users/me asks for the v2 fields with a Bearer token, confirmed_email only when granted") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    transport.answer(200, R"({"data":{"id":"2244994945","name":"X Dev","username":"XDevelopers"}})");
    auto result = client.users_me("AT-1", false);
    REQUIRE(result.ok());
    CHECK(result.value().user_id == "2244994945");
    CHECK(result.value().user["username"] == "XDevelopers");
    CHECK(transport.requests[0].method == "GET");
    CHECK(transport.requests[0].url == "https://api.x.com/2/users/me?user.fields=id,name,username,profile_image_url");
    CHECK(header(transport.requests[0], "Authorization") == "Bearer AT-1");

    transport.answer(200, R"({"data":{"id":"1","username":"a","confirmed_email":"a@example.com"}})");
    REQUIRE((client.users_me("AT-1", true)).ok());
    CHECK(transport.requests[1].url ==
          "https://api.x.com/2/users/me?user.fields=id,name,username,profile_image_url,confirmed_email");
}

TEST_CASE("users/me refusals and unusable answers are provider failures") {
    FakeTransport transport;
    FixedClock clock(now);
    OAuth2HttpClient client(config(), transport, clock);
    using Kind = ProviderFailure::Kind;
    transport.answer(403, R"({"title":"Forbidden","detail":"Missing required OAuth2 scopes: users.email","type":"about:blank","status":403})");
    const ProviderFailure forbidden = failure_of(client.users_me("AT", true));
    CHECK(forbidden.kind == Kind::error);
    CHECK(forbidden.message.find("Missing required OAuth2 scopes: users.email") != std::string::npos);
    transport.answer(200, R"({"errors":[{"title":"Not Found Error"}]})");
    CHECK(failure_of(client.users_me("AT", false)).kind == Kind::error);
    transport.answer(200, R"({"data":{"id":"12a","username":"a"}})");
    CHECK(failure_of(client.users_me("AT", false)).kind == Kind::error);
    transport.answer(200, R"({"data":{"id":"12"}})");
    CHECK(failure_of(client.users_me("AT", false)).kind == Kind::error);
    transport.answer(429, "", {{"x-rate-limit-reset", "soon"}});
    const ProviderFailure limited = failure_of(client.users_me("AT", false));
    CHECK(limited.kind == Kind::rate_limited);
    CHECK(limited.retry_after_seconds == 60);
}

TEST_CASE("has_scope matches whole scope words") {
    CHECK(perch::has_scope("tweet.read users.read", "users.read"));
    CHECK_FALSE(perch::has_scope("tweet.read users.readx", "users.read"));
    CHECK_FALSE(perch::has_scope("", "users.read"));
    CHECK_FALSE(perch::has_scope("tweet.read", "tweet"));
}
