#include <catch2/catch.hpp>

#include <string>

#include "core/callback.h"

using perch::CallbackOutcome;
using perch::is_token_text;
using perch::max_token_length;
using perch::verify_callback;

namespace {

const std::string token = "NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0";
const std::string verifier = "uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY";

std::string outcome(std::string_view search, std::string_view expected = token) {
    return std::string(perch::to_string(verify_callback(search, expected).outcome));
}

std::string approved_query() { return "?oauth_token=" + token + "&oauth_verifier=" + verifier; }

}  // namespace

TEST_CASE("A matching token with a verifier is approved and returns both", "[callback]") {
    const auto result = verify_callback(approved_query(), token);
    CHECK(result.outcome == CallbackOutcome::approved);
    CHECK(result.oauth_token == token);
    CHECK(result.oauth_verifier == verifier);
}

TEST_CASE("Approval works without the leading question mark and in any parameter order", "[callback]") {
    CHECK(outcome("oauth_verifier=" + verifier + "&oauth_token=" + token) == "approved");
    CHECK(outcome("?utm_source=x&oauth_token=" + token + "&oauth_verifier=" + verifier + "&&") == "approved");
}

TEST_CASE("Escaped token characters are decoded before comparing", "[callback]") {
    CHECK(outcome("?oauth_token=ab%2Dc&oauth_verifier=v", "ab-c") == "approved");
}

TEST_CASE("Every outcome has its snake_case name", "[callback]") {
    CHECK(perch::to_string(CallbackOutcome::approved) == "approved");
    CHECK(perch::to_string(CallbackOutcome::denied) == "denied");
    CHECK(perch::to_string(CallbackOutcome::no_session) == "no_session");
    CHECK(perch::to_string(CallbackOutcome::missing_params) == "missing_params");
    CHECK(perch::to_string(CallbackOutcome::token_mismatch) == "token_mismatch");
    CHECK(perch::to_string(CallbackOutcome::malformed) == "malformed");
}

TEST_CASE("Twitter's Cancel (denied=<token>) is denied", "[callback]") {
    const auto result = verify_callback("?denied=" + token, token);
    CHECK(result.outcome == CallbackOutcome::denied);
    CHECK(result.oauth_token.empty());
    CHECK(result.oauth_verifier.empty());
}

TEST_CASE("A denied parameter wins over approval-looking parameters", "[callback]") {
    CHECK(outcome(approved_query() + "&denied=" + token) == "denied");
    CHECK(outcome("?denied=other-token") == "denied");
    CHECK(outcome("?denied=") == "denied");
    CHECK(outcome("?denied") == "denied");
}

TEST_CASE("No expected token is no_session, even with a perfect callback", "[callback]") {
    const auto result = verify_callback(approved_query(), "");
    CHECK(result.outcome == CallbackOutcome::no_session);
    CHECK(result.oauth_token.empty());
    CHECK(result.oauth_verifier.empty());
    CHECK(outcome("", "") == "no_session");
}

TEST_CASE("Absent or empty token or verifier is missing_params", "[callback]") {
    CHECK(outcome("") == "missing_params");
    CHECK(outcome("?") == "missing_params");
    CHECK(outcome("?oauth_token=" + token) == "missing_params");
    CHECK(outcome("?oauth_verifier=" + verifier) == "missing_params");
    CHECK(outcome("?oauth_token=" + token + "&oauth_verifier=") == "missing_params");
    CHECK(outcome("?oauth_token=" + token + "&oauth_verifier") == "missing_params");
    CHECK(outcome("?oauth_token=&oauth_verifier=" + verifier) == "missing_params");
    CHECK(outcome("?unrelated=1") == "missing_params");
}

TEST_CASE("Two missing values are never equal", "[callback]") {
    // An empty expected token and an empty oauth_token must not approve.
    CHECK(outcome("?oauth_token=&oauth_verifier=" + verifier, "") == "no_session");
    CHECK(outcome("?oauth_verifier=" + verifier, "") == "no_session");
}

TEST_CASE("A different token is token_mismatch", "[callback]") {
    const auto result = verify_callback("?oauth_token=attacker-token&oauth_verifier=" + verifier, token);
    CHECK(result.outcome == CallbackOutcome::token_mismatch);
    CHECK(result.oauth_token.empty());
    CHECK(result.oauth_verifier.empty());
}

TEST_CASE("Prefixes, extensions and case changes of the token do not match", "[callback]") {
    CHECK(outcome("?oauth_token=" + token.substr(0, token.size() - 1) + "&oauth_verifier=v") == "token_mismatch");
    CHECK(outcome("?oauth_token=" + token + "x&oauth_verifier=v") == "token_mismatch");
    CHECK(outcome("?oauth_token=npcudxy0yu5t3tbzho7icotz3cnetkwctirlx0iwrl0&oauth_verifier=v") == "token_mismatch");
}

