#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "core/json_input.h"

// json_reader_test.cpp includes this file again with read_json, the page's
// own reader, under test: every case here holds both implementations.
#ifndef PERCH_JSON_UNDER_TEST
#define PERCH_JSON_UNDER_TEST parse_json_with_nlohmann
#define PERCH_JSON_CASE(name) name
#endif

using perch::ErrorCode;
using perch::JsonLimits;

namespace {

perch::Result<nlohmann::json> parse_under_test(std::string_view text, const JsonLimits& limits = {}) {
    return perch::PERCH_JSON_UNDER_TEST(text, limits);
}

}  // namespace

namespace {

std::string nested_arrays(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

TEST_CASE(PERCH_JSON_CASE("Well-formed JSON parses into a value")) {
    auto parsed = parse_under_test(R"({"a":[1,-2,3.5,"x",true,null],"b":{}})");
    REQUIRE(parsed.ok());
    const auto& value = parsed.value();
    CHECK(value["a"][0].get<int>() == 1);
    CHECK(value["a"][1].get<int>() == -2);
    CHECK(value["a"][2].get<double>() == 3.5);
    CHECK(value["a"][3].get<std::string>() == "x");
    CHECK(value["a"][5].is_null());
    CHECK(value["b"].is_object());
}

TEST_CASE(PERCH_JSON_CASE("The value is the one nlohmann's own parser builds, type for type")) {
    const std::string deep = "{\"k\":" + std::string(31, '[') + "7" + std::string(31, ']') + "}";
    for (std::string text : {std::string(R"({"a":[1,-2,3.5,"x",true,null],"b":{},"c":[[],[{}],{"d":[0]}]})"),
                             std::string(R"([18446744073709551615,-9223372036854775808,123456789012345678901234567890,1.5e300,-0.0,1E-2,0])"),
                             std::string(R"({"z":1,"a":{"y":[2,{"x":"\u00e9\ud83d\udc26"}],"b":null},"m":false})"),
                             std::string(R"("just a string")"), std::string("null"), std::string(" [ ] "), deep}) {
        INFO(text);
        auto parsed = parse_under_test(text);
        REQUIRE(parsed.ok());
        const nlohmann::json expected = nlohmann::json::parse(text);
        CHECK(parsed.value() == expected);
        CHECK(parsed.value().dump() == expected.dump());
        CHECK(parsed.value().type() == expected.type());
        if (expected.is_array()) {
            REQUIRE(parsed.value().size() == expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) CHECK(parsed.value()[i].type() == expected[i].type());
        }
    }
}

TEST_CASE(PERCH_JSON_CASE("A bare scalar is a JSON text too")) {
    auto parsed = parse_under_test(" 42 ");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().get<int>() == 42);
}

TEST_CASE(PERCH_JSON_CASE("Empty or whitespace-only text is reported as empty")) {
    for (std::string_view text : {"", "   ", "\r\n\t"}) {
        auto parsed = parse_under_test(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::invalid_json);
        CHECK(parsed.error().message == "JSON is empty");
    }
}

TEST_CASE(PERCH_JSON_CASE("Malformed JSON is an invalid_json error with the byte where it broke")) {
    struct Case {
        std::string_view text;
        std::string message;
    };
    const Case cases[] = {
        {"{", "JSON is not valid (error at byte 2)"},
        {"tru", "JSON is not valid (error at byte 4)"},
        {"[1,]", "JSON is not valid (error at byte 4)"},
        {"{\"a\" 1}", "JSON is not valid (error at byte 6)"},
        {"{} {}", "JSON is not valid (error at byte 4)"},
        {"'single'", "JSON is not valid (error at byte 1)"},
        {"[1] x", "JSON is not valid (error at byte 5)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto parsed = parse_under_test(c.text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::invalid_json);
        CHECK(parsed.error().message == c.message);
    }
}

TEST_CASE(PERCH_JSON_CASE("Unicode strings survive parsing byte for byte")) {
    const std::string name = "\xd8\xb9\xd9\x84\xd9\x8a \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x90\xa6 e\xcc\x81";
    auto parsed = parse_under_test("{\"name\":\"" + name + "\",\"esc\":\"\\u00e9\\ud83d\\udc26\"}");
    REQUIRE(parsed.ok());
    CHECK(parsed.value()["name"].get<std::string>() == name);
    CHECK(parsed.value()["esc"].get<std::string>() == "\xc3\xa9\xf0\x9f\x90\xa6");
}

TEST_CASE(PERCH_JSON_CASE("Invalid UTF-8 inside a string is invalid JSON")) {
    for (std::string text : {std::string("[\"\xff\"]"), std::string("[\"\xc0\xaf\"]"),
                             std::string("[\"\xed\xa0\x80\"]"), std::string("[\"\xe2\x82\"]"),
                             std::string("[\"\\ud800\"]"), std::string("[\"\\udc00x\"]")}) {
        CAPTURE(text);
        auto parsed = parse_under_test(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::invalid_json);
        CHECK(parsed.error().message.rfind("JSON is not valid (error at byte ", 0) == 0);
    }
}

TEST_CASE(PERCH_JSON_CASE("NUL bytes and raw control characters are invalid JSON")) {
    // nlohmann alone would stop at a NUL and accept "[1]" here.
    auto trailing = parse_under_test(std::string("[1]\0[2]", 7));
    REQUIRE_FALSE(trailing.ok());
    CHECK(trailing.error().code == ErrorCode::invalid_json);
    CHECK(trailing.error().message == "JSON is not valid (error at byte 4)");

    const std::string nul_inside("[\"a\0b\"]", 7);
    for (const std::string& text : {nul_inside, std::string("[\"a\nb\"]")}) {
        auto parsed = parse_under_test(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::invalid_json);
        CHECK(parsed.error().message == "JSON is not valid (error at byte 4)");
    }
}

TEST_CASE(PERCH_JSON_CASE("Text over the size limit is too_long before any parsing")) {
    JsonLimits limits;
    limits.max_bytes = 10;
    CHECK(parse_under_test("[1,2,3,45]", limits).ok());
    auto parsed = parse_under_test("[1,2,3,456]", limits);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::too_long);
    CHECK(parsed.error().message == "JSON is longer than 10 bytes");

    auto huge = parse_under_test(std::string(1024 * 1024 + 1, ' '));
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == ErrorCode::too_long);
    CHECK(huge.error().message == "JSON is longer than 1048576 bytes");
}

