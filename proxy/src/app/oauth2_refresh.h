// Renewing an account's stored OAuth 2.0 access token with its refresh token
// (offline.access), so the proxy can call X as that person later.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "core/result.h"
#include "provider/oauth2_client.h"
#include "store/account_store.h"

namespace perch {

// Why a refresh did not happen; `message` is for the operator's log and holds
// no token.
struct RefreshFailure {
    enum class Kind {
        no_grant,   // no such account, or it has no refresh token
        store,      // the account store failed (token_unreadable included)
        provider,   // X refused or failed (`provider` says how)
    };
    Kind kind;
    std::string message;
    ProviderFailure provider{ProviderFailure::Kind::error, {}};
};

// Reads the account's sealed refresh token, asks X for a new grant
// (grant_type=refresh_token, once, never retried) and stores it in place of
// the old one (X's refresh tokens are single use; an answer without a new
// refresh token keeps the old one). Returns the new grant.
Result<OAuth2Grant, RefreshFailure> refresh_stored_grant(AccountStore& accounts, OAuth2Client& client, const Clock& clock,
                                                          std::string_view twitter_id);

}  // namespace perch
