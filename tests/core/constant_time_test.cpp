#include <catch2/catch.hpp>

#include <string>

#include "core/constant_time.h"

using perch::constant_time_equal;

TEST_CASE("Equal strings compare equal", "[constant_time]") {
    CHECK(constant_time_equal("abc", "abc"));
    CHECK(constant_time_equal("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                              "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"));
    CHECK(constant_time_equal("\xE2\x98\x83", "\xE2\x98\x83"));
}

TEST_CASE("Two empty strings are equal, as documented", "[constant_time]") {
    CHECK(constant_time_equal("", ""));
}

TEST_CASE("A difference in any single position is found", "[constant_time]") {
    const std::string secret = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    for (std::size_t i = 0; i < secret.size(); ++i) {
        std::string guess = secret;
        guess[i] = static_cast<char>(guess[i] ^ 0x01);
        INFO("position " << i);
        CHECK_FALSE(constant_time_equal(secret, guess));
    }
}

TEST_CASE("A difference in only the high bit is found", "[constant_time]") {
    CHECK_FALSE(constant_time_equal("a", "\xE1"));
}

TEST_CASE("Strings of different lengths are never equal, prefixes included", "[constant_time]") {
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
    CHECK_FALSE(constant_time_equal("abcd", "abc"));
    CHECK_FALSE(constant_time_equal("", "a"));
    CHECK_FALSE(constant_time_equal("a", ""));
}

TEST_CASE("Trailing NUL bytes do not make a shorter string equal", "[constant_time]") {
    CHECK_FALSE(constant_time_equal("abc", std::string("abc\0", 4)));
    CHECK_FALSE(constant_time_equal(std::string("\0", 1), ""));
    CHECK(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
}
