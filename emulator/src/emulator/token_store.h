// Request tokens, verifiers and access tokens: issued, decided, exchanged once.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "base/clock.h"
#include "base/crypto.h"

namespace perch::emulator {

enum class RequestTokenState {
    pending,     // issued; the user has not decided yet
    authorized,  // the user clicked "Authorize app"; a verifier exists
    denied,      // the user clicked "Cancel"
    used,        // exchanged (or burnt by a wrong verifier): never valid again
};

struct RequestTokenRecord {
    std::string token;
    std::string secret;
    std::string callback;  // absolute http(s) URL or "oob"
    std::string csrf;      // the consent page's authenticity_token
    std::chrono::steady_clock::time_point expires;
    RequestTokenState state = RequestTokenState::pending;
    std::string verifier;  // set once authorized
};

struct AccessTokenRecord {
    std::string token;
    std::string secret;
    std::string user_id;
    std::string screen_name;
};

enum class TokenProblem {
    unknown,         // never issued (or forgotten)
    expired,         // past its lifetime
    already_decided, // the consent page was already answered
    used,            // already exchanged
    bad_csrf,        // the consent form's authenticity_token does not match
    not_authorized,  // access_token before the user authorized (or after Cancel)
    bad_verifier,    // the verifier does not match; the token is burnt
};

std::string_view to_string(TokenProblem problem);

template <typename T>
using TokenResult = std::variant<T, TokenProblem>;

struct TokenStoreLimits {
    std::chrono::seconds request_token_ttl{15 * 60};
    std::size_t max_request_tokens = 200000;  // oldest forgotten first beyond this
    std::size_t max_access_tokens = 200000;
};

// Thread-safe. Every state change is one step under one lock, so a token is
// exchanged at most once however many requests race for it.
class TokenStore {
public:
    TokenStore(const Clock& clock, RandomSource& random, TokenStoreLimits limits = {});

    RequestTokenRecord issue_request_token(const std::string& callback);

    // For the consent page: the token must be pending and unexpired.
    TokenResult<RequestTokenRecord> find_pending(const std::string& token) const;

    // The user's answer on the consent page. Allowing sets a fresh verifier.
    TokenResult<RequestTokenRecord> decide(const std::string& token, const std::string& csrf,
                                           bool allow);

    // The secret that signs access_token: any unexpired, not-yet-used request token.
    TokenResult<std::string> request_token_secret(const std::string& token) const;

    // Consumes the request token whatever the outcome (a wrong verifier burns
    // it), and on success issues an access token for the user.
    TokenResult<AccessTokenRecord> exchange(const std::string& token, const std::string& verifier,
                                            const std::string& user_id,
                                            const std::string& screen_name);

    std::optional<AccessTokenRecord> find_access_token(const std::string& token) const;

    std::size_t request_token_count() const;

private:
    // Precondition: mutex_ held.
    void forget_old_request_tokens();
    TokenResult<RequestTokenRecord*> live_locked(const std::string& token);

    const Clock& clock_;
    RandomSource& random_;
    const TokenStoreLimits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, RequestTokenRecord> request_tokens_;
    std::deque<std::string> request_order_;  // issue order == expiry order (one TTL)
    std::unordered_map<std::string, AccessTokenRecord> access_tokens_;
    std::deque<std::string> access_order_;
};

}  // namespace perch::emulator
