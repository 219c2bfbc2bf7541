#include "provider/pkce.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <openssl/evp.h>

namespace perch {

std::string make_code_verifier(RandomSource& random) { return random_token(random, 32); }

std::string make_state(RandomSource& random) { return random_token(random, 32); }

std::string code_challenge_s256(std::string_view verifier) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        std::fputs("perch: OpenSSL SHA-256 failed; stopping\n", stderr);
        std::abort();
    }
    std::string text = base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
    while (!text.empty() && text.back() == '=') text.pop_back();
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

bool is_code_verifier_text(std::string_view text) {
    return text.size() >= 43 && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
           });
}

}  // namespace perch
