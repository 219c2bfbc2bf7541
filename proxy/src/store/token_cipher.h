// Encryption at rest for Twitter access tokens: AES-256-GCM (OpenSSL EVP).
//
// A sealed value is bytes, stored as a BLOB:
//     version (1 byte, 0x01) || nonce (12) || ciphertext (same length as plaintext) || tag (16)
// The nonce is fresh from the injected RandomSource for every seal. The caller's
// associated data (e.g. the account's Twitter id and the field name) is
// authenticated but not stored, so a sealed value copied to another row or
// field no longer opens. The version byte is authenticated too.
//
// Neither the key nor any plaintext ever appears in an error message.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "base/crypto.h"
#include "core/result.h"

namespace perch {

using TokenKey = std::array<unsigned char, 32>;

// Exactly 64 hex digits (either case) -> 32 bytes. Nothing else is accepted:
// no whitespace, no trailing newline, no "0x". (Whoever reads PERCH_TOKEN_KEY_FILE
// strips the file's final newline first.) Errors are ErrorCode::invalid_field and
// never quote the input.
Result<TokenKey> parse_token_key(std::string_view hex);

class TokenCipher {
public:
    static constexpr unsigned char format_v1 = 0x01;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t overhead = 1 + nonce_size + tag_size;

    // Copies the key (wiped again on destruction). `random` must outlive the
    // cipher and be safe to call from several threads if the cipher is shared
    // (SecureRandom is).
    TokenCipher(const TokenKey& key, RandomSource& random);
    ~TokenCipher();
    TokenCipher(const TokenCipher&) = delete;
    TokenCipher& operator=(const TokenCipher&) = delete;

    std::string seal(std::string_view plaintext, std::string_view associated_data) const;

    // The plaintext, or ErrorCode::invalid_field if the value is truncated, of an
    // unknown version, or fails authentication (tampered, wrong key, or sealed
    // with different associated data).
    Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

    // 32 bytes that tell this key from another without revealing it: HMAC-SHA256,
    // under a key derived for this purpose alone (HKDF-SHA256 of the token key,
    // info "perch token key check"), of the constant "perch token key check v1".
    // Stored with the database so a start with another key is refused.
    std::string key_check_value() const;

private:
    TokenKey key_;
    RandomSource& random_;
    EVP_CIPHER* aes_256_gcm_;
};

}  // namespace perch
