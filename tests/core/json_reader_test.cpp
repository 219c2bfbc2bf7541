// read_json, the sign-up page's own JSON reader, held to parse_json's answers
// with nlohmann's parser: every case of json_input_test.cpp once more, and
// the same answer (value, number types, error and the byte it names) on
// texts that reach each of the reader's branches.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/json_input.h"
#include "../support/json_typed.h"

#define PERCH_JSON_UNDER_TEST read_json
#define PERCH_JSON_CASE(name) "read_json: " name
#include "json_input_test.cpp"

namespace {

void same_answer(const std::string& text, const JsonLimits& limits = {}) {
    INFO(text);
    CHECK(perch::test::json_answers_differ(perch::read_json(text, limits),
                                           perch::parse_json_with_nlohmann(text, limits)) == "");
}

}  // namespace

TEST_CASE("read_json gives nlohmann's answer, error byte included, on every kind of text") {
    const std::vector<std::string> texts = {
        // whitespace, the BOM, literals and their misspellings
        " \t\r\n1", "\xEF\xBB\xBF[1]", "\xEF\xBB\xBF", "\xEF\xBBx", "\xEF", "\xEF\xBB\xBF \xEF\xBB\xBF" "1", "true",
        "false", "null", "tru", "trUe", "fals", "nul", "nulll", "t", "x", "[tru]", "\xC3\xA9",
        // numbers: every state, every way to break one, the 64-bit edges and beyond
        "0", "-0", "-", "-a", "--1", "01", "-01", "00", "1.", "1.a", "1.5", "0.0", "-0.0", "1e", "1e+", "1e-", "1ea",
        "1E5", "1e+5", "1e-5", "0e0", "-0e-0", "1.5e300", "1e309", "-1e309", "1e-400", "2.2250738585072011e-308",
        "0.1", "123456789.123456789e-5", "9007199254740993", "18446744073709551615", "18446744073709551616",
        "-9223372036854775808", "-9223372036854775809", "99999999999999999999999999999", "1 2", "[1 2]",
        "[-]", "[1.]", "[1e]", "{\"a\":1e}", "[01]", "1x", "+1", ".5", "[.5]", "1.5.5", "[1,]", "[,1]",
        // strings: escapes, surrogates, UTF-8 and its violations, control characters, unterminated
        "\"\"", "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "\"\\x\"", "\"\\", "\"\\u\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\u00e9\\u00E9\"", "\"\\ud83d\\udc26\"", "\"\\ud83d\"", "\"\\ud83dx\"", "\"\\ud83d\\x\"",
        "\"\\ud83d\\u0041\"", "\"\\ud83d\\uZZZZ\"", "\"\\udc26\"", "\"\\u0000\"", "\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
        "\"\xC3\xA9\"", "\"\xC3\"", "\"\xC3x\"", "\"\xC0\x80\"", "\"\xC1\xBF\"", "\"\xE0\xA0\x80\"", "\"\xE0\x9F\x80\"",
        "\"\xED\x9F\xBF\"", "\"\xED\xA0\x80\"", "\"\xEF\xBF\xBF\"", "\"\xF0\x90\x80\x80\"", "\"\xF0\x8F\xBF\xBF\"",
        "\"\xF4\x8F\xBF\xBF\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\"\x80\"",
        "\"\xE2\x82\"", "\"\xF0\x9F\x90\"", "\"a\tb\"", "\"a\nb\"", "\"\x1F\"", "\"\x7F\"", "\"abc", "\"",
        // structure: every place a token can be missing or wrong
        "[]", "{}", "[[]]", "[{}]", "{\"a\":[]}", "[", "]", "{", "}", "[1", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1",
        "{\"a\":1,", "{\"a\" 1}", "{1:1}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{\"a\":1,2:3}", "[1}", "{\"a\":1]",
        ":", ",", "[:]", "{\"a\"::1}", "[1]]", "{}}", "[] []", "[]x", "{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":true}",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"a\":1},\"b\":{\"a\":1}}", "[{\"k\":1,\"k\":1}]", "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"\":0}", "{\"\\u0061\":1,\"a\":2}",
    };
    for (const std::string& text : texts) same_answer(text);

    // The depth limit, where the too-deep container and a syntax error compete.
    const JsonLimits shallow{1024, 2};
    for (const std::string text : {"[[1]]", "[[[1]]]", "[[[", "{\"a\":{\"b\":{}}}", "[[x", "[[]", "{\"a\":[[}"}) {
        same_answer(text, shallow);
    }
}
