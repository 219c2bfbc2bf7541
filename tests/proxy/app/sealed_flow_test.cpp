// Sealed flows: the keys derived from PERCH_TOKEN_KEY (checked against
// RFC 5869's vector and Python's hmac module), the seal's binding and
// strictness, and the keyed names of consumed flows.
#include <catch2/catch.hpp>

#include <string>

#include "support/app_fakes.h"
#include "base/key_derivation.h"
#include "app/sealed_flow.h"

using namespace perch;
using perch::testing::CountingRandom;

namespace {

std::string to_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : bytes) {
        hex += digits[byte >> 4];
        hex += digits[byte & 0xf];
    }
    return hex;
}

std::string to_hex(const TokenKey& key) {
    return to_hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

TokenKey counting_key() {
    TokenKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i);
    return key;
}

// URL-safe Base64 without padding, written out here rather than borrowed from the code under test.
std::string base64url(std::string_view bytes) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned bits = 0, count = 0;
    for (unsigned char byte : bytes) {
        bits = (bits << 8) | byte;
        count += 8;
        while (count >= 6) out += alphabet[(bits >> (count -= 6)) & 63];
    }
    if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
    return out;
}

PendingFlow flow(const std::string& id = "rt-abc_123", std::int64_t expires = 1700000600) {
    return PendingFlow{FlowProtocol::oauth1, id, "RT-SECRET-xyz", expires};
}

}  // namespace

