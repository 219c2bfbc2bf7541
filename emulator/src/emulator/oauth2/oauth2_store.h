// OAuth 2.0 state: authorization requests awaiting consent, authorization
// codes, access tokens and refresh tokens. Every change is one step under one
// lock, so a code is redeemed and a refresh token rotated at most once however
// many requests race for it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"
#include "base/crypto.h"
#include "emulator/oauth2/oauth2_params.h"
#include "emulator/token_store.h"

namespace perch::emulator {

// A validated GET /i/oauth2/authorize, shown on the consent page until decided.
struct AuthorizationRequest {
    std::string id;    // the consent form's request_id
    std::string csrf;  // the consent form's authenticity_token
    std::string redirect_uri;
    std::string state;
    Scopes scopes;  // as requested
    std::string code_challenge;
    std::chrono::steady_clock::time_point expires;
    bool decided = false;
};

struct AuthorizationDecision {
    AuthorizationRequest request;
    std::string code;  // empty when the user cancelled
};

struct TokenGrant {
    std::string access_token;
    std::string refresh_token;  // empty without offline.access
    Scopes scopes;
    std::chrono::seconds expires_in{0};
};

// What a bearer token stands for.
struct AccessGrant {
    std::string user_id;
    Scopes scopes;
};

enum class GrantProblem {
    unknown_code,
    expired_code,
    used_code,          // redeemed before: the tokens it gave are revoked (RFC 6749 §4.1.2)
    redirect_mismatch,  // redirect_uri differs from the one the code was issued for
    pkce_mismatch,      // BASE64URL(SHA256(code_verifier)) != code_challenge
    unknown_refresh_token,
    scope_widened,      // a refresh asked for a scope the grant does not hold
};

std::string_view to_string(GrantProblem problem);

struct OAuth2Limits {
    std::chrono::seconds request_ttl{15 * 60};  // the consent page's lifetime
    std::chrono::seconds code_ttl{30};
    std::chrono::seconds access_token_ttl{7200};
    std::size_t max_records = 200000;  // per table; oldest forgotten first beyond this
};

class OAuth2Store {
public:
    OAuth2Store(const Clock& clock, RandomSource& random, OAuth2Limits limits = {});
    ~OAuth2Store();
    OAuth2Store(const OAuth2Store&) = delete;
    OAuth2Store& operator=(const OAuth2Store&) = delete;

    AuthorizationRequest open_request(std::string redirect_uri, std::string state, Scopes scopes,
                                      std::string code_challenge);

    // For the consent page: pending and unexpired.
    TokenResult<AuthorizationRequest> find_request(const std::string& id) const;

    // The user's answer. Allowing issues a code for `granted` (the requested
    // scopes the user agreed to) that `user_id` signed in with.
    TokenResult<AuthorizationDecision> decide(const std::string& id, const std::string& csrf, bool allow,
                                              const Scopes& granted, const std::string& user_id);

    // Redeems a code once: the first attempt consumes it whatever the outcome.
    std::variant<TokenGrant, GrantProblem> redeem_code(const std::string& code, const std::string& redirect_uri,
                                                       const std::string& code_verifier);

    // Rotates a refresh token: new access and refresh tokens, the old refresh
    // token forgotten. `narrower`, if given, must be within the grant.
    std::variant<TokenGrant, GrantProblem> refresh(const std::string& refresh_token,
                                                   const std::optional<Scopes>& narrower);

    // unknown or expired.
    TokenResult<AccessGrant> find_access_token(const std::string& token) const;

private:
    struct State;
    // Precondition: mutex_ held. A new access token, and a refresh token when
    // the grant holds offline.access.
    TokenGrant issue_locked(const AccessGrant& holder);

    const Clock& clock_;
    RandomSource& random_;
    const OAuth2Limits limits_;
    mutable std::mutex mutex_;
    std::unique_ptr<State> state_;
};

}  // namespace perch::emulator
