#include "app/grant_refresher.h"

#include <utility>

namespace perch {

GrantRefresher::GrantRefresher(AccountStore& accounts, OAuth2Client* client, const Clock& clock,
                               std::chrono::seconds margin)
    : accounts_(accounts), client_(client), clock_(clock), margin_(margin) {}

bool GrantRefresher::fresh(const OAuth2Grant& grant) const {
    return grant.expires_at == 0 || grant.expires_at - clock_.unix_seconds() > margin_.count();
}

GrantRefresher::Outcome GrantRefresher::read(std::string_view twitter_id) {
    auto stored = accounts_.oauth2_grant_of(twitter_id);
    if (stored) return std::move(stored).value();
    const bool missing = stored.error().kind == AccountErrorKind::not_found;
    return RefreshFailure{missing ? RefreshFailure::Kind::no_grant : RefreshFailure::Kind::store,
                          stored.error().message};
}

// The one caller that renews: it reads the grant again first, as another
// instance (or a flight that just ended here) may have renewed it already.
GrantRefresher::Outcome GrantRefresher::lead(const std::string& twitter_id) {
    Outcome stored = read(twitter_id);
    if (!stored || fresh(stored.value())) return stored;
    if (client_ == nullptr) {
        return RefreshFailure{RefreshFailure::Kind::no_grant,
                              "the grant needs renewing but the proxy is not speaking OAuth 2.0"};
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++refreshes_;
    }
    return refresh_stored_grant(accounts_, *client_, clock_, twitter_id);
}

GrantRefresher::Outcome GrantRefresher::current(std::string_view twitter_id) {
    Outcome stored = read(twitter_id);
    if (!stored || fresh(stored.value())) return stored;

    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = flights_.find(twitter_id);
        if (found == flights_.end()) {
            found = flights_.emplace(std::string(twitter_id), std::make_shared<Flight>()).first;
            leader = true;
        }
        flight = found->second;
    }
    if (!leader) {
        std::unique_lock<std::mutex> lock(flight->mutex);
        flight->finished.wait(lock, [&flight] { return flight->outcome.has_value(); });
        return *flight->outcome;
    }
    // Whatever happens, the waiters must be woken with an outcome.
    Outcome outcome = RefreshFailure{RefreshFailure::Kind::store, "the refresh failed with an exception"};
    try {
        outcome = lead(std::string(twitter_id));
    } catch (...) {
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        flights_.erase(flights_.find(twitter_id));
    }
    {
        std::lock_guard<std::mutex> lock(flight->mutex);
        flight->outcome = outcome;
    }
    flight->finished.notify_all();
    return outcome;
}

long long GrantRefresher::refreshes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return refreshes_;
}

}  // namespace perch