TEST_CASE("hkdf_sha256 gives RFC 5869's test case 1") {
    const std::string okm = hkdf_sha256(std::string(22, '\x0b'), std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 13),
                                        "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9", 42);
    CHECK(to_hex(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("Each purpose's key is derived with its own label, and none is the master key") {
    // Expected values from Python's hmac module (HKDF-SHA256, empty salt).
    CHECK(to_hex(derive_key(counting_key(), flow_seal_label)) ==
          "fec15ed2938cf1eb1314dd3c8684124a7e5e8eeb42d1618b759efb1ce610ba5d");
    CHECK(to_hex(derive_key(counting_key(), flow_key_label)) ==
          "d3c50603ef590598f396e784ff998fa9b35bbce6c3480d42288bef91f941d33d");
}

TEST_CASE("A sealed flow opens to the same flow under the same binding, and never under another") {
    CountingRandom random;
    FlowSeal seal(counting_key(), random);
    const std::string text = seal.seal(flow(), "perch_flow_AAAAAAAAAAA");
    for (char c : text) {
        const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        CHECK(base64url);
    }
    CHECK(text.find("RT-SECRET") == std::string::npos);
    CHECK(text.size() < 200);
    auto opened = seal.open(text, "perch_flow_AAAAAAAAAAA");
    REQUIRE(opened);
    CHECK(opened->protocol == FlowProtocol::oauth1);
    CHECK(opened->id == "rt-abc_123");
    CHECK(opened->secret == "RT-SECRET-xyz");
    CHECK(opened->expires_unix == 1700000600);
    CHECK_FALSE(seal.open(text, "perch_flow_BBBBBBBBBBB"));
    CHECK_FALSE(seal.open(text, ""));
    CHECK(seal.seal(flow(), "perch_flow_AAAAAAAAAAA") != text);  // a fresh nonce each time
}

TEST_CASE("A flow sealed under another token key, or by the token cipher itself, does not open") {
    CountingRandom random;
    FlowSeal seal(counting_key(), random);
    TokenKey other = counting_key();
    other[0] ^= 1;
    FlowSeal foreign(other, random);
    CHECK_FALSE(seal.open(foreign.seal(flow(), "n"), "n"));
    // The raw token key is not the flow key: a value the token cipher sealed is not a flow.
    TokenCipher cipher(counting_key(), random);
    const std::string payload = R"({"v":1,"p":"oauth1","t":"rt","s":"s","x":1700000600})";
    CHECK_FALSE(seal.open(base64url(cipher.seal(payload, "perch-flow\nn")), "n"));
    TokenCipher derived(derive_key(counting_key(), flow_seal_label), random);
    CHECK(seal.open(base64url(derived.seal(payload, "perch-flow\nn")), "n"));
}

TEST_CASE("Opening is strict: altered, truncated, padded, over-long or foreign text is refused, never thrown") {
    CountingRandom random;
    FlowSeal seal(counting_key(), random);
    const std::string text = seal.seal(flow(), "n");
    for (std::size_t i = 0; i < text.size(); i += 7) {
        std::string altered = text;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        CHECK_FALSE(seal.open(altered, "n"));
    }
    CHECK_FALSE(seal.open(text.substr(0, text.size() - 1), "n"));
    CHECK_FALSE(seal.open(text + "=", "n"));
    CHECK_FALSE(seal.open(text + "\n", "n"));
    CHECK_FALSE(seal.open(" " + text, "n"));
    CHECK_FALSE(seal.open("", "n"));
    CHECK_FALSE(seal.open(std::string(FlowSeal::max_sealed_text + 4, 'A'), "n"));
    // The last character's unused low bits changed: the same bytes, another spelling.
    std::string noncanonical = text;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::size_t last = alphabet.find(noncanonical.back());
    REQUIRE(text.size() % 4 != 0);  // 1 + 12 + payload + 16 bytes is not a multiple of 3
    noncanonical.back() = alphabet[last ^ 1];
    CHECK_FALSE(seal.open(noncanonical, "n"));
    std::string standard = text;  // the standard alphabet is not this encoding
    for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
    if (standard != text) CHECK_FALSE(seal.open(standard, "n"));
}

TEST_CASE("Only the versioned payload shape opens, with token-shaped id and secret") {
    CountingRandom random;
    const TokenKey key = counting_key();
    FlowSeal seal(key, random);
    // Seal arbitrary payloads with the derived key, as a forger holding it could.
    TokenCipher cipher(derive_key(key, flow_seal_label), random);
    auto sealed_text = [&](const std::string& payload) { return base64url(cipher.seal(payload, "perch-flow\nn")); };
    CHECK(seal.open(sealed_text(R"({"v":1,"p":"oauth1","t":"rt","s":"sec","x":5})"), "n"));
    const std::string verifier(43, 'v');
    CHECK(seal.open(sealed_text(R"({"v":1,"p":"oauth2","t":"st","s":")" + verifier + R"(","x":5})"), "n"));
    for (const char* bad : {R"({"v":2,"p":"oauth1","t":"rt","s":"sec","x":5})",
                            R"({"v":1,"p":"oauth2","t":"rt","s":"sec","x":5})",
                            R"({"v":1,"p":"oauth3","t":"rt","s":"sec","x":5})",
                            R"({"v":1,"p":"oauth1","t":"r t","s":"sec","x":5})",
                            R"({"v":1,"p":"oauth1","t":"","s":"sec","x":5})",
                            R"({"v":1,"p":"oauth1","t":"rt","s":"","x":5})",
                            R"({"v":1,"p":"oauth1","t":"rt","s":"sec","x":"5"})",
                            R"({"v":1,"p":"oauth1","t":"rt","s":"sec","x":5.5})",
                            R"({"v":1,"p":"oauth1","t":"rt","s":"sec"})",
                            R"({"v":1,"p":"oauth1","t":"rt","s":"sec","x":5,"y":1})",
                            R"({"v":1,"p":"oauth1","t":"rt","t":"rt","s":"sec","x":5})",
                            R"([1,"oauth1","rt","sec",5])", "not json"}) {
        INFO(bad);
        CHECK_FALSE(seal.open(sealed_text(bad), "n"));
    }
    const std::string long_id(257, 'a');
    CHECK_FALSE(seal.open(sealed_text(R"({"v":1,"p":"oauth1","t":")" + long_id + R"(","s":"sec","x":5})"), "n"));
}

TEST_CASE("A flow's key is a keyed hash of its protocol and id: the same for every proxy with the token key") {
    CountingRandom random;
    FlowSeal seal(counting_key(), random);
    FlowSeal same_key(counting_key(), random);
    TokenKey other = counting_key();
    other[31] ^= 0x80;
    FlowSeal other_key(other, random);
    CHECK(seal.key_of(FlowProtocol::oauth1, "rt1") == same_key.key_of(FlowProtocol::oauth1, "rt1"));
    CHECK(seal.key_of(FlowProtocol::oauth1, "rt1") != seal.key_of(FlowProtocol::oauth1, "rt2"));
    CHECK(seal.key_of(FlowProtocol::oauth1, "rt1") != other_key.key_of(FlowProtocol::oauth1, "rt1"));
}
