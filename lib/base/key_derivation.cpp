#include "base/key_derivation.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace perch {
namespace {

struct KdfFree {
    void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
    void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// A fixed, valid derivation failing means a broken library or no memory:
// carrying on without the key is not an option.
[[noreturn]] void openssl_broken(const char* what) {
    std::fprintf(stderr, "perch: OpenSSL HKDF failed (%s); stopping\n", what);
    std::abort();
}

// OSSL_PARAM wants non-const pointers; OpenSSL only reads these.
void* bytes(std::string_view text) { return const_cast<char*>(text.data()); }

}  // namespace

std::string hkdf_sha256(std::string_view key_material, std::string_view salt, std::string_view info,
                        std::size_t length) {
    if (length == 0 || length > 255 * 32) openssl_broken("output length out of range");
    std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
    if (!kdf) openssl_broken("fetch");
    std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) openssl_broken("context");
    char digest[] = "SHA256";
    // An absent salt is RFC 5869's default (HashLen zero bytes); OpenSSL
    // refuses an empty one given explicitly.
    OSSL_PARAM params[5];
    std::size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, bytes(key_material), key_material.size());
    if (!salt.empty()) params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, bytes(salt), salt.size());
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, bytes(info), info.size());
    params[n] = OSSL_PARAM_construct_end();
    std::string out(length, '\0');
    if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) != 1) {
        openssl_broken("derive");
    }
    return out;
}

std::array<unsigned char, 32> derive_key(const std::array<unsigned char, 32>& master, std::string_view label) {
    std::string derived = hkdf_sha256(
        std::string_view(reinterpret_cast<const char*>(master.data()), master.size()), {}, label, 32);
    std::array<unsigned char, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(derived[i]);
    OPENSSL_cleanse(derived.data(), derived.size());
    return key;
}

}  // namespace perch
