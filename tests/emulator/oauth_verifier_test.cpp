#include <catch2/catch.hpp>

#include "emulator/oauth_verifier.h"
#include "test_support.h"

using namespace perch::emulator;
using perch::Params;
using perch::emulator::testing::FakeClock;
using perch::emulator::testing::Signer;

namespace {

constexpr const char* url = "http://127.0.0.1:8081/oauth/request_token";

struct Fixture {
    FakeClock clock;
    NonceCache nonces{300, 1000};
    VerifierSettings settings{"ck-test", "cs-test", 300, true, false};
    Signer signer;

    std::variant<VerifiedRequest, OAuthFailure> verify(const OAuthRequest& request,
                                                       TokenKind kind = TokenKind::none,
                                                       std::string token_secret = {}) {
        OAuthVerifier verifier(settings, clock, nonces);
        return verifier.verify(request, kind, [token_secret](const std::string& token) -> TokenResult<std::string> {
            if (token == "known-token") return token_secret;
            return TokenProblem::unknown;
        });
    }
};

OAuthRequest post(std::string authorization, std::string query = {}, std::string body = {},
                  std::string content_type = {}) {
    OAuthRequest request;
    request.method = "POST";
    request.url = url;
    request.query = std::move(query);
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    request.authorization = std::move(authorization);
    request.authorization_count = request.authorization.empty() ? 0 : 1;
    return request;
}

OAuthFailure failure_of(const std::variant<VerifiedRequest, OAuthFailure>& result) {
    REQUIRE(std::holds_alternative<OAuthFailure>(result));
    return std::get<OAuthFailure>(result);
}

}  // namespace

TEST_CASE("Twitter's documented signature example verifies") {
    // developer.twitter.com "Creating a signature": the signature is hCtSmYh+iHYCEqBWrE7C7hYmtUk=.
    FakeClock clock;
    clock.unix_now = 1318622958;
    NonceCache nonces(300, 10);
    OAuthVerifier verifier(VerifierSettings{"xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                                            300, true, false},
                           clock, nonces);
    OAuthRequest request;
    request.method = "POST";
    request.url = "https://api.twitter.com/1.1/statuses/update.json";
    request.query = "include_entities=true";
    request.content_type = "application/x-www-form-urlencoded";
    request.body = "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";
    request.authorization =
        "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
        "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
        "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", oauth_signature_method=\"HMAC-SHA1\", "
        "oauth_timestamp=\"1318622958\", "
        "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", oauth_version=\"1.0\"";
    request.authorization_count = 1;
    auto result = verifier.verify(request, TokenKind::access_token, [](const std::string& token) -> TokenResult<std::string> {
        if (token == "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb")
            return std::string("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
        return TokenProblem::unknown;
    });
    REQUIRE(std::holds_alternative<VerifiedRequest>(result));
    const VerifiedRequest& ok = std::get<VerifiedRequest>(result);
    CHECK(ok.token == "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb");
    CHECK(perch::find_param(ok.parameters, "status") == "Hello Ladies + Gentlemen, a signed OAuth request!");

    SECTION("and fails once one body byte changes") {
        request.body[7] = 'h';
        request.authorization.replace(request.authorization.find("kYjz"), 4, "kYjZ");  // fresh nonce
        CHECK(failure_of(verifier.verify(request, TokenKind::access_token,
                                         [](const std::string&) -> TokenResult<std::string> {
                                             return std::string("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
                                         }))
                  .reason == "signature mismatch");
    }
}

TEST_CASE("A correctly signed request_token request verifies and exposes oauth_callback") {
    Fixture f;
    f.signer.extra = {{"oauth_callback", "http://127.0.0.1:8080/signup/callback"}};
    auto result = f.verify(post(f.signer.header("POST", url)));
    REQUIRE(std::holds_alternative<VerifiedRequest>(result));
    CHECK(std::get<VerifiedRequest>(result).protocol_value("oauth_callback", true) ==
          "http://127.0.0.1:8080/signup/callback");
}

TEST_CASE("Query and form-body parameters are part of the signature") {
    Fixture f;
    const Params params = {{"x_auth_access_type", "read"}, {"lang", "en gb"}};
    auto ok = f.verify(post(f.signer.header("POST", url, params), "x_auth_access_type=read", "lang=en+gb",
                            "application/x-www-form-urlencoded; charset=utf-8"));
    CHECK(std::holds_alternative<VerifiedRequest>(ok));

    f.signer.nonce = "nonce-2";
    auto tampered = f.verify(post(f.signer.header("POST", url, params), "x_auth_access_type=write", "lang=en+gb",
                                  "application/x-www-form-urlencoded"));
    CHECK(failure_of(tampered).code == TwitterCode::could_not_authenticate);
    CHECK(failure_of(tampered).reason == "signature mismatch");
}

TEST_CASE("A body that is not form-encoded is not signed") {
    Fixture f;
    auto ok = f.verify(post(f.signer.header("POST", url), {}, "{\"a\":1}", "application/json"));
    CHECK(std::holds_alternative<VerifiedRequest>(ok));
}

TEST_CASE("The wrong consumer secret gets 401 code 32") {
    Fixture f;
    f.signer.consumer_secret = "not-the-secret";
    const OAuthFailure& failure = failure_of(f.verify(post(f.signer.header("POST", url))));
    CHECK(failure.status == 401);
    CHECK(failure.code == TwitterCode::could_not_authenticate);
    CHECK(failure.reason == "signature mismatch");
}

TEST_CASE("An unknown consumer key gets 401 code 32") {
    Fixture f;
    f.signer.consumer_key = "someone-else";
    const OAuthFailure& failure = failure_of(f.verify(post(f.signer.header("POST", url))));
    CHECK(failure.status == 401);
    CHECK(failure.code == TwitterCode::could_not_authenticate);
    CHECK(failure.reason == "unknown consumer key");
}

TEST_CASE("Timestamps more than 300 s away get 401 code 135") {
    Fixture f;
    f.signer.timestamp = f.clock.unix_now - 300;
    CHECK(std::holds_alternative<VerifiedRequest>(f.verify(post(f.signer.header("POST", url)))));
    f.signer.timestamp = f.clock.unix_now + 300;
    f.signer.nonce = "nonce-2";
    CHECK(std::holds_alternative<VerifiedRequest>(f.verify(post(f.signer.header("POST", url)))));

    f.signer.timestamp = f.clock.unix_now - 301;
    f.signer.nonce = "nonce-3";
    const OAuthFailure& late = failure_of(f.verify(post(f.signer.header("POST", url))));
    CHECK(late.status == 401);
    CHECK(late.code == TwitterCode::timestamp_out_of_bounds);
    CHECK(late.reason == "oauth_timestamp is -301 s from the emulator's clock (allowed: ±300 s)");

    f.signer.timestamp = f.clock.unix_now + 301;
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)))).code == TwitterCode::timestamp_out_of_bounds);
}

