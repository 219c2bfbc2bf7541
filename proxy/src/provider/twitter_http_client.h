// TwitterClient over an HttpTransport, signing with OAuthSigner.
#pragma once

#include <cstddef>
#include <string>

#include "base/clock.h"
#include "base/crypto.h"
#include "net/http_types.h"
#include "provider/signer.h"
#include "provider/twitter_client.h"

namespace perch {

// What the client needs of the proxy's settings.
struct TwitterSettings {
    std::string consumer_key;
    std::string consumer_secret;  // never logged, never in a message
    std::string callback_url;     // absolute http(s) URL of the page's callback route
    std::string twitter_api = "https://api.twitter.com";  // a trailing slash is dropped
    std::size_t max_response_bytes = 256 * 1024;
};

// Uses settings.twitter_api, consumer_key/secret and callback_url. Every provider
// failure becomes a ProviderFailure whose message is safe to show (never a secret
// or token), e.g. "Twitter error 32: Could not authenticate you. (check ...)";
// transport timeouts are Kind::timeout. Thread-safe if transport and random are.
class TwitterHttpClient final : public TwitterClient {
public:
    TwitterHttpClient(const TwitterSettings& config, HttpTransport& transport, const Clock& clock,
                      RandomSource& random);

    ProviderResult<RequestToken> request_token() override;
    std::string authenticate_url(const std::string& request_token) const override;
    ProviderResult<AccessToken> access_token(const RequestToken& request_token,
                                             const std::string& verifier) override;
    ProviderResult<VerifiedUser> verify_credentials(const AccessToken& access) override;

private:
    // Signs, sends, and turns transport failures and non-2xx answers into ProviderFailure.
    ProviderResult<IncomingResponse> call(const SignRequest& request, const char* step);

    std::string api_;
    std::string callback_url_;
    std::string consumer_secret_;  // only to keep it out of failure messages
    std::size_t max_response_bytes_;
    HttpTransport& transport_;
    RandomNonceSource nonces_;
    OAuthSigner signer_;
};

}  // namespace perch
