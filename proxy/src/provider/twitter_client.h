// The provider's OAuth 1.0a endpoints, signed by the proxy. OAuth 2.0 lives
// beside it in provider/oauth2_client.h; both return provider/provider_result.h.
#pragma once

#include <string>

#include "core/twitter_responses.h"
#include "provider/provider_result.h"

namespace perch {

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
    // Fails unless the user's id_str equals access.user_id. (On X's Free tier the
    // HTTP client falls back to /2/users/me: see provider/twitter_http_client.h.)
    virtual ProviderResult<VerifiedUser> verify_credentials(const AccessToken& access) = 0;
};

}  // namespace perch
