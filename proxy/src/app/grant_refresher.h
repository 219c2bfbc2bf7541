// An account's OAuth 2.0 access token, renewed first when it has expired or
// is about to. X rotates refresh tokens (each works once), so concurrent
// callers for one account in this process share ONE refresh: the first does
// it, the others wait for its result. The new grant is stored before anyone
// gets it (app/oauth2_refresh.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "app/oauth2_refresh.h"
#include "base/clock.h"
#include "core/result.h"
#include "provider/oauth2_client.h"
#include "store/account_store.h"

namespace perch {

class GrantRefresher {
public:
    // `client` may be null (the proxy speaks OAuth 1.0a now): a grant that
    // needs renewing then fails with RefreshFailure::no_grant.
    GrantRefresher(AccountStore& accounts, OAuth2Client* client, const Clock& clock,
                   std::chrono::seconds margin = std::chrono::seconds(60));

    // The stored grant when its access token has more than `margin` left (or
    // no known expiry); else a renewed one. Errors: no_grant (no account, no
    // grant, or no refresh token to renew it with), store, provider.
    Result<OAuth2Grant, RefreshFailure> current(std::string_view twitter_id);

    // How many refreshes this object asked X for (for tests and logs).
    long long refreshes() const;

private:
    using Outcome = Result<OAuth2Grant, RefreshFailure>;
    struct Flight {
        std::mutex mutex;
        std::condition_variable finished;
        std::optional<Outcome> outcome;
    };

    bool fresh(const OAuth2Grant& grant) const;
    Outcome read(std::string_view twitter_id);
    Outcome lead(const std::string& twitter_id);

    AccountStore& accounts_;
    OAuth2Client* client_;
    const Clock& clock_;
    std::chrono::seconds margin_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Flight>, std::less<>> flights_;
    long long refreshes_ = 0;
};

}  // namespace perch
