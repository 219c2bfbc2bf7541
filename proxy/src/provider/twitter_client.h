// The provider's OAuth 1.0a endpoints, signed by the proxy.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/twitter_responses.h"

namespace perch {

// Why a provider call failed, in the terms the API reports.
struct ProviderFailure {
    enum class Kind {
        error,    // provider answered with an error or an unusable body -> 502 provider_error
        timeout,  // no answer in time -> 504 provider_timeout
    };
    Kind kind;
    std::string message;  // for operators and the JSON error: never a secret or token
};

template <typename T>
using ProviderResult = Result<T, ProviderFailure>;

struct VerifiedUser {
    nlohmann::json user;  // the provider's user object, as received
    std::string user_id;  // its id_str
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
