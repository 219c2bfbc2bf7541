#include <catch2/catch.hpp>

#include "base/crypto.h"
#include "emulator/oauth2/oauth2_params.h"

using namespace perch::emulator;

TEST_CASE("S256 matches RFC 7636 Appendix B") {
    CHECK(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("Code verifiers are 43 to 128 unreserved characters") {
    CHECK(is_code_verifier(std::string(43, 'a')));
    CHECK(is_code_verifier(std::string(128, '~')));
    CHECK(is_code_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.~"));
    CHECK_FALSE(is_code_verifier(std::string(42, 'a')));
    CHECK_FALSE(is_code_verifier(std::string(129, 'a')));
    CHECK_FALSE(is_code_verifier(std::string(42, 'a') + "+"));
    CHECK_FALSE(is_code_verifier(std::string(42, 'a') + "="));
}

TEST_CASE("S256 challenges are exactly 43 base64url characters") {
    CHECK(is_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    CHECK_FALSE(is_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"));
    CHECK_FALSE(is_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="));
    CHECK_FALSE(is_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
}

TEST_CASE("Scopes parse in order, without duplicates or empty tokens, and only X's") {
    auto parsed = parse_scopes("tweet.read  users.read tweet.read users.email offline.access");
    REQUIRE(std::holds_alternative<Scopes>(parsed));
    CHECK(std::get<Scopes>(parsed) == Scopes{"tweet.read", "users.read", "users.email", "offline.access"});
    CHECK(join_scopes(std::get<Scopes>(parsed)) == "tweet.read users.read users.email offline.access");

    auto unknown = parse_scopes("tweet.read email");
    REQUIRE(std::holds_alternative<ScopeError>(unknown));
    CHECK(std::get<ScopeError>(unknown).unknown == "email");
    CHECK(std::holds_alternative<ScopeError>(parse_scopes("Tweet.Read")));
    CHECK(std::get<Scopes>(parse_scopes("")).empty());
}

TEST_CASE("HTTP Basic credentials decode as RFC 7617 writes them") {
    auto aladdin = parse_basic_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    REQUIRE(aladdin.has_value());
    CHECK(aladdin->user == "Aladdin");
    CHECK(aladdin->password == "open sesame");

    auto lower = parse_basic_authorization("basic " + perch::base64_encode("id:se:cret"));
    REQUIRE(lower.has_value());
    CHECK(lower->user == "id");
    CHECK(lower->password == "se:cret");  // only the first ':' separates
}

TEST_CASE("Malformed HTTP Basic headers are refused") {
    CHECK_FALSE(parse_basic_authorization("Basic").has_value());
    CHECK_FALSE(parse_basic_authorization("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==").has_value());
    CHECK_FALSE(parse_basic_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ").has_value());   // no padding
    CHECK_FALSE(parse_basic_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=A").has_value()); // '=' inside
    CHECK_FALSE(parse_basic_authorization("Basic QWxhZGRp bjpvcGVu").has_value());
    CHECK_FALSE(parse_basic_authorization("Basic " + perch::base64_encode("no-colon")).has_value());
    CHECK_FALSE(parse_basic_authorization("Basic " + perch::base64_encode("id:a\nb")).has_value());
}

TEST_CASE("Bearer tokens are read from the Authorization header") {
    CHECK(parse_bearer_authorization("Bearer abc-123") == std::optional<std::string>("abc-123"));
    CHECK(parse_bearer_authorization("bearer abc") == std::optional<std::string>("abc"));
    CHECK_FALSE(parse_bearer_authorization("Bearer").has_value());
    CHECK_FALSE(parse_bearer_authorization("Bearer a b").has_value());
    CHECK_FALSE(parse_bearer_authorization("OAuth oauth_token=\"x\"").has_value());
}

TEST_CASE("Client ids and secrets are URL-unreserved tokens") {
    CHECK(is_unreserved_token("rG9n6402A3dbUJKzXTNX4oWHJ"));
    CHECK(is_unreserved_token("a-b.c_d~e"));
    CHECK_FALSE(is_unreserved_token(""));
    CHECK_FALSE(is_unreserved_token("a:b"));
    CHECK_FALSE(is_unreserved_token("a b"));
    CHECK_FALSE(is_unreserved_token(std::string(129, 'a')));
}

TEST_CASE("Quoted client input is cut and kept to printable ASCII") {
    CHECK(printable_excerpt("abc") == "abc");
    CHECK(printable_excerpt("a\"b\\c\n\xc3\xa9") == "a?b?c???");
    CHECK(printable_excerpt(std::string(100, 'x')).size() == 64);
}
