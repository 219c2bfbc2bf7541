#include <catch2/catch.hpp>

#include <string>

#include "core/unicode_text.h"

using perch::decode_utf8;

TEST_CASE("UTF-8 decodes strictly, one code point at a time") {
    const std::string text = "a\xc3\xa9\xe2\x80\x8b\xf0\x9f\x90\xa6";
    CHECK(decode_utf8(text, 0).value == U'a');
    CHECK(decode_utf8(text, 1).value == U'\u00e9');
    CHECK(decode_utf8(text, 1).length == 2);
    CHECK(decode_utf8(text, 3).value == U'\u200b');
    CHECK(decode_utf8(text, 6).value == U'\U0001F426');
    CHECK(decode_utf8(text, 6).length == 4);
    for (const std::string& bad : {std::string("\xc0\xaf"), std::string("\xe0\x80\xaf"),
                                   std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                                   std::string("\xc3"), std::string("\x80"), std::string("\xff")}) {
        CAPTURE(bad);
        const auto cp = decode_utf8(bad, 0);
        CHECK_FALSE(cp.valid);
        CHECK(cp.length == 1);
    }
}

TEST_CASE("The Unicode property tables hold their edges") {
    // Each property's first and last members and their neighbours; tests/js
    // checks every code point against the JavaScript engine's \p{...}.
    CHECK(perch::is_white_space(U'\t'));
    CHECK(perch::is_white_space(U'\u3000'));
    CHECK_FALSE(perch::is_white_space(U'\u200b'));
    CHECK_FALSE(perch::is_white_space(U'\u180e'));
    CHECK(perch::is_default_ignorable(U'\u00ad'));
    CHECK(perch::is_default_ignorable(U'\U000E0FFF'));
    CHECK_FALSE(perch::is_default_ignorable(U'\U000E1000'));
    CHECK_FALSE(perch::is_default_ignorable(U'\u00ac'));
    CHECK_FALSE(perch::is_default_ignorable(U' '));
    CHECK(perch::is_bidi_control(U'\u061c'));
    CHECK(perch::is_bidi_control(U'\u2069'));
    CHECK_FALSE(perch::is_bidi_control(U'\u200d'));
    CHECK_FALSE(perch::is_bidi_control(U'\u206a'));
    CHECK(perch::is_invisible(U'\u2800'));
    CHECK(perch::is_invisible(U' '));
    CHECK(perch::is_invisible(U'\u3164'));
    CHECK_FALSE(perch::is_invisible(U'\u2801'));
    CHECK_FALSE(perch::is_invisible(U'a'));
    CHECK(perch::is_control_or_line_break(U'\u0085'));
    CHECK(perch::is_control_or_line_break(U'\u2029'));
    CHECK_FALSE(perch::is_control_or_line_break(U'\u00a0'));
}
