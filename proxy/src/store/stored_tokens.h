// How an account's Twitter tokens are sealed for the database and opened again.
//
// Each sealed value is bound (as AEAD associated data, token_cipher.h) to its
// account's Twitter id and to its column, so a value copied to another row, or
// swapped with the other token, no longer opens. Every place that seals or opens
// stored tokens goes through here, so they all agree on that binding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/token_cipher.h"

namespace perch {

struct AccessTokens {
    std::string token;
    std::string secret;
};

struct SealedTokens {
    std::string token;   // the accounts.access_token BLOB
    std::string secret;  // the accounts.access_token_secret BLOB
};

// "perch.accounts.<field>\0<twitter id>": the associated data a stored
// token of column `field` is sealed with.
std::string stored_token_binding(std::string_view field, std::string_view twitter_id);

// `twitter_id` must contain no NUL byte (the store checks that before it writes).
// An account signed up with OAuth 2.0 has no OAuth 1.0a tokens: both empty
// seal to empty BLOBs, and two empty BLOBs open to two empty tokens.
SealedTokens seal_tokens(const TokenCipher& cipher, std::string_view twitter_id,
                         std::string_view token, std::string_view secret);

// Both tokens of account row `row_id`, or ErrorCode::invalid_field when either
// does not open (altered, moved from another row or column, or sealed under
// another key). The message names the row id, never a token or the key.
Result<AccessTokens> open_tokens(const TokenCipher& cipher, std::int64_t row_id,
                                 std::string_view twitter_id, const SealedTokens& sealed);

}  // namespace perch
