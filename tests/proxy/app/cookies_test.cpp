#include <catch2/catch.hpp>

#include <string>

#include "app/cookies.h"

using namespace perch;

TEST_CASE("A Cookie header with several pairs is parsed in order with whitespace trimmed") {
    auto parsed = parse_cookie_header("a=1;  perch_session=abc ;b=\"quoted\"");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value().size() == 3);
    CHECK(parsed.value()[0].name == "a");
    CHECK(parsed.value()[0].value == "1");
    CHECK(parsed.value()[1].name == "perch_session");
    CHECK(parsed.value()[1].value == "abc");
    CHECK(parsed.value()[2].value == "quoted");
}

TEST_CASE("Pairs without an equals sign or with an empty name are skipped") {
    auto parsed = parse_cookie_header("lonely; =x; ok=1;;");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value().size() == 1);
    CHECK(parsed.value()[0].name == "ok");
}

TEST_CASE("An empty value is kept as a pair") {
    auto parsed = parse_cookie_header("perch_session=");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value().size() == 1);
    CHECK(parsed.value()[0].value.empty());
}

TEST_CASE("A Cookie header longer than the limit is an error, not a truncation") {
    CookieLimits limits;
    limits.max_header_bytes = 16;
    auto parsed = parse_cookie_header("a=12345678901234567890", limits);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::too_long);
}

TEST_CASE("A Cookie header with more pairs than the limit is an error") {
    CookieLimits limits;
    limits.max_pairs = 2;
    CHECK(parse_cookie_header("a=1; b=2", limits).ok());
    auto parsed = parse_cookie_header("a=1; b=2; c=3", limits);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::too_many);
}

TEST_CASE("cookie_values finds every value of a name across headers, in order") {
    auto values = cookie_values({"perch_session=one; x=1", "perch_session=two"}, "perch_session");
    REQUIRE(values.size() == 2);
    CHECK(values[0] == "one");
    CHECK(values[1] == "two");
}

TEST_CASE("cookie_values ignores a header over the limits but still reads the others") {
    std::string huge = "junk=" + std::string(9000, 'x') + "; perch_session=hidden";
    auto values = cookie_values({huge, "perch_session=seen"}, "perch_session");
    REQUIRE(values.size() == 1);
    CHECK(values[0] == "seen");
}

TEST_CASE("Names differing only in case are different cookies") {
    CHECK(cookie_values({"PERCH_SESSION=x"}, "perch_session").empty());
}

TEST_CASE("The session Set-Cookie carries HttpOnly, SameSite=Lax and Path=/ but not Secure over http") {
    SetCookieOptions options;
    options.max_age_seconds = 86400;
    CHECK(build_set_cookie("perch_session", "abc_-", options) ==
          "perch_session=abc_-; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax");
}

TEST_CASE("Secure is added when asked for") {
    SetCookieOptions options;
    options.secure = true;
    CHECK(build_set_cookie("perch_session", "v", options) == "perch_session=v; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST_CASE("SameSite=None always comes with Secure") {
    SetCookieOptions options;
    options.same_site = SameSite::none;
    options.http_only = false;
    CHECK(build_set_cookie("n", "v", options) == "n=v; Path=/; Secure; SameSite=None");
}

TEST_CASE("A value that could split the header is never written") {
    SetCookieOptions options;
    CHECK(build_set_cookie("n", "a;\r\nSet-Cookie: evil=1", options) == "n=; Path=/; HttpOnly; SameSite=Lax");
    CHECK(build_set_cookie("bad name\r\n", "v", options) == "badname=v; Path=/; HttpOnly; SameSite=Lax");
}

TEST_CASE("A clearing cookie has an empty value and Max-Age=0") {
    SetCookieOptions options;
    options.max_age_seconds = 100;
    CHECK(build_clear_cookie("perch_session", options) == "perch_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

TEST_CASE("Cookie value text excludes separators, quotes, spaces and controls") {
    CHECK(is_cookie_value_text("AZaz09-_~!#"));
    CHECK(is_cookie_value_text(""));
    CHECK_FALSE(is_cookie_value_text("a b"));
    CHECK_FALSE(is_cookie_value_text("a;b"));
    CHECK_FALSE(is_cookie_value_text("a,b"));
    CHECK_FALSE(is_cookie_value_text("a\"b"));
    CHECK_FALSE(is_cookie_value_text("a\\b"));
    CHECK_FALSE(is_cookie_value_text(std::string("a\0b", 3)));
    CHECK_FALSE(is_cookie_value_text("caf\xc3\xa9"));
}
