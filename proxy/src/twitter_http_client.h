// TwitterClient over an HttpTransport, signing with OAuthSigner.
#pragma once

#include <cstddef>
#include <string>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "http_types.h"
#include "signer.h"
#include "twitter_client.h"

namespace perch {

// Uses config.twitter_api, consumer_key/secret and callback_url. Every provider
// failure becomes a ProviderFailure whose message is safe to show (never a secret
// or token), e.g. "Twitter error 32: Could not authenticate you. (check ...)";
// transport timeouts are Kind::timeout. Thread-safe if transport and random are.
class TwitterHttpClient final : public TwitterClient {
public:
    TwitterHttpClient(const ProxyConfig& config, HttpTransport& transport, const Clock& clock,
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