TEST_CASE(PERCH_JSON_CASE("A megabyte of valid JSON within the default limit parses")) {
    std::string text = "[\"" + std::string(1024 * 1024 - 4, 'a') + "\"]";
    REQUIRE(text.size() == 1024 * 1024);
    auto parsed = parse_under_test(text);
    REQUIRE(parsed.ok());
    CHECK(parsed.value()[0].get<std::string>().size() == 1024 * 1024 - 4);
}

TEST_CASE(PERCH_JSON_CASE("Nesting up to the depth limit parses and one level more is refused")) {
    CHECK(parse_under_test(nested_arrays(32)).ok());
    auto deep = parse_under_test(nested_arrays(33));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error().code == ErrorCode::invalid_json);
    CHECK(deep.error().message == "JSON is nested deeper than 32 levels");

    JsonLimits limits;
    limits.max_depth = 2;
    CHECK(parse_under_test(R"({"a":[1]})", limits).ok());
    auto objects = parse_under_test(R"({"a":{"b":{}}})", limits);
    REQUIRE_FALSE(objects.ok());
    CHECK(objects.error().message == "JSON is nested deeper than 2 levels");
}

TEST_CASE(PERCH_JSON_CASE("Brackets inside strings do not count as nesting")) {
    const std::string text = "[\"" + std::string(1000, '[') + "\\\"{{{\"]";
    auto parsed = parse_under_test(text);
    REQUIRE(parsed.ok());
    CHECK(parsed.value()[0].get<std::string>() == std::string(1000, '[') + "\"{{{");
}

TEST_CASE(PERCH_JSON_CASE("Absurd nesting is refused quickly without recursing")) {
    const auto started = std::chrono::steady_clock::now();
    for (const std::string& text :
         {std::string(100000, '['),
          std::string(1000000, '['),  // at the size cap, still within it
          [] {
              std::string s;
              for (int i = 0; i < 100000; ++i) s += "{\"a\":";
              return s;
          }()}) {
        auto parsed = parse_under_test(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::invalid_json);
        CHECK(parsed.error().message == "JSON is nested deeper than 32 levels");
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    // Refusal stops at depth 33, so this is microseconds; a second is generous.
    CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE(PERCH_JSON_CASE("Duplicate keys in one object are refused")) {
    auto parsed = parse_under_test(R"({"id_str":"1","id_str":"2"})");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::invalid_json);
    CHECK(parsed.error().message == "JSON has a duplicate object key");

    // The same key in sibling or nested objects is fine.
    CHECK(parse_under_test(R"({"a":{"a":1},"b":[{"a":1},{"a":2}]})").ok());
}

TEST_CASE(PERCH_JSON_CASE("Integers keep their exact value at the 64-bit edges")) {
    auto parsed = parse_under_test(
        "[18446744073709551615, -9223372036854775808, 18446744073709551616, 1e400]");
    // 1e400 overflows a double: nlohmann refuses it rather than storing infinity.
    REQUIRE_FALSE(parsed.ok());

    auto edges = parse_under_test("[18446744073709551615, -9223372036854775808, 18446744073709551616]");
    REQUIRE(edges.ok());
    const auto& v = edges.value();
    CHECK(v[0].is_number_unsigned());
    CHECK(v[0].get<std::uint64_t>() == 18446744073709551615ULL);
    CHECK(v[1].is_number_integer());
    CHECK(v[1].get<std::int64_t>() == INT64_MIN);
    CHECK(v[2].is_number_float());  // beyond uint64: becomes a double
}
