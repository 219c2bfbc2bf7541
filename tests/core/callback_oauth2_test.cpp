#include <catch2/catch.hpp>

#include <string>

#include "core/callback.h"

using perch::CallbackOutcome;
using perch::CallbackShape;
using perch::verify_callback;

namespace {

// The shapes of X's own examples (docs: "OAuth 2.0 Authorization Code Flow with PKCE").
const std::string state = "k3Jx1v0WbQz8_TnYp2R9sA";
const std::string code = "VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPTE9aTktTOjE2MjIxNjA4ODY1MzU6MTowOmFjOjE";

std::string outcome(std::string_view search, std::string_view expected = state) {
    return std::string(perch::to_string(verify_callback(search, expected).outcome));
}

std::string approved_query() { return "?state=" + state + "&code=" + code; }

}  // namespace

TEST_CASE("OAuth 2.0: a matching state with a code is approved and returns both", "[callback][oauth2]") {
    const auto result = verify_callback(approved_query(), state);
    CHECK(result.outcome == CallbackOutcome::approved);
    CHECK(result.shape == CallbackShape::oauth2);
    CHECK(result.state == state);
    CHECK(result.code == code);
    CHECK(result.oauth_token.empty());
    CHECK(outcome("code=" + code + "&state=" + state + "&utm=1") == "approved");
}

TEST_CASE("OAuth 2.0: error=access_denied is denied and needs no session", "[callback][oauth2]") {
    CHECK(outcome("?error=access_denied&state=" + state) == "denied");
    CHECK(outcome("?error=access_denied", "") == "denied");
    CHECK(outcome("?error=access_denied&state=other") == "denied");
    const auto result = verify_callback("?error=access_denied&error_description=no", "");
    CHECK(result.error == "access_denied");
    CHECK(result.error_description == "no");
    CHECK(result.state.empty());
}

TEST_CASE("OAuth 2.0: any other error is provider_refused, with X's words kept", "[callback][oauth2]") {
    const auto result = verify_callback("?error=invalid_scope&error_description=Value%20passed%20for%20scope&state=" + state, "");
    CHECK(result.outcome == CallbackOutcome::provider_refused);
    CHECK(result.error == "invalid_scope");
    CHECK(result.error_description == "Value passed for scope");
    CHECK(outcome("?error=invalid_request") == "provider_refused");
    CHECK(outcome("?error=unauthorized_client&code=" + code + "&state=" + state) == "provider_refused");
}

TEST_CASE("OAuth 2.0: the precedence is malformed, error, no_session, missing_params, token_mismatch", "[callback][oauth2]") {
    CHECK(outcome("?state=a&state=b&error=access_denied") == "malformed");
    CHECK(outcome("?code=" + code, "") == "no_session");
    CHECK(outcome("?state=" + state + "&code=", state) == "missing_params");
    CHECK(outcome("?state=" + state) == "missing_params");
    CHECK(outcome("?code=" + code) == "missing_params");
    CHECK(outcome("?state=&code=" + code) == "missing_params");
    CHECK(outcome("?state=other&code=" + code) == "token_mismatch");
    CHECK(outcome("?state=" + state + "x&code=" + code) == "token_mismatch");
    CHECK(outcome(approved_query(), state.substr(1)) == "token_mismatch");
}

TEST_CASE("OAuth 2.0: duplicated, over-long or odd parameters are malformed", "[callback][oauth2]") {
    for (const char* name : {"state", "code", "error", "error_description"}) {
        CAPTURE(name);
        CHECK(outcome(approved_query() + "&" + name + "=a&" + name + "=b") == "malformed");
    }
    CHECK(outcome("?state=" + std::string(500, 'a') + "&code=c", std::string(500, 'a')) == "approved");
    CHECK(outcome("?state=" + std::string(501, 'a') + "&code=c", std::string(501, 'a')) == "malformed");
    CHECK(outcome("?state=" + state + "&code=" + std::string(1025, 'c')) == "malformed");
    CHECK(outcome("?state=a%20b&code=c", "a b") == "malformed");
    CHECK(outcome("?state=" + state + "&code=c%2Fd") == "malformed");
    CHECK(outcome("?error=access%20denied") == "malformed");
    CHECK(outcome("?error=access_denied&error_description=a%0Ab") == "malformed");
    CHECK(outcome("?error=x&error_description=" + std::string(1025, 'd')) == "malformed");
    CHECK(outcome("?state=%ZZ&code=c") == "malformed");
}

TEST_CASE("OAuth 2.0: the OAuth 1.0a parameters win when both shapes are present", "[callback][oauth2]") {
    const std::string both = "?oauth_token=t&oauth_verifier=v&state=" + state + "&code=" + code;
    CHECK(verify_callback(both, "t").shape == CallbackShape::oauth1);
    CHECK(outcome(both, "t") == "approved");
    CHECK(outcome(both, state) == "token_mismatch");
    CHECK(verify_callback("", "").shape == CallbackShape::oauth1);
}
