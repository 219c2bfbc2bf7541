// OAuth 1.0a signature base strings and Authorization headers (RFC 5849 §3.4, §3.5.1).
// HMAC itself lives in the proxy (OpenSSL); the core decides exactly what is signed.
#pragma once

#include <string>
#include <string_view>

#include "query.h"
#include "result.h"

namespace perch {

// RFC 5849 §3.4.1.2: lower-case scheme and host, default ports (80 for http,
// 443 for https) dropped, empty path -> "/", query and fragment dropped.
// Only absolute http and https URIs are accepted; anything else is invalid_uri.
Result<std::string> base_string_uri(std::string_view url);

// RFC 5849 §3.4.1.3.2: encode every name and value, sort by encoded name then
// encoded value, join as name=value with '&'. Input pairs are *decoded* values.
std::string normalize_parameters(const Params& params);

// RFC 5849 §3.4.1.1: METHOD&encode(base_string_uri)&encode(normalized params).
// `params` are every decoded pair that is signed (query, form body, oauth_*
// protocol parameters) except oauth_signature; the URL's own query is NOT
// re-added (pass it in `params` yourself). The method is upper-cased.
Result<std::string> signature_base_string(std::string_view method, std::string_view url,
                                          const Params& params);

// The key for HMAC-SHA1 (RFC 5849 §3.4.2): encode(consumer_secret)&encode(token_secret).
std::string signing_key(std::string_view consumer_secret, std::string_view token_secret);

// `OAuth name="value", ...` with every name and value percent-encoded, in the
// order given (RFC 5849 §3.5.1). An empty realm is left out.
std::string authorization_header(const Params& oauth_params, std::string_view realm = {});

// Parses an `Authorization: OAuth ...` header value back into decoded pairs
// (realm excluded). Strict: the scheme, quoting and encoding must be exact;
// duplicated parameters are an error. Used by the emulator and fuzzed.
Result<Params> parse_authorization_header(std::string_view header);

}  // namespace perch
