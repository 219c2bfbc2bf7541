#include "emulator/oauth2/oauth2_store.h"

#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/constant_time.h"

namespace perch::emulator {
namespace {

// 32 random bytes -> 43 characters of [A-Za-z0-9_-]: unguessable, and as
// URL-safe as X's own codes and tokens.
constexpr std::size_t token_bytes = 32;

using TimePoint = std::chrono::steady_clock::time_point;

// Records keyed by random strings, forgotten oldest first: beyond `cap`, or
// once `is_stale` says so of the oldest (records of one table share a TTL, so
// insertion order is expiry order).
template <typename Record>
class Table {
public:
    explicit Table(std::size_t cap) : cap_(cap) {}

    Record& insert(const std::string& key, Record record) {
        // Erased keys stay in order_ until they reach the front; bound it too.
        while (!order_.empty() && (records_.size() >= cap_ || order_.size() >= 2 * cap_)) {
            records_.erase(order_.front());
            order_.pop_front();
        }
        order_.push_back(key);
        return records_.insert_or_assign(key, std::move(record)).first->second;
    }
    Record* find(const std::string& key) {
        auto it = records_.find(key);
        return it == records_.end() ? nullptr : &it->second;
    }
    const Record* find(const std::string& key) const {
        auto it = records_.find(key);
        return it == records_.end() ? nullptr : &it->second;
    }
    bool contains(const std::string& key) const { return records_.count(key) != 0; }
    void erase(const std::string& key) { records_.erase(key); }

