#include "store/session_store.h"

#include <utility>

namespace perch {

bool is_session_id_text(std::string_view text) {
    return text.size() == session_id_length && is_base64url_text(text);
}

InMemorySessionStore::InMemorySessionStore(const SessionLimits& limits, const Clock& clock,
                                           RandomSource& random)
    : limits_(limits), clock_(clock), random_(random), last_sweep_(clock.monotonic()) {}

bool InMemorySessionStore::is_expired(const Session& session, TimePoint now) const {
    return now - session.last_seen >= limits_.idle_ttl || now - session.created >= limits_.absolute_ttl;
}

InMemorySessionStore::Session* InMemorySessionStore::live_session(const std::string& id, TimePoint now) {
    if (!is_session_id_text(id)) return nullptr;
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    if (is_expired(it->second, now)) {
        sessions_.erase(it);
        return nullptr;
    }
    it->second.last_seen = now;
    return &it->second;
}

std::string InMemorySessionStore::fresh_id() {
    for (;;) {
        std::string id = random_token(random_, session_id_bytes);
        if (sessions_.find(id) == sessions_.end()) return id;
    }
}

std::size_t InMemorySessionStore::sweep_locked(TimePoint now) {
    last_sweep_ = now;
    std::size_t removed = 0;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (is_expired(it->second, now)) {
            it = sessions_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

std::size_t InMemorySessionStore::sweep() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sweep_locked(clock_.monotonic());
}

std::optional<std::string> InMemorySessionStore::create(NewSession session) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    if (now - last_sweep_ >= limits_.sweep_interval) sweep_locked(now);
    if (sessions_.size() >= limits_.max_sessions) {
        // Expired sessions make room; live ones never do. A full store must
        // not buy an O(sessions) sweep per request: at most one a second.
        if (now - last_sweep_ >= std::chrono::seconds(1)) sweep_locked(now);
        if (sessions_.size() >= limits_.max_sessions) return std::nullopt;
    }
    std::string id = fresh_id();
    sessions_.emplace(id, Session{now, now, std::move(session.identity), session.account_id, session.flow});
    return id;
}

bool InMemorySessionStore::touch(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return live_session(id, clock_.monotonic()) != nullptr;
}

bool InMemorySessionStore::made_by(const std::string& id, const FlowKey& flow) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Session* session = live_session(id, clock_.monotonic());
    return session != nullptr && session->flow == flow;
}

std::optional<TwitterIdentity> InMemorySessionStore::identity(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return std::nullopt;
    return session->identity;
}

std::optional<std::string> InMemorySessionStore::sign_in(const std::string& id, std::int64_t account_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    Session* session = live_session(id, now);
    if (session == nullptr) return std::nullopt;
    Session moved = std::move(*session);
    sessions_.erase(id);
    moved.account_id = account_id;
    moved.created = now;  // a new authentication starts a new absolute lifetime
    std::string new_id = fresh_id();
    sessions_.emplace(new_id, std::move(moved));
    return new_id;
}

std::optional<std::int64_t> InMemorySessionStore::signed_in_account(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Session* session = live_session(id, clock_.monotonic());
    if (session == nullptr) return std::nullopt;
    return session->account_id;
}

void InMemorySessionStore::destroy(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
}

std::size_t InMemorySessionStore::size() {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep_locked(clock_.monotonic());
    return sessions_.size();
}

}  // namespace perch
