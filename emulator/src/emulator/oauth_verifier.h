// Verifies an OAuth 1.0a HMAC-SHA1 request the way Twitter does (RFC 5849 §3.2).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "base/clock.h"
#include "emulator/nonce_cache.h"
#include "core/query.h"
#include "emulator/token_store.h"
#include "emulator/twitter_error.h"

namespace perch::emulator {

// What a signature covers, taken from the HTTP request as received.
struct OAuthRequest {
    std::string method;
    std::string url;            // scheme://host[:port]/path as the client addressed it, no query
    std::string query;          // raw query string without '?'
    std::string content_type;   // Content-Type header value
    std::string body;
    std::string authorization;  // Authorization header value; empty when absent
    std::size_t authorization_count = 0;  // a repeated header is refused outright
};

// Which token secret completes the signing key (RFC 5849 §3.4.2).
enum class TokenKind { none, request_token, access_token };

struct VerifierSettings {
    std::string consumer_key;
    std::string consumer_secret;
    std::int64_t timestamp_window_s = 300;  // Twitter's ±5 minutes
    // Refuse oauth_* parameters in the query or body: RFC 5849 §3.5 wants them
    // in one place, and the proxy promises the Authorization header.
    bool strict = true;
    // Put the computed base string into failure reasons (never the key or signature).
    bool explain_signatures = false;
    // false only for perch-emulator --fast --bench-replay-nonces (benchmarks).
    bool check_nonces = true;
};

struct OAuthFailure {
    int status;
    TwitterCode code;
    std::string reason;
    bool strict_violation = false;
};

struct VerifiedRequest {
    Params protocol;    // oauth_* from the Authorization header (signature excluded)
    Params parameters;  // decoded query and form-body pairs
    std::string token;  // oauth_token; empty for TokenKind::none

    // A protocol parameter: from the header, or — only when not strict — from
    // the query or body.
    std::optional<std::string> protocol_value(std::string_view name, bool strict) const;
};

// Maps an oauth_token to its secret, or says why it has none.
using TokenSecretLookup = std::function<TokenResult<std::string>(const std::string& token)>;

class OAuthVerifier {
public:
    OAuthVerifier(VerifierSettings settings, const Clock& clock, NonceCache& nonces);

    std::variant<VerifiedRequest, OAuthFailure> verify(const OAuthRequest& request, TokenKind kind,
                                                       const TokenSecretLookup& secret_for) const;

    const VerifierSettings& settings() const { return settings_; }

private:
    const VerifierSettings settings_;
    const Clock& clock_;
    NonceCache& nonces_;
};

// True for the "application/x-www-form-urlencoded" media type, parameters such
// as "; charset=utf-8" ignored (RFC 5849 §3.4.1.3.1 signs only such bodies).
bool is_form_content_type(std::string_view content_type);

}  // namespace perch::emulator
