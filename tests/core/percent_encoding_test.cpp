#include <catch2/catch.hpp>

#include <string>

#include "core/percent_encoding.h"

using perch::ErrorCode;
using perch::is_valid_utf8;
using perch::percent_decode;
using perch::percent_encode;
using perch::PlusMeans;

namespace {

std::string decoded(std::string_view text, PlusMeans plus = PlusMeans::plus) {
    auto result = percent_decode(text, plus);
    REQUIRE(result.ok());
    return result.value();
}

std::string decode_error(std::string_view text, PlusMeans plus = PlusMeans::plus) {
    auto result = percent_decode(text, plus);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::invalid_encoding);
    return result.error().message;
}

}  // namespace

TEST_CASE("Unreserved characters pass through percent-encoding unchanged", "[percent_encoding]") {
    const std::string unreserved =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    CHECK(percent_encode(unreserved) == unreserved);
}

TEST_CASE("Every other ASCII character is encoded with upper-case hex", "[percent_encoding]") {
    CHECK(percent_encode(" ") == "%20");
    CHECK(percent_encode("+") == "%2B");
    CHECK(percent_encode("*") == "%2A");
    CHECK(percent_encode("!#$&'()*+,/:;=?@[]") == "%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D");
    CHECK(percent_encode("%") == "%25");
    CHECK(percent_encode("\x7F") == "%7F");
    CHECK(percent_encode(std::string_view("\0", 1)) == "%00");
    CHECK(percent_encode("Ladies + Gentlemen") == "Ladies%20%2B%20Gentlemen");
}

TEST_CASE("Percent-encoding of the empty string is empty", "[percent_encoding]") {
    CHECK(percent_encode("") == "");
}

TEST_CASE("UTF-8 text is encoded byte by byte", "[percent_encoding]") {
    CHECK(percent_encode("\xE2\x98\x83") == "%E2%98%83");           // U+2603 snowman
    CHECK(percent_encode("caf\xC3\xA9") == "caf%C3%A9");             // café
    CHECK(percent_encode("\xF0\x9F\x90\xA6") == "%F0%9F%90%A6");     // U+1F426 bird
    CHECK(percent_encode("\xFF") == "%FF");                         // not UTF-8, still bytes
}

TEST_CASE("Decoding reverses encoding for every byte value except NUL", "[percent_encoding]") {
    std::string all;
    for (int b = 1; b < 0x80; ++b) all.push_back(static_cast<char>(b));
    all += "\xC3\xA9\xE2\x98\x83\xF0\x9F\x90\xA6";
    CHECK(decoded(percent_encode(all)) == all);
}

TEST_CASE("Decoding accepts lower-case hex digits", "[percent_encoding]") {
    CHECK(decoded("%2b%2F%e2%98%83") == "+/\xE2\x98\x83");
}

TEST_CASE("Plus decodes to a space only when asked to", "[percent_encoding]") {
    CHECK(decoded("a+b") == "a+b");
    CHECK(decoded("a+b", PlusMeans::space) == "a b");
    CHECK(decoded("a%2Bb", PlusMeans::space) == "a+b");
}

TEST_CASE("Decoding leaves characters that need no decoding alone", "[percent_encoding]") {
    CHECK(decoded("") == "");
    CHECK(decoded("plain text=ok&") == "plain text=ok&");
    CHECK(decoded("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("A percent sign without two hex digits is an error, not a guess", "[percent_encoding]") {
    CHECK(decode_error("%") == "malformed percent-escape at byte 0");
    CHECK(decode_error("ab%4") == "malformed percent-escape at byte 2");
    CHECK(decode_error("%G0") == "malformed percent-escape at byte 0");
    CHECK(decode_error("%0G") == "malformed percent-escape at byte 0");
    CHECK(decode_error("100%") == "malformed percent-escape at byte 3");
    CHECK(decode_error("%%41") == "malformed percent-escape at byte 0");
    CHECK(decode_error("% 41") == "malformed percent-escape at byte 0");
}

TEST_CASE("A NUL byte, encoded or raw, is an error", "[percent_encoding]") {
    CHECK(decode_error("a%00b") == "text contains a NUL byte");
    CHECK(decode_error(std::string_view("a\0b", 3)) == "text contains a NUL byte");
}

TEST_CASE("Decoded bytes that are not UTF-8 are an error", "[percent_encoding]") {
    CHECK(decode_error("%FF") == "text is not valid UTF-8");
    CHECK(decode_error("%C3") == "text is not valid UTF-8");       // truncated sequence
    CHECK(decode_error("%C0%AF") == "text is not valid UTF-8");    // overlong '/'
    CHECK(decode_error("%ED%A0%80") == "text is not valid UTF-8"); // surrogate U+D800
    CHECK(decode_error("\xE9t\xE9") == "text is not valid UTF-8");  // raw Latin-1
}

TEST_CASE("Decoding a huge input works and stays exact", "[percent_encoding]") {
    const std::string big(1 << 20, 'x');
    CHECK(decoded(big) == big);
    std::string encoded;
    for (int i = 0; i < 100000; ++i) encoded += "%E2%98%83";
    const auto text = decoded(encoded);
    CHECK(text.size() == 300000);
    CHECK(percent_encode(text) == encoded);
}

TEST_CASE("Valid UTF-8 covers ASCII and every sequence length at its boundaries", "[utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ASCII"));
    CHECK(is_valid_utf8("\x7F"));
    CHECK(is_valid_utf8("\xC2\x80"));          // U+0080, smallest two-byte
    CHECK(is_valid_utf8("\xDF\xBF"));          // U+07FF
    CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest three-byte
    CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
    CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
    CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest four-byte
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the largest code point
    CHECK(is_valid_utf8("J\xC3\xBCrgen \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x90\xA6"));
}

TEST_CASE("Overlong UTF-8 encodings are rejected", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
    CHECK_FALSE(is_valid_utf8("\xC1\xBF"));          // overlong U+007F
    CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));      // overlong U+07FF
    CHECK_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));  // overlong U+FFFF
}

TEST_CASE("UTF-16 surrogates encoded as UTF-8 are rejected", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));  // U+D800
    CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));  // U+DFFF
    CHECK_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB0\xA6"));  // a CESU-8 surrogate pair
}

TEST_CASE("Code points above U+10FFFF are rejected", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // old five-byte form
    CHECK_FALSE(is_valid_utf8("\xFE"));
    CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("Truncated and stray UTF-8 sequences are rejected", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
    CHECK_FALSE(is_valid_utf8("a\xBF"));
    CHECK_FALSE(is_valid_utf8("\xC3"));              // lead byte at the end
    CHECK_FALSE(is_valid_utf8("\xE2\x98"));          // three-byte sequence cut short
    CHECK_FALSE(is_valid_utf8("\xF0\x9F\x90"));      // four-byte sequence cut short
    CHECK_FALSE(is_valid_utf8("\xC3" "A"));          // lead followed by ASCII
    CHECK_FALSE(is_valid_utf8("\xE2\x98" "A"));
    CHECK_FALSE(is_valid_utf8("\xF0\x9F\x90" "A"));
}
