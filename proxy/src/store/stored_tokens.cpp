#include "store/stored_tokens.h"

#include <openssl/crypto.h>

namespace perch {

namespace {

constexpr std::string_view access_token_field = "access_token";
constexpr std::string_view access_token_secret_field = "access_token_secret";

std::string token_binding(std::string_view field, std::string_view twitter_id) {
    return stored_token_binding(field, twitter_id);
}

}  // namespace

// Field names contain no NUL and Twitter ids are checked to contain none, so
// the encoding is unambiguous.
std::string stored_token_binding(std::string_view field, std::string_view twitter_id) {
    std::string binding = "perch.accounts.";
    binding.append(field);
    binding.push_back('\0');
    binding.append(twitter_id);
    return binding;
}

SealedTokens seal_tokens(const TokenCipher& cipher, std::string_view twitter_id,
                         std::string_view token, std::string_view secret) {
    if (token.empty() && secret.empty()) return SealedTokens{};
    return SealedTokens{cipher.seal(token, token_binding(access_token_field, twitter_id)),
                        cipher.seal(secret, token_binding(access_token_secret_field, twitter_id))};
}

Result<AccessTokens> open_tokens(const TokenCipher& cipher, std::int64_t row_id,
                                 std::string_view twitter_id, const SealedTokens& sealed) {
    if (sealed.token.empty() && sealed.secret.empty()) return AccessTokens{};
    auto token = cipher.open(sealed.token, token_binding(access_token_field, twitter_id));
    auto secret = cipher.open(sealed.secret, token_binding(access_token_secret_field, twitter_id));
    if (!token || !secret) {
        const char* column = token ? "access_token_secret" : "access_token";
        const std::string reason = (token ? secret : token).error().message;
        if (token) OPENSSL_cleanse(token.value().data(), token.value().size());
        if (secret) OPENSSL_cleanse(secret.value().data(), secret.value().size());
        return Error{ErrorCode::invalid_field, "the stored " + std::string(column) +
                                                   " of account row " + std::to_string(row_id) +
                                                   " does not open: " + reason};
    }
    return AccessTokens{std::move(token).value(), std::move(secret).value()};
}

}  // namespace perch
