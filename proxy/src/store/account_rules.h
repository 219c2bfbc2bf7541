// The limits every account store enforces on what it is asked to store,
// whatever the engine: one place, so SQLite and PostgreSQL refuse the same
// values with the same messages (AccountErrorKind::invalid).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "store/account_store.h"
#include "store/oauth2_grant.h"

namespace perch {

inline constexpr std::size_t max_twitter_id_bytes = 64;
inline constexpr std::size_t max_account_text_bytes = 1024;
inline constexpr std::size_t max_picture_bytes = 2048;
inline constexpr std::size_t max_token_bytes = 1024;
inline constexpr std::size_t max_oauth2_token_bytes = 4096;

// `value` is min..max bytes and holds no NUL byte; the message names the field, never the value.
std::optional<AccountError> check_value(std::string_view name, std::string_view value, std::size_t min,
                                        std::size_t max);

// Both OAuth 1.0a tokens, 1..max_token_bytes each.
std::optional<AccountError> check_tokens(std::string_view token, std::string_view secret);

// An OAuth 2.0 grant: an access token, and a refresh token or none.
std::optional<AccountError> check_oauth2(const OAuth2Grant& grant);

// Everything NewAccount documents (store/account_store.h).
std::optional<AccountError> check_new_account(const NewAccount& account);

}  // namespace perch