TEST_CASE("A non-numeric timestamp gets code 135") {
    Fixture f;
    const std::string header = f.signer.header("POST", url);
    std::string bad = header;
    bad.replace(bad.find("1700000000"), 10, "17000000e0");
    CHECK(failure_of(f.verify(post(bad))).code == TwitterCode::timestamp_out_of_bounds);
}

TEST_CASE("A reused nonce is refused even when the request is re-signed") {
    Fixture f;
    CHECK(std::holds_alternative<VerifiedRequest>(f.verify(post(f.signer.header("POST", url)))));
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)))).reason == "oauth_nonce already used");
    f.signer.timestamp += 1;
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)))).reason == "oauth_nonce already used");
}

TEST_CASE("A badly signed request does not use up its nonce") {
    Fixture f;
    f.signer.consumer_secret = "wrong";
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)))).reason == "signature mismatch");
    f.signer.consumer_secret = "cs-test";
    CHECK(std::holds_alternative<VerifiedRequest>(f.verify(post(f.signer.header("POST", url)))));
}

TEST_CASE("Strict mode refuses oauth_* parameters in the query or the body") {
    Fixture f;
    f.signer.extra = {{"oauth_callback", "oob"}};
    const OAuthFailure& in_query =
        failure_of(f.verify(post(f.signer.header("POST", url, {{"oauth_callback", "oob"}}), "oauth_callback=oob")));
    CHECK(in_query.status == 400);
    CHECK(in_query.strict_violation);
    CHECK(in_query.reason ==
          "strict mode: protocol parameter 'oauth_callback' was sent in the query string or form body; RFC 5849 "
          "section 3.5 wants every oauth_* parameter in the Authorization header only");

    const OAuthFailure& in_body = failure_of(f.verify(post({}, {}, "oauth_verifier=abc", "application/x-www-form-urlencoded")));
    CHECK(in_body.strict_violation);
}

TEST_CASE("Without strict mode oauth_* in the query is signed like any parameter and can be read") {
    Fixture f;
    f.settings.strict = false;
    auto result = f.verify(post(f.signer.header("POST", url, {{"oauth_callback", "oob"}}), "oauth_callback=oob"));
    REQUIRE(std::holds_alternative<VerifiedRequest>(result));
    CHECK(std::get<VerifiedRequest>(result).protocol_value("oauth_callback", false) == "oob");
    CHECK_FALSE(std::get<VerifiedRequest>(result).protocol_value("oauth_callback", true).has_value());
}

TEST_CASE("A missing or repeated Authorization header gets 400 code 215") {
    Fixture f;
    const OAuthFailure& missing = failure_of(f.verify(post({})));
    CHECK(missing.status == 400);
    CHECK(missing.code == TwitterCode::bad_authentication_data);

    OAuthRequest twice = post(f.signer.header("POST", url));
    twice.authorization_count = 2;
    CHECK(failure_of(f.verify(twice)).code == TwitterCode::bad_authentication_data);
}

