// TwitterClient over an HttpTransport, signing with OAuthSigner.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "base/clock.h"
#include "base/crypto.h"
#include "net/http_types.h"
#include "provider/signer.h"
#include "provider/twitter_client.h"

namespace perch {

class Log;

// What the client needs of the proxy's settings.
struct TwitterSettings {
    std::string consumer_key;
    std::string consumer_secret;  // never logged, never in a message
    std::string callback_url;     // absolute http(s) URL of the page's callback route
    std::string twitter_api = "https://api.x.com";  // a trailing slash is dropped
    std::size_t max_response_bytes = 256 * 1024;
};

// Uses settings.twitter_api, consumer_key/secret and callback_url. Every provider
// failure becomes a ProviderFailure whose message is safe to show (never a secret
// or token), e.g. "Twitter error 32: Could not authenticate you. (check ...)";
// transport timeouts are Kind::timeout. Thread-safe if transport and random are.
//
// X's Free tier answers v1.1 verify_credentials with 403 and error code 453
// ("a subset of X API V2 endpoints and limited v1.1 endpoints"): then
// verify_credentials asks GET /2/users/me?user.fields=id,name,username,
// profile_image_url, signed with OAuth 1.0a, logs one operator line to `log`,
// and goes straight to /2/users/me until the process ends. That user object is
// v2's `data` and carries no email.
class TwitterHttpClient final : public TwitterClient {
public:
    TwitterHttpClient(const TwitterSettings& config, HttpTransport& transport, const Clock& clock,
                      RandomSource& random, Log* log = nullptr);

    ProviderResult<RequestToken> request_token() override;
    std::string authenticate_url(const std::string& request_token) const override;
    ProviderResult<AccessToken> access_token(const RequestToken& request_token,
                                             const std::string& verifier) override;
    ProviderResult<VerifiedUser> verify_credentials(const AccessToken& access) override;

private:
    // Signs, sends, and turns transport failures and non-2xx answers into ProviderFailure.
    ProviderResult<IncomingResponse> call(const SignRequest& request, const char* step);
    // Signs and sends; only transport failures are failures.
    ProviderResult<IncomingResponse> send(const SignRequest& request, const char* step);
    ProviderResult<VerifiedUser> users_me(const AccessToken& access);

    std::string api_;
    std::string callback_url_;
    std::string consumer_secret_;  // only to keep it out of failure messages
    std::size_t max_response_bytes_;
    HttpTransport& transport_;
    RandomNonceSource nonces_;
    OAuthSigner signer_;
    Log* log_;
    std::atomic<bool> v1_limited_{false};  // verify_credentials answered 453: use /2/users/me
};

}  // namespace perch
