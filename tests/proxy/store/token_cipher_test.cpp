#include "store/token_cipher.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

// Deterministic "randomness": consecutive byte values from `next`.
class SequenceRandom final : public perch::RandomSource {
public:
    explicit SequenceRandom(unsigned char next) : next_(next) {}
    void fill(unsigned char* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) out[i] = next_++;
    }

private:
    unsigned char next_;
};

perch::TokenKey counting_key() {
    perch::TokenKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i);
    return key;
}

std::string to_hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : bytes) {
        hex.push_back(digits[byte >> 4]);
        hex.push_back(digits[byte & 0xf]);
    }
    return hex;
}

const std::string authentication_failed =
    "sealed token failed authentication (tampered, wrong key, or another account's value)";

}  // namespace

TEST_CASE("parse_token_key turns 64 hex digits of either case into 32 bytes") {
    const auto key = perch::parse_token_key(
        "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F");
    REQUIRE(key.ok());
    CHECK(key.value() == counting_key());
}

TEST_CASE("parse_token_key rejects a key that is not exactly 64 characters") {
    const std::string good(64, 'a');
    for (const std::string& input : {std::string(), std::string(63, 'a'), std::string(65, 'a'),
                                     good + "\n", "0x" + good}) {
        const auto key = perch::parse_token_key(input);
        REQUIRE_FALSE(key.ok());
        CHECK(key.error().code == perch::ErrorCode::invalid_field);
        CHECK(key.error().message == "token key must be 64 hex digits (32 bytes); got " +
                                         std::to_string(input.size()) + " characters");
    }
}

TEST_CASE("parse_token_key rejects non-hex characters without quoting the key") {
    for (const char bad : {'g', 'G', ' ', '-', '\0', '\xff'}) {
        std::string input = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef";
        input.insert(input.begin() + 40, bad);
        REQUIRE(input.size() == 64);
        const auto key = perch::parse_token_key(input);
        REQUIRE_FALSE(key.ok());
        CHECK(key.error().message == "token key must contain only hex digits 0-9, a-f");
    }
}

TEST_CASE("A sealed token matches an independent AES-256-GCM implementation") {
    // Expected bytes from Python's `cryptography` AESGCM: key 00..1f, nonce a0..ab,
    // associated data "\x01perch.test" (version byte + caller's binding).
    SequenceRandom random(0xa0);
    const perch::TokenCipher cipher(counting_key(), random);
    const std::string sealed = cipher.seal("token-123", "perch.test");
    CHECK(to_hex(sealed) ==
          "01a0a1a2a3a4a5a6a7a8a9aaab927717482be6338d5134604cd54299444aa19d78cd2d8c4300");
}

TEST_CASE("A sealed token opens to the original plaintext") {
    SequenceRandom random(0);
    const perch::TokenCipher cipher(counting_key(), random);
    for (const std::string& plaintext :
         {std::string(), std::string("t"),
          std::string("1234567890-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"), std::string(1000, 'x')}) {
        const std::string sealed = cipher.seal(plaintext, "ad");
        CHECK(sealed.size() == plaintext.size() + perch::TokenCipher::overhead);
        CHECK(static_cast<unsigned char>(sealed[0]) == perch::TokenCipher::format_v1);
        if (plaintext.size() > 4) CHECK(sealed.find(plaintext) == std::string::npos);
        const auto opened = cipher.open(sealed, "ad");
        REQUIRE(opened.ok());
        CHECK(opened.value() == plaintext);
    }
}

TEST_CASE("Sealing the same token twice uses a fresh nonce each time") {
    perch::SecureRandom random;
    const perch::TokenCipher cipher(counting_key(), random);
    const std::string first = cipher.seal("same token", "ad");
    const std::string second = cipher.seal("same token", "ad");
    CHECK(first.substr(1, perch::TokenCipher::nonce_size) !=
          second.substr(1, perch::TokenCipher::nonce_size));
    CHECK(first != second);
}

TEST_CASE("Flipping any bit of a sealed token makes it fail to open") {
    SequenceRandom random(7);
    const perch::TokenCipher cipher(counting_key(), random);
    const std::string sealed = cipher.seal("access-token-value", "twitter:42");
    // Every region: version byte, nonce, ciphertext, tag.
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string tampered = sealed;
            tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
            const auto opened = cipher.open(tampered, "twitter:42");
            INFO("byte " << i << " bit " << bit);
            REQUIRE_FALSE(opened.ok());
            CHECK(opened.error().code == perch::ErrorCode::invalid_field);
            CHECK(opened.error().message == (i == 0 ? "sealed token has an unknown format version"
                                                    : authentication_failed));
        }
    }
}

TEST_CASE("A truncated or extended sealed token fails to open") {
    SequenceRandom random(7);
    const perch::TokenCipher cipher(counting_key(), random);
    const std::string sealed = cipher.seal("abc", "ad");
    for (std::size_t size = 0; size < perch::TokenCipher::overhead; ++size) {
        const auto opened = cipher.open(sealed.substr(0, size), "ad");
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().message == "sealed token is truncated");
    }
    for (const std::string& changed : {sealed.substr(0, sealed.size() - 1), sealed + "x"}) {
        const auto opened = cipher.open(changed, "ad");
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().message == authentication_failed);
    }
}

TEST_CASE("A sealed token does not open under another key") {
    SequenceRandom random(1);
    const perch::TokenCipher cipher(counting_key(), random);
    perch::TokenKey other_key = counting_key();
    other_key[31] ^= 1;
    const perch::TokenCipher other(other_key, random);
    const auto opened = other.open(cipher.seal("secret-value", "ad"), "ad");
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().message == authentication_failed);
    CHECK(opened.error().message.find("secret-value") == std::string::npos);
}

TEST_CASE("A sealed token does not open with different associated data") {
    SequenceRandom random(1);
    const perch::TokenCipher cipher(counting_key(), random);
    const auto binding = [](const std::string& field, const std::string& id) {
        return field + '\0' + id;
    };
    const std::string sealed = cipher.seal("secret-value", binding("access_token", "42"));
    REQUIRE(cipher.open(sealed, binding("access_token", "42")).ok());
    for (const std::string& other : {binding("access_token", "43"),
                                     binding("access_token_secret", "42"),
                                     binding("access_token", "4"), std::string()}) {
        const auto opened = cipher.open(sealed, other);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().message == authentication_failed);
    }
}

TEST_CASE("The key check value matches an independent HKDF-SHA256 + HMAC-SHA256 and differs per key") {
    // Expected values from Python's `cryptography` (HKDF, no salt, info
    // "perch token key check"; then HMAC-SHA256 of "perch token key check v1").
    SequenceRandom random(0);
    const perch::TokenCipher counting(counting_key(), random);
    perch::TokenKey ones{};
    ones.fill(0xff);
    const perch::TokenCipher all_ones(ones, random);
    CHECK(to_hex(counting.key_check_value()) ==
          "add409cf6c5183490a07f337343cad7c2787fd0dcf1db138c5b6c8f5ba0f0104");
    CHECK(to_hex(all_ones.key_check_value()) ==
          "e16a05cc0d274f0f6a98753c261f7310d08ec537ae7342c450ff557da7860c91");
    // Deterministic (it is compared across starts), and not the key itself.
    CHECK(counting.key_check_value() == counting.key_check_value());
    const std::string key_bytes(counting_key().begin(), counting_key().end());
    CHECK(counting.key_check_value().find(key_bytes.substr(0, 8)) == std::string::npos);
}