TEST_CASE("Malformed, incomplete or non-HMAC-SHA1 headers get code 32") {
    Fixture f;
    CHECK(failure_of(f.verify(post("Basic dXNlcjpwYXNz"))).code == TwitterCode::could_not_authenticate);
    CHECK(failure_of(f.verify(post("OAuth oauth_consumer_key=ck-test"))).code == TwitterCode::could_not_authenticate);

    std::string no_nonce = f.signer.header("POST", url);
    no_nonce.replace(no_nonce.find("oauth_nonce"), 11, "oauth_nunce");
    CHECK(failure_of(f.verify(post(no_nonce))).reason == "missing oauth_nonce in the Authorization header");

    std::string plaintext = f.signer.header("POST", url);
    plaintext.replace(plaintext.find("HMAC-SHA1"), 9, "PLAINTEXT");
    CHECK(failure_of(f.verify(post(plaintext))).reason == "oauth_signature_method must be HMAC-SHA1");

    std::string version = f.signer.header("POST", url);
    version.replace(version.find("\"1.0\""), 5, "\"2.0\"");
    CHECK(failure_of(f.verify(post(version))).reason == "oauth_version must be 1.0 when present");
}

TEST_CASE("An Authorization header with an unencoded reserved character is refused") {
    // cpp-httplib would have decoded %3A to ':' before the verifier saw it;
    // the emulator reads raw headers precisely so this is caught.
    Fixture f;
    f.signer.extra = {{"oauth_callback", "oob"}};
    std::string header = f.signer.header("POST", url);
    const std::string raw_callback = "oauth_callback=\"http://x/\"";
    header.replace(header.find("oauth_callback=\"oob\""), 20, raw_callback);
    const OAuthFailure& failure = failure_of(f.verify(post(header)));
    CHECK(failure.code == TwitterCode::could_not_authenticate);
    CHECK(failure.reason.rfind("malformed Authorization header", 0) == 0);
}

TEST_CASE("The request_token step refuses an oauth_token") {
    Fixture f;
    f.signer.token = "some-token";
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)))).reason ==
          "request_token must not carry an oauth_token");
}

TEST_CASE("Token steps need a known token and sign with its secret") {
    Fixture f;
    f.signer.token = "known-token";
    f.signer.token_secret = "token-secret";
    auto ok = f.verify(post(f.signer.header("POST", url)), TokenKind::request_token, "token-secret");
    REQUIRE(std::holds_alternative<VerifiedRequest>(ok));
    CHECK(std::get<VerifiedRequest>(ok).token == "known-token");

    f.signer.nonce = "nonce-2";
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)), TokenKind::request_token, "other-secret")).reason ==
          "signature mismatch");

    f.signer.nonce = "nonce-3";
    f.signer.token = "unknown-token";
    const OAuthFailure& unknown = failure_of(f.verify(post(f.signer.header("POST", url)), TokenKind::access_token));
    CHECK(unknown.status == 401);
    CHECK(unknown.code == TwitterCode::invalid_token);
    CHECK(unknown.reason == "access token: unknown token");

    f.signer.token.clear();
    CHECK(failure_of(f.verify(post(f.signer.header("POST", url)), TokenKind::access_token)).code ==
          TwitterCode::invalid_token);
}

TEST_CASE("The signed URL is the one the client addressed, default port dropped") {
    Fixture f;
    OAuthRequest request = post(f.signer.header("POST", "http://127.0.0.1:8081/oauth/request_token"));
    request.url = "http://127.0.0.1:8082/oauth/request_token";
    CHECK(failure_of(f.verify(request)).reason == "signature mismatch");

    f.signer.nonce = "nonce-2";
    OAuthRequest default_port = post(f.signer.header("POST", "http://localhost/oauth/request_token"));
    default_port.url = "http://localhost:80/oauth/request_token";
    CHECK(std::holds_alternative<VerifiedRequest>(f.verify(default_port)));
}

TEST_CASE("Explained signature failures include the base string but never a secret") {
    Fixture f;
    f.settings.explain_signatures = true;
    f.signer.consumer_secret = "wrong";
    const OAuthFailure& failure = failure_of(f.verify(post(f.signer.header("POST", url))));
    CHECK(failure.reason.rfind("signature mismatch (emulator's base string: POST&http%3A%2F%2F127.0.0.1%3A8081%2F", 0) == 0);
    CHECK(failure.reason.find("cs-test") == std::string::npos);
}

TEST_CASE("Form content types are recognised with parameters and in any case") {
    CHECK(is_form_content_type("application/x-www-form-urlencoded"));
    CHECK(is_form_content_type("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
    CHECK(is_form_content_type(" application/x-www-form-urlencoded ;charset=utf-8"));
    CHECK_FALSE(is_form_content_type("application/json"));
    CHECK_FALSE(is_form_content_type("application/x-www-form-urlencodedx"));
    CHECK_FALSE(is_form_content_type(""));
}
