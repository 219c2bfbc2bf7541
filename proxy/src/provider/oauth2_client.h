// X's OAuth 2.0 endpoints (RFC 6749 authorization code grant with RFC 7636
// PKCE, as X documents it), called by the proxy as the app's client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "net/http_types.h"
#include "provider/provider_result.h"

namespace perch {

// What the client needs of the proxy's settings.
struct OAuth2Settings {
    std::string client_id;
    std::string client_secret;  // empty: a public client. Never logged, never in a message
    std::string callback_url;   // the redirect_uri, exactly as registered with X
    std::string x_api = "https://api.x.com";  // a trailing slash is dropped
    std::string authorize_url = "https://x.com/i/oauth2/authorize";
    std::string scopes = "tweet.read users.read offline.access";  // space-separated
    std::size_t max_response_bytes = 256 * 1024;
};

// A token endpoint answer. Tokens are secrets: never logged, never shown.
struct OAuth2Tokens {
    std::string access_token;
    std::string refresh_token;  // empty unless offline.access was granted
    std::int64_t expires_in = 0;  // seconds; 0 when X did not say
    std::string scope;  // as granted; the requested scopes when X's answer has none
};

// True when the space-separated `scopes` list `scope`.
bool has_scope(std::string_view scopes, std::string_view scope);

class OAuth2Client {
public:
    virtual ~OAuth2Client() = default;
    // PERCH_X_AUTHORIZE_URL?response_type=code&client_id&redirect_uri&scope&state
    // &code_challenge&code_challenge_method=S256
    virtual std::string authorize_url(std::string_view state, std::string_view code_challenge) const = 0;
    // POST {api}/2/oauth2/token grant_type=authorization_code. Called once, never retried.
    virtual ProviderResult<OAuth2Tokens> exchange_code(std::string_view code, std::string_view code_verifier) = 0;
    // POST {api}/2/oauth2/token grant_type=refresh_token.
    virtual ProviderResult<OAuth2Tokens> refresh(std::string_view refresh_token) = 0;
    // GET {api}/2/users/me?user.fields=id,name,username,profile_image_url[,confirmed_email]
    // with Authorization: Bearer. The user is the answer's `data`.
    virtual ProviderResult<VerifiedUser> users_me(std::string_view access_token, bool with_email) = 0;
};

// OAuth2Client over an HttpTransport. Failures (ProviderFailure) carry
// operator messages that never hold a secret, code or token: X's 400
// invalid_grant / invalid_request at the token endpoint is grant_refused,
// 401 or invalid_client / unauthorized_client is error (with what to check),
// 429 is rate_limited with x-rate-limit-reset, a timeout is timeout.
class OAuth2HttpClient final : public OAuth2Client {
public:
    OAuth2HttpClient(const OAuth2Settings& config, HttpTransport& transport, const Clock& clock);

    std::string authorize_url(std::string_view state, std::string_view code_challenge) const override;
    ProviderResult<OAuth2Tokens> exchange_code(std::string_view code, std::string_view code_verifier) override;
    ProviderResult<OAuth2Tokens> refresh(std::string_view refresh_token) override;
    ProviderResult<VerifiedUser> users_me(std::string_view access_token, bool with_email) override;

private:
    ProviderResult<OAuth2Tokens> token_request(std::string body, const char* step,
                                               std::initializer_list<std::string_view> credentials);

    std::string api_;
    std::string authorize_url_;
    std::string client_id_;
    std::string client_secret_;
    std::string callback_url_;
    std::string scopes_;
    std::size_t max_response_bytes_;
    HttpTransport& transport_;
    const Clock& clock_;
};

// Seconds until X's x-rate-limit-reset (Unix seconds) from `now`, at least 1;
// 60 when the header is absent or not a number.
long long retry_after_from_reset(const Headers& headers, std::int64_t now);

}  // namespace perch
