// Keys for separate purposes from the one secret the operator configures
// (PERCH_TOKEN_KEY): HKDF-SHA256 (RFC 5869, OpenSSL's EVP_KDF), so a key used
// for one purpose reveals nothing about the master key or the other keys.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace perch {

// RFC 5869 extract-and-expand: `length` bytes (1..8160) from `key_material`,
// `salt` (may be empty) and `info` (what the key is for).
std::string hkdf_sha256(std::string_view key_material, std::string_view salt, std::string_view info,
                        std::size_t length);

// A 32-byte key for the purpose named by `label` (e.g. "perch flow cookie v1"),
// derived from a 32-byte master key with an empty salt: the master key is
// already uniformly random, so extraction needs none.
std::array<unsigned char, 32> derive_key(const std::array<unsigned char, 32>& master, std::string_view label);

}  // namespace perch
