#include <catch2/catch.hpp>

#include <string>

#include "core/query.h"

using perch::count_params;
using perch::ErrorCode;
using perch::find_param;
using perch::format_query;
using perch::Param;
using perch::Params;
using perch::parse_query;
using perch::QueryLimits;

namespace {

Params parsed(std::string_view query, const QueryLimits& limits = {}) {
    auto result = parse_query(query, limits);
    INFO(query);
    if (!result.ok()) FAIL(result.error().message);
    return result.value();
}

perch::Error parse_error(std::string_view query, const QueryLimits& limits = {}) {
    auto result = parse_query(query, limits);
    REQUIRE_FALSE(result.ok());
    return result.error();
}

std::string pairs(std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += (i ? "&p" : "p") + std::to_string(i) + "=v";
    return out;
}

}  // namespace

TEST_CASE("A query parses into ordered pairs", "[query]") {
    CHECK(parsed("a=1&b=2") == Params{{"a", "1"}, {"b", "2"}});
    CHECK(parsed("b=2&a=1") == Params{{"b", "2"}, {"a", "1"}});
}

TEST_CASE("A leading question mark is allowed and only one is dropped", "[query]") {
    CHECK(parsed("?a=1") == Params{{"a", "1"}});
    CHECK(parsed("?") == Params{});
    CHECK(parsed("??a=1") == Params{{"?a", "1"}});
}

TEST_CASE("The empty query has no pairs", "[query]") {
    CHECK(parsed("").empty());
}

TEST_CASE("Plus is a space and escapes are decoded in names and values", "[query]") {
    CHECK(parsed("q=Hello+World%21") == Params{{"q", "Hello World!"}});
    CHECK(parsed("a%2Bb=c%2Bd") == Params{{"a+b", "c+d"}});
    CHECK(parsed("c%40=&a2=r%20b") == Params{{"c@", ""}, {"a2", "r b"}});
    CHECK(parsed("b5=%3D%253D") == Params{{"b5", "=%3D"}});
}

TEST_CASE("A name alone is a pair with an empty value", "[query]") {
    CHECK(parsed("c2&a3=2+q") == Params{{"c2", ""}, {"a3", "2 q"}});
    CHECK(parsed("flag") == Params{{"flag", ""}});
    CHECK(parsed("a=") == Params{{"a", ""}});
}

TEST_CASE("Only the first equals sign splits name from value", "[query]") {
    CHECK(parsed("a=b=c") == Params{{"a", "b=c"}});
    CHECK(parsed("=v") == Params{{"", "v"}});
    CHECK(parsed("=") == Params{{"", ""}});
}

TEST_CASE("Empty segments are skipped", "[query]") {
    CHECK(parsed("a=1&&b=2") == Params{{"a", "1"}, {"b", "2"}});
    CHECK(parsed("&a=1&") == Params{{"a", "1"}});
    CHECK(parsed("&&&") == Params{});
}

TEST_CASE("Duplicate names are all kept, in order", "[query]") {
    const Params params = parsed("a3=a&b=1&a3=2+q");
    CHECK(params == Params{{"a3", "a"}, {"b", "1"}, {"a3", "2 q"}});
    CHECK(count_params(params, "a3") == 2);
    CHECK(find_param(params, "a3") == std::optional<std::string>("a"));
}

TEST_CASE("Unicode names and values survive parsing", "[query]") {
    CHECK(parsed("name=J%C3%BCrgen+%E6%9D%B1%E4%BA%AC&%F0%9F%90%A6=1") ==
          Params{{"name", "J\xC3\xBCrgen \xE6\x9D\xB1\xE4\xBA\xAC"}, {"\xF0\x9F\x90\xA6", "1"}});
    CHECK(parsed("raw=caf\xC3\xA9") == Params{{"raw", "caf\xC3\xA9"}});
}

TEST_CASE("Bad encoding in a query is invalid_encoding", "[query]") {
    auto error = parse_error("a=%ZZ");
    CHECK(error.code == ErrorCode::invalid_encoding);
    CHECK(error.message == "parameter value: malformed percent-escape at byte 0");
    error = parse_error("a%=1");
    CHECK(error.code == ErrorCode::invalid_encoding);
    CHECK(error.message == "parameter name: malformed percent-escape at byte 1");
    CHECK(parse_error("a=%00").message == "parameter value: text contains a NUL byte");
    CHECK(parse_error("a=%FF").message == "parameter value: text is not valid UTF-8");
    CHECK(parse_error("%C0%AF=x").message == "parameter name: text is not valid UTF-8");
}

