#include "emulator/token_store.h"

#include "core/constant_time.h"

namespace perch::emulator {
namespace {

// 24 random bytes -> 32 characters of [A-Za-z0-9_-]: well inside what clients
// and perch::is_token_text accept, and unguessable.
constexpr std::size_t token_bytes = 24;

}  // namespace

std::string_view to_string(TokenProblem problem) {
    switch (problem) {
        case TokenProblem::unknown: return "unknown token";
        case TokenProblem::expired: return "expired token";
        case TokenProblem::already_decided: return "the consent page was already answered";
        case TokenProblem::used: return "token already used";
        case TokenProblem::bad_csrf: return "authenticity_token mismatch";
        case TokenProblem::not_authorized: return "request token not authorized by the user";
        case TokenProblem::bad_verifier: return "oauth_verifier mismatch";
    }
    return "token problem";
}

TokenStore::TokenStore(const Clock& clock, RandomSource& random, TokenStoreLimits limits)
    : clock_(clock), random_(random), limits_(limits) {}

RequestTokenRecord TokenStore::issue_request_token(const std::string& callback) {
    std::lock_guard<std::mutex> lock(mutex_);
    forget_old_request_tokens();
    while (request_tokens_.size() >= limits_.max_request_tokens && !request_order_.empty()) {
        request_tokens_.erase(request_order_.front());
        request_order_.pop_front();
    }
    RequestTokenRecord record;
    do {
        record.token = random_token(random_, token_bytes);
    } while (request_tokens_.count(record.token) != 0);
    record.secret = random_token(random_, token_bytes);
    record.csrf = random_token(random_, token_bytes);
    record.callback = callback;
    record.expires = clock_.monotonic() + limits_.request_token_ttl;
    request_tokens_.emplace(record.token, record);
    request_order_.push_back(record.token);
    return record;
}

TokenResult<RequestTokenRecord> TokenStore::find_pending(const std::string& token) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = request_tokens_.find(token);
    if (it == request_tokens_.end()) return TokenProblem::unknown;
    const RequestTokenRecord& record = it->second;
    if (clock_.monotonic() >= record.expires) return TokenProblem::expired;
    if (record.state == RequestTokenState::used) return TokenProblem::used;
    if (record.state != RequestTokenState::pending) return TokenProblem::already_decided;
    return record;
}

TokenResult<RequestTokenRecord> TokenStore::decide(const std::string& token,
                                                   const std::string& csrf, bool allow) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = live_locked(token);
    if (auto* problem = std::get_if<TokenProblem>(&found)) return *problem;
    RequestTokenRecord& record = *std::get<RequestTokenRecord*>(found);
    if (record.state != RequestTokenState::pending) return TokenProblem::already_decided;
    if (csrf.empty() || !constant_time_equal(csrf, record.csrf)) return TokenProblem::bad_csrf;
    if (allow) {
        record.state = RequestTokenState::authorized;
        record.verifier = random_token(random_, token_bytes);
    } else {
        record.state = RequestTokenState::denied;
    }
    return record;
}

TokenResult<std::string> TokenStore::request_token_secret(const std::string& token) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = request_tokens_.find(token);
    if (it == request_tokens_.end()) return TokenProblem::unknown;
    if (clock_.monotonic() >= it->second.expires) return TokenProblem::expired;
    if (it->second.state == RequestTokenState::used) return TokenProblem::used;
    return it->second.secret;
}

TokenResult<AccessTokenRecord> TokenStore::exchange(const std::string& token,
                                                    const std::string& verifier,
                                                    const std::string& user_id,
                                                    const std::string& screen_name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = live_locked(token);
    if (auto* problem = std::get_if<TokenProblem>(&found)) return *problem;
    RequestTokenRecord& record = *std::get<RequestTokenRecord*>(found);
    const RequestTokenState before = record.state;
    record.state = RequestTokenState::used;  // single use, whatever happens next
    if (before != RequestTokenState::authorized) return TokenProblem::not_authorized;
    if (verifier.empty() || !constant_time_equal(verifier, record.verifier))
        return TokenProblem::bad_verifier;

    while (access_tokens_.size() >= limits_.max_access_tokens && !access_order_.empty()) {
        access_tokens_.erase(access_order_.front());
        access_order_.pop_front();
    }
    AccessTokenRecord access;
    do {
        // Twitter's access tokens start with the user id and a dash.
        access.token = user_id + "-" + random_token(random_, token_bytes);
    } while (access_tokens_.count(access.token) != 0);
    access.secret = random_token(random_, token_bytes);
    access.user_id = user_id;
    access.screen_name = screen_name;
    access_tokens_.emplace(access.token, access);
    access_order_.push_back(access.token);
    return access;
}

std::optional<AccessTokenRecord> TokenStore::find_access_token(const std::string& token) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = access_tokens_.find(token);
    if (it == access_tokens_.end()) return std::nullopt;
    return it->second;
}

std::size_t TokenStore::request_token_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_tokens_.size();
}

void TokenStore::forget_old_request_tokens() {
    // Expired tokens are kept for one more lifetime so a late visitor is told
    // "expired" rather than "unknown".
    const auto now = clock_.monotonic();
    while (!request_order_.empty()) {
        auto it = request_tokens_.find(request_order_.front());
        if (it != request_tokens_.end() && it->second.expires + limits_.request_token_ttl > now)
            break;
        if (it != request_tokens_.end()) request_tokens_.erase(it);
        request_order_.pop_front();
    }
}

TokenResult<RequestTokenRecord*> TokenStore::live_locked(const std::string& token) {
    auto it = request_tokens_.find(token);
    if (it == request_tokens_.end()) return TokenProblem::unknown;
    if (clock_.monotonic() >= it->second.expires) return TokenProblem::expired;
    if (it->second.state == RequestTokenState::used) return TokenProblem::used;
    return &it->second;
}

}  // namespace perch::emulator
