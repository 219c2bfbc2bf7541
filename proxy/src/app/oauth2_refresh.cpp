#include "app/oauth2_refresh.h"

#include <utility>

namespace perch {

Result<OAuth2Grant, RefreshFailure> refresh_stored_grant(AccountStore& accounts, OAuth2Client& client, const Clock& clock,
                                                          std::string_view twitter_id) {
    auto stored = accounts.oauth2_grant_of(twitter_id);
    if (!stored) {
        const bool missing = stored.error().kind == AccountErrorKind::not_found;
        return RefreshFailure{missing ? RefreshFailure::Kind::no_grant : RefreshFailure::Kind::store,
                              stored.error().message};
    }
    if (stored.value().refresh_token.empty()) {
        return RefreshFailure{RefreshFailure::Kind::no_grant,
                              "the account has no refresh token (offline.access was not granted)"};
    }
    auto answer = client.refresh(stored.value().refresh_token);
    if (!answer) return RefreshFailure{RefreshFailure::Kind::provider, answer.error().message, answer.error()};
    OAuth2Tokens& tokens = answer.value();
    OAuth2Grant grant{std::move(tokens.access_token),
                      tokens.refresh_token.empty() ? stored.value().refresh_token : std::move(tokens.refresh_token),
                      tokens.expires_in > 0 ? clock.unix_seconds() + tokens.expires_in : 0};
    auto saved = accounts.store_oauth2_grant(twitter_id, grant, false);
    if (!saved) return RefreshFailure{RefreshFailure::Kind::store, saved.error().message};
    return grant;
}

}  // namespace perch
