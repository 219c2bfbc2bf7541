// Server-side sessions: pending OAuth flows and the Twitter identity the proxy
// established. The browser only ever holds the opaque session id.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock.h"
#include "crypto.h"
#include "twitter_responses.h"

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
    std::chrono::seconds flow_ttl{std::chrono::minutes(10)};
    std::size_t max_sessions = 100000;
    std::size_t max_pending_flows = 50000;       // across all sessions
    std::size_t max_flows_per_session = 5;       // oldest dropped beyond this
    std::size_t max_tombstones_per_session = 16; // remembered consumed/expired tokens
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
    nlohmann::json user;  // verify_credentials' user object, for registration
};

enum class FlowState {
    taken,       // it was pending; the caller now owns it (take_flow only)
    pending,     // it is pending (peek_flow only)
    consumed,    // it was already taken: a replay or a double click
    expired,     // it outlived flow_ttl, or was dropped for a newer one
    unknown,     // this session never started it
    no_session,  // the session id is not live
};

std::string_view to_string(FlowState state);

enum class AddFlowResult {
    added,
    no_session,  // the session id is not live
    busy,        // max_pending_flows live flows exist across all sessions
};

struct TakenFlow {
    FlowState state = FlowState::unknown;
    RequestToken token;  // filled only when state == taken
};

// Thread-safe. Every method also enforces expiry: an idle or too old session
// is gone, whatever the caller holds.
class SessionStore {
public:
    virtual ~SessionStore() = default;

    // A new empty session's id, or nullopt when the store is full of live
    // sessions (live users are never evicted to make room).
    virtual std::optional<std::string> create() = 0;

    // Whether `id` names a live session; refreshes its idle timer.
    virtual bool touch(const std::string& id) = 0;

    // Adds a pending flow keyed by its request token; this session's oldest is
    // dropped beyond the per-session cap (a later callback for it is `expired`).
    virtual AddFlowResult add_flow(const std::string& id, const RequestToken& token) = 0;

    // Looks without consuming (never `taken`).
    virtual FlowState peek_flow(const std::string& id, std::string_view request_token) = 0;

    // Takes and erases the flow in one step under the lock: of any number of
    // concurrent callers with the same token, exactly one gets `taken`.
    virtual TakenFlow take_flow(const std::string& id, std::string_view request_token) = 0;

    // Records the identity and rotates the id: returns the new id (the old one
    // is invalid from now on; pending flows move along), or nullopt if `id` is
    // not live.
    virtual std::optional<std::string> establish_identity(const std::string& id,
                                                          TwitterIdentity identity) = 0;

    // The identity established in this session, if any.
    virtual std::optional<TwitterIdentity> identity(const std::string& id) = 0;

    // Marks the session signed in to an account and rotates the id like
    // establish_identity; nullopt if `id` is not live.
    virtual std::optional<std::string> sign_in(const std::string& id, std::int64_t account_id) = 0;

    // The account this session is signed in to, if any.
    virtual std::optional<std::int64_t> signed_in_account(const std::string& id) = 0;

    // Ends the session (sign-out).
    virtual void destroy(const std::string& id) = 0;

    // Live sessions and pending flows right now (after expiry).
    struct Stats {
        std::size_t sessions = 0;
        std::size_t pending_flows = 0;
    };
    virtual Stats stats() = 0;
};

// One process's memory. A single mutex: every operation is a few map lookups.
class InMemorySessionStore final : public SessionStore {
public:
    InMemorySessionStore(const SessionLimits& limits, const Clock& clock, RandomSource& random);

    std::optional<std::string> create() override;
    bool touch(const std::string& id) override;
    AddFlowResult add_flow(const std::string& id, const RequestToken& token) override;
    FlowState peek_flow(const std::string& id, std::string_view request_token) override;
    TakenFlow take_flow(const std::string& id, std::string_view request_token) override;
    std::optional<std::string> establish_identity(const std::string& id, TwitterIdentity identity) override;
    std::optional<TwitterIdentity> identity(const std::string& id) override;
    std::optional<std::string> sign_in(const std::string& id, std::int64_t account_id) override;
    std::optional<std::int64_t> signed_in_account(const std::string& id) override;
    void destroy(const std::string& id) override;
    Stats stats() override;

    // Drops every expired session and flow now; returns how many sessions went.
    std::size_t sweep();

private:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Flow {
        RequestToken token;
        TimePoint created;
    };
    struct Tombstone {
        std::string token;
        FlowState state;  // consumed or expired
    };
    struct Session {
        TimePoint created;
        TimePoint last_seen;
        // Vectors, not deques: a few entries at most, and an empty vector costs no
        // allocation where an empty std::deque costs ~600 bytes.
        std::vector<Flow> flows;  // oldest first
        std::vector<Tombstone> tombstones;
        std::optional<TwitterIdentity> identity;
        std::optional<std::int64_t> account_id;
    };

    // Callers hold mutex_.
    Session* live_session(const std::string& id, TimePoint now);
    bool is_expired(const Session& session, TimePoint now) const;
    void expire_flows(Session& session, TimePoint now);
    void remember(Session& session, std::string token, FlowState state);
    void drop_oldest_flow(Session& session, FlowState why);
    void erase_session(std::unordered_map<std::string, Session>::iterator it);
    std::string rotate(const std::string& id, Session& session, TimePoint now);
    std::string fresh_id();
    std::size_t sweep_locked(TimePoint now);
    void sweep_if_full(TimePoint now);

    const SessionLimits limits_;
    const Clock& clock_;
    RandomSource& random_;
    std::mutex mutex_;
    std::unordered_map<std::string, Session> sessions_;
    std::size_t pending_flows_ = 0;  // sum of every session's flows.size()
    TimePoint last_sweep_;
};

}  // namespace perch
