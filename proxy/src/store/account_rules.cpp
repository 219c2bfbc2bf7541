#include "store/account_rules.h"

#include <string>

namespace perch {

std::optional<AccountError> check_value(std::string_view name, std::string_view value, std::size_t min,
                                        std::size_t max) {
    if (value.size() < min) {
        return AccountError{AccountErrorKind::invalid, std::string(name) + " is empty"};
    }
    if (value.size() > max) {
        return AccountError{AccountErrorKind::invalid,
                            std::string(name) + " is longer than " + std::to_string(max) + " bytes"};
    }
    if (value.find('\0') != std::string_view::npos) {
        return AccountError{AccountErrorKind::invalid, std::string(name) + " contains a NUL byte"};
    }
    return std::nullopt;
}

std::optional<AccountError> check_tokens(std::string_view token, std::string_view secret) {
    if (auto error = check_value("access_token", token, 1, max_token_bytes)) return error;
    return check_value("access_token_secret", secret, 1, max_token_bytes);
}

std::optional<AccountError> check_oauth2(const OAuth2Grant& grant) {
    if (auto error = check_value("oauth2_access_token", grant.access_token, 1, max_oauth2_token_bytes)) return error;
    return check_value("oauth2_refresh_token", grant.refresh_token, 0, max_oauth2_token_bytes);
}

std::optional<AccountError> check_new_account(const NewAccount& account) {
    const RegistrationForm& form = account.form;
    if (auto e = check_value("twitter_id", account.twitter_id, 1, max_twitter_id_bytes)) return e;
    if (auto e = check_value("username", form.username, 1, max_account_text_bytes)) return e;
    if (auto e = check_value("first_name", form.first_name, 0, max_account_text_bytes)) return e;
    if (auto e = check_value("last_name", form.last_name, 0, max_account_text_bytes)) return e;
    if (auto e = check_value("email", form.email, 0, max_account_text_bytes)) return e;
    if (auto e = check_value("timezone", form.timezone, 0, max_account_text_bytes)) return e;
    if (auto e = check_value("picture", account.picture, 0, max_picture_bytes)) return e;
    if (account.oauth2) {
        if (auto e = check_oauth2(*account.oauth2)) return e;
        // An OAuth 2.0 sign-up has no OAuth 1.0a tokens.
        if (account.access_token.empty() && account.access_token_secret.empty()) return std::nullopt;
    }
    return check_tokens(account.access_token, account.access_token_secret);
}

}  // namespace perch
