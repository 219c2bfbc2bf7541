#include <catch2/catch.hpp>

#include "emulator/nonce_cache.h"

using namespace perch::emulator;

TEST_CASE("A nonce is accepted once and refused when reused") {
    NonceCache nonces(300, 100);
    CHECK(nonces.remember("ck", "abc", 1000, 1000));
    CHECK_FALSE(nonces.remember("ck", "abc", 1000, 1000));
}

TEST_CASE("Reusing a nonce with a different timestamp inside the window is still refused") {
    NonceCache nonces(300, 100);
    CHECK(nonces.remember("ck", "abc", 1000, 1000));
    CHECK_FALSE(nonces.remember("ck", "abc", 1001, 1001));
}

TEST_CASE("Nonces are kept per consumer key without collisions between key and nonce") {
    NonceCache nonces(300, 100);
    CHECK(nonces.remember("ck", "abc", 1000, 1000));
    CHECK(nonces.remember("other", "abc", 1000, 1000));
    CHECK(nonces.remember("a", "bc", 1000, 1000));
    CHECK(nonces.remember("ab", "c", 1000, 1000));
}

TEST_CASE("Nonces are forgotten once their timestamp falls out of the window") {
    NonceCache nonces(300, 100);
    CHECK(nonces.remember("ck", "abc", 1000, 1000));
    CHECK(nonces.size() == 1);
    CHECK(nonces.remember("ck", "other", 1301, 1301));  // 1000 < 1301 - 300: expired
    CHECK(nonces.size() == 1);
}

TEST_CASE("A full nonce cache forgets the oldest timestamps first") {
    NonceCache nonces(300, 2);
    CHECK(nonces.remember("ck", "old", 1000, 1100));
    CHECK(nonces.remember("ck", "mid", 1050, 1100));
    CHECK(nonces.remember("ck", "new", 1100, 1100));
    CHECK(nonces.size() == 2);
    CHECK_FALSE(nonces.remember("ck", "new", 1100, 1100));
    CHECK_FALSE(nonces.remember("ck", "mid", 1050, 1100));
}
