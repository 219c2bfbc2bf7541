// The provider's OAuth 1.0a endpoints, signed by the proxy.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "twitter_responses.h"

namespace perch {

// Why a provider call failed, in the terms the API reports.
struct ProviderFailure {
    enum class Kind {
        error,          // provider answered with an error or an unusable body -> 502 provider_error
        timeout,        // no answer in time -> 504 provider_timeout
        grant_refused,  // OAuth 2.0: X refused the code (expired, used, PKCE) -> 400 grant_refused
        rate_limited,   // X answered 429 -> 503 with Retry-After
    };
    Kind kind;
    std::string message;  // for operators and the JSON error: never a secret or token
    long long retry_after_seconds = 0;  // rate_limited: from x-rate-limit-reset, at least 1
};

// Defence in depth: a provider that echoes what we sent must not make us
// repeat a credential (a secret, token, code or verifier) in a message that
// reaches logs. A message containing any non-empty `credentials` is replaced
// whole. (Implemented in twitter_http_client.cpp.)
ProviderFailure scrubbed(ProviderFailure failure, std::initializer_list<std::string_view> credentials);

template <typename T>
using ProviderResult = std::variant<T, ProviderFailure>;

struct VerifiedUser {
    nlohmann::json user;  // the provider's user object, as received (v1.1, or v2's `data`)
    std::string user_id;  // its id_str (v2: id)
};

// One object per proxy; thread-safe. Every call is made at most once (never retried).
class TwitterClient {
public:
    virtual ~TwitterClient() = default;
    // POST /oauth/request_token with oauth_callback signed; requires oauth_callback_confirmed=true.
    virtual ProviderResult<RequestToken> request_token() = 0;
    // {api}/oauth/authenticate?oauth_token=…
    virtual std::string authenticate_url(const std::string& request_token) const = 0;
    // POST /oauth/access_token with oauth_verifier signed (token secret = request token secret).
    virtual ProviderResult<AccessToken> access_token(const RequestToken& request_token,
                                                     const std::string& verifier) = 0;
    // GET /1.1/account/verify_credentials.json?include_email=true&skip_status=true&include_entities=false
    // Fails unless the user's id_str equals access.user_id.
    virtual ProviderResult<VerifiedUser> verify_credentials(const AccessToken& access) = 0;
};

}  // namespace perch
