// OAuth 1.0a HMAC-SHA1 request signing (RFC 5849 §3.4-3.5), over the core's base string.
#pragma once

#include <cstddef>
#include <string>

#include "base/clock.h"
#include "base/crypto.h"
#include "core/query.h"
#include "core/result.h"

namespace perch {

// Where oauth_nonce values come from: injectable so tests can use published examples.
class NonceSource {
public:
    virtual ~NonceSource() = default;
    virtual std::string next_nonce() = 0;
};

// Nonces from a RandomSource: `length` (at least 22) characters drawn uniformly from
// [A-Za-z0-9] (rejection sampling), i.e. >= 130 bits. Alphanumeric and 30 long by
// default because strict providers (oauthlib's defaults) accept nothing else.
class RandomNonceSource final : public NonceSource {
public:
    explicit RandomNonceSource(RandomSource& random, std::size_t length = 30);
    std::string next_nonce() override;

private:
    RandomSource& random_;
    std::size_t length_;
};

// The signature of one request, given every decoded pair that enters the base string.
struct SignatureParts {
    std::string base_string;
    std::string signature;  // Base64 HMAC-SHA1
};

// base string = signature_base_string(method, url, params); key = signing_key(consumer, token).
// The url's own query is NOT re-added: `params` must hold every signed pair.
Result<SignatureParts> sign_parameters(const std::string& method, const std::string& url,
                                       const Params& params, const std::string& consumer_secret,
                                       const std::string& token_secret);

// One request to sign.
struct SignRequest {
    std::string method;       // "GET" / "POST"
    std::string url;          // absolute; its query pairs (if any) are signed too
    Params form_params;       // decoded application/x-www-form-urlencoded body pairs, if any
    std::string token;        // oauth_token; empty = none (request_token step)
    std::string token_secret; // empty when there is no token
    Params extra_oauth;       // extra protocol params: oauth_callback, oauth_verifier
};

struct SignedRequest {
    Params oauth_params;        // every oauth_* param incl. oauth_signature, sorted by name
    std::string base_string;
    std::string authorization;  // the Authorization header value: `OAuth oauth_...="...", ...`
};

// Signs with oauth_consumer_key, oauth_nonce, oauth_signature_method=HMAC-SHA1,
// oauth_timestamp, oauth_token (if any), oauth_version=1.0 and the extra params.
// Every oauth_* parameter goes in the header only (RFC 5849 §3.5): callers must
// not also put them in the query or body. Thread-safe if the NonceSource is.
class OAuthSigner {
public:
    OAuthSigner(std::string consumer_key, std::string consumer_secret, const Clock& clock,
                NonceSource& nonces);

    // Errors: invalid_uri (bad url), invalid_field (an extra param not named oauth_*,
    // or a query/body pair named oauth_*), invalid_encoding (bad query encoding).
    Result<SignedRequest> sign(const SignRequest& request) const;

private:
    std::string consumer_key_;
    std::string consumer_secret_;
    const Clock& clock_;
    NonceSource& nonces_;
};

}  // namespace perch
