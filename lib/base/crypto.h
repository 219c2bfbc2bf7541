// The few cryptographic primitives Perch needs, all from OpenSSL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace perch {

enum class HmacDigest { sha1, sha256 };

// HMAC of `message` under `key` into `out` (room for EVP_MAX_MD_SIZE bytes);
// the MAC's length. Aborts the process if OpenSSL fails.
std::size_t hmac(HmacDigest digest, std::string_view key, std::string_view message, unsigned char* out);

// HMAC-SHA1 of `message` under `key`, Base64-encoded: an oauth_signature (RFC 5849 §3.4.2).
std::string hmac_sha1_base64(std::string_view key, std::string_view message);

// Standard Base64 with padding.
std::string base64_encode(std::string_view bytes);

// Randomness is passed in, never global, so tests can be deterministic.
class RandomSource {
public:
    virtual ~RandomSource() = default;
    // Fills `out` with `size` unpredictable bytes.
    virtual void fill(unsigned char* out, std::size_t size) = 0;
};

// OpenSSL's CSPRNG (RAND_bytes), drawn 1 KiB at a time per thread for small
// requests (nonces, ids, IVs) and directly for larger ones. Aborts the process if it ever fails: running on
// without unpredictable nonces and session ids would be worse than stopping.
class SecureRandom final : public RandomSource {
public:
    void fill(unsigned char* out, std::size_t size) override;
};

// `bytes` random bytes as URL-safe unpadded Base64 ([A-Za-z0-9_-]), e.g. for
// session ids (32 bytes) and nonces (16 bytes).
std::string random_token(RandomSource& random, std::size_t bytes);

// True when every character is one of URL-safe Base64's [A-Za-z0-9_-] (and
// for the empty string).
bool is_base64url_text(std::string_view text);

}  // namespace perch
