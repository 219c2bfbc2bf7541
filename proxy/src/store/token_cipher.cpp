#include "store/token_cipher.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace perch {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// OpenSSL failing on a fixed, valid cipher and key means memory exhaustion or a
// broken library; carrying on could store tokens we can never read back.
[[noreturn]] void openssl_broken(const char* what) {
    std::fprintf(stderr, "perch: OpenSSL failed in the token cipher (%s); stopping\n", what);
    std::abort();
}

int length_arg(std::size_t size) {
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
        openssl_broken("input too large");
    }
    return static_cast<int>(size);
}

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

unsigned char* bytes(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

}  // namespace

Result<TokenKey> parse_token_key(std::string_view hex) {
    if (hex.size() != 2 * TokenKey().size()) {
        return Error{ErrorCode::invalid_field, "token key must be 64 hex digits (32 bytes); got " +
                                                   std::to_string(hex.size()) + " characters"};
    }
    TokenKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            OPENSSL_cleanse(key.data(), key.size());
            return Error{ErrorCode::invalid_field, "token key must contain only hex digits 0-9, a-f"};
        }
        key[i] = static_cast<unsigned char>(high * 16 + low);
    }
    Result<TokenKey> result(key);
    OPENSSL_cleanse(key.data(), key.size());
    return result;
}

TokenCipher::TokenCipher(const TokenKey& key, RandomSource& random)
    : key_(key), random_(random), aes_256_gcm_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)) {
    if (aes_256_gcm_ == nullptr) openssl_broken("fetch");
}

TokenCipher::~TokenCipher() {
    OPENSSL_cleanse(key_.data(), key_.size());
    EVP_CIPHER_free(aes_256_gcm_);
}

std::string TokenCipher::seal(std::string_view plaintext, std::string_view associated_data) const {
    std::string out(overhead + plaintext.size(), '\0');
    unsigned char* header = bytes(out);
    header[0] = format_v1;
    unsigned char* nonce = header + 1;
    unsigned char* body = nonce + nonce_size;
    unsigned char* tag = body + plaintext.size();
    random_.fill(nonce, nonce_size);

    Ctx ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    // 12-byte nonce is GCM's default IV length, so no EVP_CTRL_GCM_SET_IVLEN.
    if (!ctx || EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm_, key_.data(), nonce, nullptr) != 1) {
        openssl_broken("encrypt init");
    }
    // Associated data: the version byte, then the caller's binding.
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &length, header, 1) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associated_data),
                          length_arg(associated_data.size())) != 1) {
        openssl_broken("encrypt aad");
    }
    int written = 0;
    if (!plaintext.empty()) {
        if (EVP_EncryptUpdate(ctx.get(), body, &written, bytes(plaintext),
                              length_arg(plaintext.size())) != 1) {
            openssl_broken("encrypt");
        }
    }
    if (EVP_EncryptFinal_ex(ctx.get(), body + written, &length) != 1 ||
        static_cast<std::size_t>(written + length) != plaintext.size() ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), tag) != 1) {
        openssl_broken("encrypt final");
    }
    return out;
}

Result<std::string> TokenCipher::open(std::string_view sealed,
                                      std::string_view associated_data) const {
    if (sealed.size() < overhead) {
        return Error{ErrorCode::invalid_field, "sealed token is truncated"};
    }
    const unsigned char* header = bytes(sealed);
    if (header[0] != format_v1) {
        return Error{ErrorCode::invalid_field, "sealed token has an unknown format version"};
    }
    const unsigned char* nonce = header + 1;
    const unsigned char* body = nonce + nonce_size;
    const std::size_t body_size = sealed.size() - overhead;
    // EVP wants a non-const tag pointer for SET_TAG; copy the 16 bytes.
    unsigned char tag[tag_size];
    for (std::size_t i = 0; i < tag_size; ++i) tag[i] = body[body_size + i];

    Ctx ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    if (!ctx || EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm_, key_.data(), nonce, nullptr) != 1) {
        openssl_broken("decrypt init");
    }
    if (EVP_DecryptUpdate(ctx.get(), nullptr, &length, header, 1) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associated_data),
                          length_arg(associated_data.size())) != 1) {
        openssl_broken("decrypt aad");
    }
    std::string plaintext(body_size, '\0');
    int written = 0;
    if (body_size > 0 && EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &written, body,
                                           length_arg(body_size)) != 1) {
        openssl_broken("decrypt");
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag) != 1) {
        openssl_broken("decrypt set tag");
    }
    // The tag check happens here; until it passes the bytes are not trusted.
    if (EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + written, &length) != 1) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        return Error{ErrorCode::invalid_field,
                     "sealed token failed authentication (tampered, wrong key, or another "
                     "account's value)"};
    }
    return plaintext;
}

std::string TokenCipher::key_check_value() const {
    static constexpr char info[] = "perch token key check";
    static constexpr char message[] = "perch token key check v1";
    unsigned char purpose_key[32];
    EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* ctx = hkdf != nullptr ? EVP_KDF_CTX_new(hkdf) : nullptr;
    EVP_KDF_free(hkdf);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(key_.data()),
                                          key_.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info), sizeof info - 1),
        OSSL_PARAM_construct_end(),
    };
    const bool derived =
        ctx != nullptr && EVP_KDF_derive(ctx, purpose_key, sizeof purpose_key, params) == 1;
    EVP_KDF_CTX_free(ctx);
    if (!derived) openssl_broken("HKDF");

    std::string check(32, '\0');
    unsigned int length = 0;
    const unsigned char* mac =
        HMAC(EVP_sha256(), purpose_key, sizeof purpose_key, reinterpret_cast<const unsigned char*>(message),
             sizeof message - 1, bytes(check), &length);
    OPENSSL_cleanse(purpose_key, sizeof purpose_key);
    if (mac == nullptr || length != check.size()) openssl_broken("HMAC-SHA256");
    return check;
}

}  // namespace perch
