// RFC 7636 (PKCE) and the OAuth 2.0 `state`: the per-sign-in secrets the proxy
// makes at start and keeps sealed in the browser's flow cookie.
#pragma once

#include <string>
#include <string_view>

#include "base/crypto.h"

namespace perch {

// 32 CSPRNG bytes as unpadded Base64url: 43 characters, 256 bits (RFC 7636
// section 4.1 asks for 43 to 128 characters of [A-Za-z0-9-._~]).
std::string make_code_verifier(RandomSource& random);

// BASE64URL(SHA256(verifier)) without padding: code_challenge_method=S256.
std::string code_challenge_s256(std::string_view verifier);

// 32 CSPRNG bytes as unpadded Base64url (43 characters, 256 bits; X takes up to 500).
std::string make_state(RandomSource& random);

// True for text a verifier may be: 43..128 characters of [A-Za-z0-9-._~].
bool is_code_verifier_text(std::string_view text);

}  // namespace perch