    template <typename IsStale>
    void forget_stale(IsStale is_stale) {
        while (!order_.empty()) {
            auto it = records_.find(order_.front());
            if (it != records_.end() && !is_stale(it->second)) break;
            if (it != records_.end()) records_.erase(it);
            order_.pop_front();
        }
    }

private:
    const std::size_t cap_;
    std::unordered_map<std::string, Record> records_;
    std::deque<std::string> order_;
};

struct CodeRecord {
    std::string redirect_uri;
    std::string code_challenge;
    std::string user_id;
    Scopes scopes;
    TimePoint expires;
    bool used = false;
    // What the code was exchanged for, revoked if it is presented again.
    std::string access_token;
    std::string refresh_token;
};

struct AccessRecord {
    AccessGrant grant;
    TimePoint expires;
};

}  // namespace

struct OAuth2Store::State {
    explicit State(std::size_t cap) : requests(cap), codes(cap), access(cap), refresh(cap) {}
    Table<AuthorizationRequest> requests;
    Table<CodeRecord> codes;
    Table<AccessRecord> access;
    Table<AccessGrant> refresh;  // refresh token -> the grant it renews
};

std::string_view to_string(GrantProblem problem) {
    switch (problem) {
        case GrantProblem::unknown_code: return "unknown authorization code";
        case GrantProblem::expired_code: return "authorization code expired";
        case GrantProblem::used_code: return "authorization code already used (its tokens are revoked)";
        case GrantProblem::redirect_mismatch: return "redirect_uri differs from the authorization request's";
        case GrantProblem::pkce_mismatch: return "code_verifier does not match the code_challenge";
        case GrantProblem::unknown_refresh_token: return "unknown or already rotated refresh token";
        case GrantProblem::scope_widened: return "refresh asked for a scope outside the grant";
    }
    return "grant problem";
}

OAuth2Store::OAuth2Store(const Clock& clock, RandomSource& random, OAuth2Limits limits)
    : clock_(clock), random_(random), limits_(limits), state_(std::make_unique<State>(limits.max_records)) {}

OAuth2Store::~OAuth2Store() = default;

namespace {

template <typename Record>
std::string fresh_key(const Table<Record>& table, RandomSource& random) {
    std::string key;
    do key = random_token(random, token_bytes);
    while (table.contains(key));
    return key;
}

}  // namespace

AuthorizationRequest OAuth2Store::open_request(std::string redirect_uri, std::string state, Scopes scopes,
                                               std::string code_challenge) {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.monotonic();
    // Expired requests are kept one more lifetime, so a late visitor is told
    // "expired" rather than "unknown".
    state_->requests.forget_stale(
        [&](const AuthorizationRequest& r) { return r.expires + limits_.request_ttl <= now; });
    AuthorizationRequest request;
    request.id = fresh_key(state_->requests, random_);
    request.csrf = random_token(random_, token_bytes);
    request.redirect_uri = std::move(redirect_uri);
    request.state = std::move(state);
    request.scopes = std::move(scopes);
    request.code_challenge = std::move(code_challenge);
    request.expires = now + limits_.request_ttl;
    return state_->requests.insert(request.id, request);
}

TokenResult<AuthorizationRequest> OAuth2Store::find_request(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const AuthorizationRequest* request = state_->requests.find(id);
    if (request == nullptr) return TokenProblem::unknown;
    if (clock_.monotonic() >= request->expires) return TokenProblem::expired;
    if (request->decided) return TokenProblem::already_decided;
    return *request;
}

TokenResult<AuthorizationDecision> OAuth2Store::decide(const std::string& id, const std::string& csrf, bool allow,
                                                       const Scopes& granted, const std::string& user_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    AuthorizationRequest* request = state_->requests.find(id);
    if (request == nullptr) return TokenProblem::unknown;
    const TimePoint now = clock_.monotonic();
    if (now >= request->expires) return TokenProblem::expired;
    if (request->decided) return TokenProblem::already_decided;
    if (csrf.empty() || !constant_time_equal(csrf, request->csrf)) return TokenProblem::bad_csrf;
    request->decided = true;

    AuthorizationDecision decision{*request, {}};
    if (!allow) return decision;
    state_->codes.forget_stale([&](const CodeRecord& c) { return c.expires + limits_.code_ttl <= now; });
    CodeRecord code;
    code.redirect_uri = request->redirect_uri;
    code.code_challenge = request->code_challenge;
    code.user_id = user_id;
    code.scopes = granted;
    code.expires = now + limits_.code_ttl;
    decision.code = fresh_key(state_->codes, random_);
    state_->codes.insert(decision.code, std::move(code));
    return decision;
}

std::variant<TokenGrant, GrantProblem> OAuth2Store::redeem_code(const std::string& code,
                                                                const std::string& redirect_uri,
                                                                const std::string& code_verifier) {
    std::lock_guard<std::mutex> lock(mutex_);
    CodeRecord* record = state_->codes.find(code);
    if (record == nullptr) return GrantProblem::unknown_code;
    if (record->used) {
        state_->access.erase(record->access_token);
        state_->refresh.erase(record->refresh_token);
        return GrantProblem::used_code;
    }
    record->used = true;  // single use, whatever happens next
    const TimePoint now = clock_.monotonic();
    if (now >= record->expires) return GrantProblem::expired_code;
    if (redirect_uri != record->redirect_uri) return GrantProblem::redirect_mismatch;
    if (!constant_time_equal(s256_challenge(code_verifier), record->code_challenge))
        return GrantProblem::pkce_mismatch;

    const TokenGrant grant = issue_locked(AccessGrant{record->user_id, record->scopes});
    record->access_token = grant.access_token;
    record->refresh_token = grant.refresh_token;
    return grant;
}

std::variant<TokenGrant, GrantProblem> OAuth2Store::refresh(const std::string& refresh_token,
                                                            const std::optional<Scopes>& narrower) {
    std::lock_guard<std::mutex> lock(mutex_);
    const AccessGrant* found = state_->refresh.find(refresh_token);
    if (found == nullptr) return GrantProblem::unknown_refresh_token;
    AccessGrant holder = *found;
    if (narrower) {
        for (const std::string& scope : *narrower)
            if (!has_scope(holder.scopes, scope)) return GrantProblem::scope_widened;
        holder.scopes = *narrower;
    }
    state_->refresh.erase(refresh_token);
    return issue_locked(holder);
}

TokenGrant OAuth2Store::issue_locked(const AccessGrant& holder) {
    const TimePoint now = clock_.monotonic();
    TokenGrant grant;
    grant.scopes = holder.scopes;
    grant.expires_in = limits_.access_token_ttl;
    state_->access.forget_stale([&](const AccessRecord& a) { return a.expires <= now; });
    grant.access_token = fresh_key(state_->access, random_);
    state_->access.insert(grant.access_token, AccessRecord{holder, now + limits_.access_token_ttl});
    if (has_scope(holder.scopes, "offline.access")) {
        grant.refresh_token = fresh_key(state_->refresh, random_);
        state_->refresh.insert(grant.refresh_token, holder);
    }
    return grant;
}

TokenResult<AccessGrant> OAuth2Store::find_access_token(const std::string& token) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const AccessRecord* record = state_->access.find(token);
    if (record == nullptr) return TokenProblem::unknown;
    if (clock_.monotonic() >= record->expires) return TokenProblem::expired;
    return record->grant;
}

}  // namespace perch::emulator
