#include "session_store.h"

#include <algorithm>
#include <utility>

#include "constant_time.h"

namespace perch {
namespace {

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

}  // namespace

bool is_session_id_text(std::string_view text) {
    return text.size() == session_id_length && std::all_of(text.begin(), text.end(), is_base64url_char);
}

std::string_view to_string(FlowState state) {
    switch (state) {
        case FlowState::taken: return "taken";
        case FlowState::pending: return "pending";
        case FlowState::consumed: return "consumed";
        case FlowState::expired: return "expired";
        case FlowState::unknown: return "unknown";
        case FlowState::no_session: return "no_session";
    }
    return "unknown";
}

InMemorySessionStore::InMemorySessionStore(const SessionLimits& limits, const Clock& clock,
                                           RandomSource& random)
    : limits_(limits), clock_(clock), random_(random), last_sweep_(clock.monotonic()) {}

bool InMemorySessionStore::is_expired(const Session& session, TimePoint now) const {
    return now - session.last_seen >= limits_.idle_ttl || now - session.created >= limits_.absolute_ttl;
}

void InMemorySessionStore::erase_session(std::unordered_map<std::string, Session>::iterator it) {
    pending_flows_ -= it->second.flows.size();
    sessions_.erase(it);
}

InMemorySessionStore::Session* InMemorySessionStore::live_session(const std::string& id, TimePoint now) {
    if (!is_session_id_text(id)) return nullptr;
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    if (is_expired(it->second, now)) {
        erase_session(it);
        return nullptr;
    }
    it->second.last_seen = now;
    expire_flows(it->second, now);
    return &it->second;
}

void InMemorySessionStore::remember(Session& session, std::string token, FlowState state) {
    session.tombstones.push_back(Tombstone{std::move(token), state});
    if (session.tombstones.size() > limits_.max_tombstones_per_session) {
        session.tombstones.erase(session.tombstones.begin(),
                                 session.tombstones.end() - static_cast<std::ptrdiff_t>(limits_.max_tombstones_per_session));
    }
}

void InMemorySessionStore::drop_oldest_flow(Session& session, FlowState why) {
    remember(session, std::move(session.flows.front().token.token), why);
    session.flows.erase(session.flows.begin());
    --pending_flows_;
}

void InMemorySessionStore::expire_flows(Session& session, TimePoint now) {
    // Flows are appended in time order, so the expired ones are at the front.
    while (!session.flows.empty() && now - session.flows.front().created >= limits_.flow_ttl) {
        drop_oldest_flow(session, FlowState::expired);
    }
}

std::string InMemorySessionStore::fresh_id() {
    for (;;) {
        std::string id = random_token(random_, session_id_bytes);
        if (sessions_.find(id) == sessions_.end()) return id;
    }
}

std::string InMemorySessionStore::rotate(const std::string& id, Session& session, TimePoint now) {
    Session moved = std::move(session);
    sessions_.erase(id);
    moved.created = now;  // a new authentication starts a new absolute lifetime
    std::string new_id = fresh_id();
    sessions_.emplace(new_id, std::move(moved));
    return new_id;
}

std::size_t InMemorySessionStore::sweep_locked(TimePoint now) {
    last_sweep_ = now;
    std::size_t removed = 0;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto next = std::next(it);
        if (is_expired(it->second, now)) {
            erase_session(it);
            ++removed;
        } else {
            expire_flows(it->second, now);
        }
        it = next;
    }
    return removed;
}

void InMemorySessionStore::sweep_if_full(TimePoint now) {
    // A flood against a full store must not buy an O(sessions) sweep per request.
    if (now - last_sweep_ >= std::chrono::seconds(1)) sweep_locked(now);
}

std::size_t InMemorySessionStore::sweep() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sweep_locked(clock_.monotonic());
}

std::optional<std::string> InMemorySessionStore::create() {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    if (now - last_sweep_ >= limits_.sweep_interval) sweep_locked(now);
    if (sessions_.size() >= limits_.max_sessions) {
        sweep_if_full(now);  // expired sessions make room; live ones never do
        if (sessions_.size() >= limits_.max_sessions) return std::nullopt;
    }
    std::string id = fresh_id();
    Session& session = sessions_[id];
    session.created = now;
    session.last_seen = now;
    return id;
}

bool InMemorySessionStore::touch(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return live_session(id, clock_.monotonic()) != nullptr;
}

AddFlowResult InMemorySessionStore::add_flow(const std::string& id, const RequestToken& token) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    Session* session = live_session(id, now);
    if (session == nullptr) return AddFlowResult::no_session;
    while (!session->flows.empty() && session->flows.size() >= limits_.max_flows_per_session) {
        drop_oldest_flow(*session, FlowState::expired);
    }
    if (pending_flows_ >= limits_.max_pending_flows) {
        sweep_if_full(now);
        // `session` stays valid: it was just touched, so the sweep kept it.
        if (pending_flows_ >= limits_.max_pending_flows) return AddFlowResult::busy;
    }
    session->flows.push_back(Flow{token, now});
    ++pending_flows_;
    return AddFlowResult::added;
}

FlowState InMemorySessionStore::peek_flow(const std::string& id, std::string_view request_token) {
    std::lock_guard<std::mutex> lock(mutex_);
    Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return FlowState::no_session;
    if (request_token.empty()) return FlowState::unknown;
    for (const Flow& flow : session->flows) {
        if (constant_time_equal(flow.token.token, request_token)) return FlowState::pending;
    }
    for (const Tombstone& tombstone : session->tombstones) {
        if (constant_time_equal(tombstone.token, request_token)) return tombstone.state;
    }
    return FlowState::unknown;
}

TakenFlow InMemorySessionStore::take_flow(const std::string& id, std::string_view request_token) {
    std::lock_guard<std::mutex> lock(mutex_);
    Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return TakenFlow{FlowState::no_session, {}};
    if (request_token.empty()) return TakenFlow{FlowState::unknown, {}};
    for (auto it = session->flows.begin(); it != session->flows.end(); ++it) {
        if (constant_time_equal(it->token.token, request_token)) {
            TakenFlow taken{FlowState::taken, std::move(it->token)};
            session->flows.erase(it);
            --pending_flows_;
            remember(*session, taken.token.token, FlowState::consumed);
            return taken;
        }
    }
    for (const Tombstone& tombstone : session->tombstones) {
        if (constant_time_equal(tombstone.token, request_token)) return TakenFlow{tombstone.state, {}};
    }
    return TakenFlow{FlowState::unknown, {}};
}

std::optional<std::string> InMemorySessionStore::establish_identity(const std::string& id,
                                                                    TwitterIdentity identity) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    Session* session = live_session(id, now);
    if (session == nullptr) return std::nullopt;
    session->identity = std::move(identity);
    session->account_id.reset();  // a new Twitter identity is not yet anyone's account
    return rotate(id, *session, now);
}

std::optional<TwitterIdentity> InMemorySessionStore::identity(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return std::nullopt;
    return session->identity;
}

std::optional<std::string> InMemorySessionStore::sign_in(const std::string& id, std::int64_t account_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    Session* session = live_session(id, now);
    if (session == nullptr) return std::nullopt;
    session->account_id = account_id;
    return rotate(id, *session, now);
}

std::optional<std::int64_t> InMemorySessionStore::signed_in_account(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return std::nullopt;
    return session->account_id;
}

void InMemorySessionStore::destroy(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) erase_session(it);
}

SessionStore::Stats InMemorySessionStore::stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep_locked(clock_.monotonic());
    return Stats{sessions_.size(), pending_flows_};
}

}  // namespace perch
