// Server-side sessions: made only once the provider has identified someone
// (a successful exchange), holding the identity the proxy learnt from it. A
// sign-in in progress is not a session: the browser keeps it (flow_cookies.h).
// The browser only ever holds the opaque session id.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/crypto.h"
#include "store/consumed_flows.h"
#include "store/oauth2_grant.h"

namespace perch {

// 32 CSPRNG bytes as unpadded URL-safe Base64.
inline constexpr std::size_t session_id_bytes = 32;
inline constexpr std::size_t session_id_length = 43;

// True for text shaped like an id we issue ([A-Za-z0-9_-]{43}); anything else
// is not looked up at all.
bool is_session_id_text(std::string_view text);

struct SessionLimits {
    std::chrono::seconds idle_ttl{std::chrono::minutes(30)};
    std::chrono::seconds absolute_ttl{std::chrono::hours(24)};
    std::size_t max_sessions = 100000;
    // Expired sessions are swept on create() at most this often (and, when the
    // store is full, at most once a second), so reclaiming memory costs
    // O(sessions) only now and then.
    std::chrono::seconds sweep_interval{std::chrono::seconds(10)};
};

// What the proxy learnt from Twitter itself (never from the browser).
struct TwitterIdentity {
    std::string user_id;
    std::string screen_name;
    std::string access_token;
    std::string access_token_secret;
    nlohmann::json user;  // X's user object (v1.1, or v2's data), for registration
    std::optional<OAuth2Grant> oauth2;  // an OAuth 2.0 sign-in's grant (then no OAuth 1.0a tokens)
};

// What a session starts with: the person the provider just identified.
struct NewSession {
    TwitterIdentity identity;
    std::optional<std::int64_t> account_id;  // a returning user: signed in at once
    // The consumed flow whose exchange made it, so the same browser replaying
    // that callback is told it was already used.
    FlowKey flow{};
};

// Thread-safe. Every method also enforces expiry: an idle or too old session
// is gone, whatever the caller holds.
class SessionStore {
public:
    virtual ~SessionStore() = default;

    // A new session's id, or nullopt when the store is full of live sessions
    // (live users are never evicted to make room).
    virtual std::optional<std::string> create(NewSession session) = 0;

    // Whether `id` names a live session; refreshes its idle timer.
    virtual bool touch(const std::string& id) = 0;

    // Whether `id` is a live session that `flow`'s exchange made.
    virtual bool made_by(const std::string& id, const FlowKey& flow) = 0;

    // The identity established in this session, if it is live.
    virtual std::optional<TwitterIdentity> identity(const std::string& id) = 0;

    // Marks the session signed in to an account and rotates the id: returns
    // the new id (the old one is invalid from now on), or nullopt if `id` is
    // not live.
    virtual std::optional<std::string> sign_in(const std::string& id, std::int64_t account_id) = 0;

    // The account this session is signed in to, if any.
    virtual std::optional<std::int64_t> signed_in_account(const std::string& id) = 0;

    // Ends the session (sign-out, or a new sign-in in the same browser).
    virtual void destroy(const std::string& id) = 0;

    // Live sessions right now (after expiry).
    virtual std::size_t size() = 0;
};

// One process's memory. A single mutex: every operation is a few map lookups.
class InMemorySessionStore final : public SessionStore {
public:
    InMemorySessionStore(const SessionLimits& limits, const Clock& clock, RandomSource& random);

    std::optional<std::string> create(NewSession session) override;
    bool touch(const std::string& id) override;
    bool made_by(const std::string& id, const FlowKey& flow) override;
    std::optional<TwitterIdentity> identity(const std::string& id) override;
    std::optional<std::string> sign_in(const std::string& id, std::int64_t account_id) override;
    std::optional<std::int64_t> signed_in_account(const std::string& id) override;
    void destroy(const std::string& id) override;
    std::size_t size() override;

    // Drops every expired session now; returns how many went.
    std::size_t sweep();

private:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Session {
        TimePoint created;
        TimePoint last_seen;
        TwitterIdentity identity;
        std::optional<std::int64_t> account_id;
        FlowKey flow{};
    };

    // Callers hold mutex_.
    Session* live_session(const std::string& id, TimePoint now);
    bool is_expired(const Session& session, TimePoint now) const;
    std::string fresh_id();
    std::size_t sweep_locked(TimePoint now);

    const SessionLimits limits_;
    const Clock& clock_;
    RandomSource& random_;
    std::mutex mutex_;
    std::unordered_map<std::string, Session> sessions_;
    TimePoint last_sweep_;
};

}  // namespace perch
