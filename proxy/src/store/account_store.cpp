#include "store/account_store.h"

#include <ctime>

namespace perch {

std::string_view to_string(AccountErrorKind kind) {
    switch (kind) {
        case AccountErrorKind::already_registered: return "already_registered";
        case AccountErrorKind::username_taken: return "username_taken";
        case AccountErrorKind::not_found: return "not_found";
        case AccountErrorKind::invalid: return "invalid";
        case AccountErrorKind::schema_refused: return "schema_refused";
        case AccountErrorKind::token_key_mismatch: return "token_key_mismatch";
        case AccountErrorKind::token_unreadable: return "token_unreadable";
        case AccountErrorKind::database_in_use: return "database_in_use";
        case AccountErrorKind::storage: return "storage";
        case AccountErrorKind::unavailable: return "unavailable";
    }
    return "storage";
}

api::User to_api_user(const Account& account) {
    api::User user;
    user.twitter_id = account.twitter_id;
    user.username = account.username;
    user.first_name = account.first_name;
    user.last_name = account.last_name;
    user.email = account.email;
    user.timezone = account.timezone;
    user.picture = account.picture;
    user.created_at = account.created_at;
    user.last_sign_in_at = account.last_sign_in_at;
    return user;
}

std::string format_rfc3339_utc(std::int64_t unix_seconds) {
    const auto time = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    if (gmtime_r(&time, &utc) == nullptr) return "1970-01-01T00:00:00Z";
    char text[64];
    const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(text, size);
}

AccountResult<AccessTokens> open_account_tokens(const TokenCipher& cipher, const Account& account) {
    auto tokens = open_tokens(cipher, account.id, account.twitter_id,
                              SealedTokens{account.sealed_access_token, account.sealed_access_token_secret});
    if (!tokens) return AccountError{AccountErrorKind::token_unreadable, tokens.error().message};
    return std::move(tokens).value();
}

AccountResult<AccessTokens> open_account_tokens(const TokenCipher& cipher,
                                                const AccountResult<std::optional<Account>>& found) {
    if (!found) return found.error();
    if (!found.value()) return AccountError{AccountErrorKind::not_found, "no account for this Twitter id"};
    return open_account_tokens(cipher, *found.value());
}

AccountResult<OAuth2Grant> open_account_grant(const TokenCipher& cipher,
                                              const AccountResult<std::optional<Account>>& found) {
    if (!found) return found.error();
    if (!found.value() || found.value()->sealed_oauth2.access_token.empty()) {
        return AccountError{AccountErrorKind::not_found, "no OAuth 2.0 grant for this Twitter id"};
    }
    const Account& account = *found.value();
    auto grant = open_oauth2_grant(cipher, account.id, account.twitter_id, account.sealed_oauth2);
    if (!grant) return AccountError{AccountErrorKind::token_unreadable, grant.error().message};
    return std::move(grant).value();
}

}  // namespace perch
