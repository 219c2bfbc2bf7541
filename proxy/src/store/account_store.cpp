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

}  // namespace perch
