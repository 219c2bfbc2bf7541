// An account's OAuth 2.0 grant from X, and how it is sealed for the database:
// each token under the token key, bound (AEAD associated data) to its
// account's X id and to its column, like the OAuth 1.0a tokens (stored_tokens.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/token_cipher.h"

namespace perch {

namespace sqlite {
class Database;
}

struct OAuth2Grant {
    std::string access_token;
    std::string refresh_token;  // empty without offline.access
    std::int64_t expires_at = 0;  // Unix seconds the access token expires; 0 when unknown
};

// The accounts.oauth2_* column values; empty BLOBs where a token is absent.
struct SealedOAuth2Grant {
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_at = 0;
};

SealedOAuth2Grant seal_oauth2_grant(const TokenCipher& cipher, std::string_view twitter_id, const OAuth2Grant& grant);

// ErrorCode::invalid_field when a token does not open (altered, moved, another
// key); the message names the row, never a token.
Result<OAuth2Grant> open_oauth2_grant(const TokenCipher& cipher, std::int64_t row_id, std::string_view twitter_id,
                                      const SealedOAuth2Grant& sealed);

// Re-seals every stored OAuth 2.0 grant from `current` to `next` (key
// rotation, inside its transaction). The number of tokens re-sealed, or the
// first that does not open.
Result<std::int64_t> reseal_oauth2_grants(sqlite::Database& db, const TokenCipher& current, const TokenCipher& next);

}  // namespace perch