TEST_CASE("The total length limit is inclusive and counts the leading question mark", "[query]") {
    const QueryLimits limits{};  // 8192 bytes
    const std::string at_limit = "a=" + std::string(limits.max_length - 2, 'x');
    REQUIRE(at_limit.size() == 8192);
    CHECK(parsed(at_limit, QueryLimits{8192, 64, 256, 8192}).size() == 1);

    const auto error = parse_error("?" + at_limit, QueryLimits{8192, 64, 256, 8192});
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "query is longer than 8192 bytes");
}

TEST_CASE("The pair count limit allows exactly max_pairs pairs", "[query]") {
    CHECK(parsed(pairs(64)).size() == 64);
    const auto error = parse_error(pairs(65));
    CHECK(error.code == ErrorCode::too_many);
    CHECK(error.message == "query has more than 64 parameters");
    // Empty segments do not count towards the limit.
    CHECK(parsed(pairs(64) + "&&&").size() == 64);
}

TEST_CASE("Too many pairs is reported even when a later pair is badly encoded", "[query]") {
    CHECK(parse_error(pairs(65) + "&bad=%G").code == ErrorCode::too_many);
}

TEST_CASE("The name length limit counts decoded bytes", "[query]") {
    const std::string name256(256, 'n');
    CHECK(parsed(name256 + "=v")[0].name == name256);
    auto error = parse_error(name256 + "n=v");
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "parameter name is longer than 256 bytes");

    // 86 encoded three-byte characters are 258 decoded bytes; 85 are 255.
    std::string encoded;
    for (int i = 0; i < 85; ++i) encoded += "%E2%98%83";
    CHECK(parsed(encoded + "=v")[0].name.size() == 255);
    CHECK(parse_error(encoded + "%E2%98%83=v").code == ErrorCode::too_long);
}

TEST_CASE("The value length limit counts decoded bytes", "[query]") {
    const std::string value4096(4096, 'v');
    CHECK(parsed("a=" + value4096)[0].value == value4096);
    auto error = parse_error("a=" + value4096 + "v");
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "parameter value is longer than 4096 bytes");

    // 4096 decoded bytes may be written as 12288 encoded ones, over max_length.
    std::string encoded;
    for (int i = 0; i < 4096; ++i) encoded += "%41";
    CHECK(parsed("a=" + encoded, QueryLimits{20000, 64, 256, 4096})[0].value == std::string(4096, 'A'));
    CHECK(parse_error("a=" + encoded + "%41", QueryLimits{20000, 64, 256, 4096}).code ==
          ErrorCode::too_long);
}

TEST_CASE("Custom limits are honoured", "[query]") {
    const QueryLimits tiny{10, 2, 3, 4};
    CHECK(parsed("abc=defg", tiny) == Params{{"abc", "defg"}});
    CHECK(parse_error("abcd=e", tiny).message == "parameter name is longer than 3 bytes");
    CHECK(parse_error("a=defgh", tiny).message == "parameter value is longer than 4 bytes");
    CHECK(parse_error("a&b&c", tiny).message == "query has more than 2 parameters");
    CHECK(parse_error("a=123456789", tiny).message == "query is longer than 10 bytes");
}

TEST_CASE("A huge query is rejected without truncation", "[query]") {
    const auto error = parse_error(std::string(1 << 20, 'a'));
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "query is longer than 8192 bytes");
}

TEST_CASE("Formatting encodes both sides of every pair", "[query]") {
    CHECK(format_query({}) == "");
    CHECK(format_query({{"a", "1"}, {"b", "2"}}) == "a=1&b=2");
    CHECK(format_query({{"status", "Hello Ladies + Gentlemen"}}) == "status=Hello%20Ladies%20%2B%20Gentlemen");
    CHECK(format_query({{"c@", ""}, {"", "v"}}) == "c%40=&=v");
    CHECK(format_query({{"a", "1"}, {"a", "2"}}) == "a=1&a=2");
    CHECK(format_query({{"n", "caf\xC3\xA9"}}) == "n=caf%C3%A9");
}

TEST_CASE("Formatted pairs parse back to the same pairs", "[query]") {
    const Params original{{"a b", "c+d"}, {"", ""}, {"x", "&=?#"}, {"x", "\xE2\x98\x83"}, {"%", "%25"}};
    CHECK(parsed(format_query(original)) == original);
}

TEST_CASE("find_param and count_params report absent names", "[query]") {
    const Params params{{"a", "1"}, {"b", ""}};
    CHECK(find_param(params, "b") == std::optional<std::string>(""));
    CHECK_FALSE(find_param(params, "c").has_value());
    CHECK(count_params(params, "c") == 0);
    CHECK(count_params(params, "a") == 1);
    CHECK_FALSE(find_param(Params{}, "a").has_value());
}