TEST_CASE("Bad encoding anywhere in the query is malformed", "[callback]") {
    CHECK(outcome(approved_query() + "&x=%ZZ") == "malformed");
    CHECK(outcome("?oauth_token=" + token + "%00&oauth_verifier=v") == "malformed");
    CHECK(outcome("?oauth_token=%FF&oauth_verifier=v") == "malformed");
    CHECK(outcome("?oauth_token=" + token + "&oauth_verifier=%") == "malformed");
}

TEST_CASE("Duplicated oauth_token or oauth_verifier is malformed, even with equal values", "[callback]") {
    CHECK(outcome(approved_query() + "&oauth_token=" + token) == "malformed");
    CHECK(outcome(approved_query() + "&oauth_verifier=" + verifier) == "malformed");
    CHECK(outcome(approved_query() + "&oauth_token=") == "malformed");
    CHECK(outcome("?oauth_token=a&oauth_token=b&oauth_verifier=v", "a") == "malformed");
    CHECK(outcome("?denied=x&denied=y") == "malformed");
}

TEST_CASE("Token and verifier length is allowed up to max_token_length", "[callback]") {
    const std::string long_token(max_token_length, 't');
    const std::string long_verifier(max_token_length, 'v');
    CHECK(outcome("?oauth_token=" + long_token + "&oauth_verifier=" + long_verifier, long_token) == "approved");
    CHECK(outcome("?oauth_token=" + long_token + "t&oauth_verifier=v", long_token) == "malformed");
    CHECK(outcome("?oauth_token=" + token + "&oauth_verifier=" + long_verifier + "v") == "malformed");
    CHECK(outcome("?denied=" + std::string(max_token_length + 1, 'd')) == "malformed");
}

TEST_CASE("Characters a token never has are malformed", "[callback]") {
    for (const char* bad : {"a+b", "a%20b", "a%2Fb", "a%3Cscript%3E", "caf%C3%A9", "a%22b", "a%27b", "a%0Ab"}) {
        INFO(bad);
        CHECK(outcome(std::string("?oauth_token=") + bad + "&oauth_verifier=v", bad) == "malformed");
        CHECK(outcome("?oauth_token=" + token + "&oauth_verifier=" + bad) == "malformed");
        CHECK(outcome(std::string("?denied=") + bad) == "malformed");
    }
}

TEST_CASE("A huge or over-full query is malformed", "[callback]") {
    CHECK(outcome(approved_query() + "&pad=" + std::string(9000, 'x')) == "malformed");
    std::string many = approved_query();
    for (int i = 0; i < 70; ++i) many += "&p" + std::to_string(i) + "=1";
    CHECK(outcome(many) == "malformed");
}

TEST_CASE("Precedence: malformed beats denied", "[callback]") {
    CHECK(outcome("?denied=" + token + "&oauth_token=a&oauth_token=b") == "malformed");
    CHECK(outcome("?denied=" + token + "&x=%ZZ") == "malformed");
    CHECK(outcome("?denied=a%20b") == "malformed");
}

TEST_CASE("Precedence: malformed beats no_session", "[callback]") {
    CHECK(outcome("?oauth_token=a+b&oauth_verifier=v", "") == "malformed");
    CHECK(outcome("?oauth_token=a&oauth_token=a", "") == "malformed");
}

TEST_CASE("Precedence: malformed beats missing_params", "[callback]") {
    CHECK(outcome("?oauth_token=a%2Fb") == "malformed");
    CHECK(outcome("?oauth_verifier=&oauth_verifier=") == "malformed");
}

TEST_CASE("Precedence: malformed beats token_mismatch", "[callback]") {
    CHECK(outcome("?oauth_token=other&oauth_verifier=a%2Fb") == "malformed");
}

TEST_CASE("Precedence: denied beats no_session", "[callback]") {
    CHECK(outcome("?denied=" + token, "") == "denied");
}

TEST_CASE("Precedence: denied beats missing_params and token_mismatch", "[callback]") {
    CHECK(outcome("?denied=" + token + "&oauth_token=" + token) == "denied");
    CHECK(outcome("?denied=" + token + "&oauth_token=other&oauth_verifier=v") == "denied");
}

TEST_CASE("Precedence: no_session beats missing_params and token_mismatch", "[callback]") {
    CHECK(outcome("?oauth_token=" + token, "") == "no_session");
    CHECK(outcome("?oauth_token=other&oauth_verifier=v", "") == "no_session");
}

TEST_CASE("Precedence: missing_params beats token_mismatch", "[callback]") {
    CHECK(outcome("?oauth_token=other") == "missing_params");
}

TEST_CASE("An expected token that is not token text can never be approved", "[callback]") {
    CHECK(outcome("?oauth_token=a&oauth_verifier=v", "a b") == "token_mismatch");
}

TEST_CASE("Token text is the non-empty unreserved set", "[callback]") {
    CHECK(is_token_text("ABCxyz0189-._~"));
    CHECK(is_token_text(token));
    CHECK_FALSE(is_token_text(""));
    for (const char* bad : {" ", "+", "/", "=", "%", "&", "\"", "<", "caf\xC3\xA9", "a\nb"}) {
        INFO(bad);
        CHECK_FALSE(is_token_text(bad));
    }
    CHECK_FALSE(is_token_text(std::string("a\0b", 3)));
}
