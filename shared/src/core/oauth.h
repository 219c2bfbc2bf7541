// OAuth 1.0a signature base strings and Authorization headers (RFC 5849 §3.4, §3.5.1).
// HMAC itself lives in the proxy (OpenSSL); the core decides exactly what is signed.
#pragma once

#include <string>
#include <string_view>

#include "core/query.h"
#include "core/result.h"

namespace perch {

// Size bounds for what we sign and what we parse from strangers.
inline constexpr std::size_t max_url_length = 8 * 1024;
inline constexpr std::size_t max_authorization_header_length = 8 * 1024;
inline constexpr std::size_t max_authorization_params = 32;  // realm included

// RFC 5849 §3.4.1.2: lower-case scheme and host, default ports (80 for http,
// 443 for https) dropped, empty path -> "/", query and fragment dropped.
// Only absolute http and https URIs are accepted; anything else is invalid_uri:
// userinfo, an empty host, a port that is not 1..65535 written without leading
// zeros, spaces, control or non-ASCII bytes, or a path character outside RFC 3986
// pchar. The path is kept as written (its %XX escapes are checked, not changed).
// A URL longer than max_url_length is too_long.
Result<std::string> base_string_uri(std::string_view url);

// RFC 5849 §3.4.1.3.2: encode every name and value, sort by encoded name then
// encoded value, join as name=value with '&'. Input pairs are *decoded* values.
std::string normalize_parameters(const Params& params);

// RFC 5849 §3.4.1.1: METHOD&encode(base_string_uri)&encode(normalized params).
// `params` are every decoded pair that is signed (query, form body, oauth_*
// protocol parameters) except oauth_signature; the URL's own query is NOT
// re-added (pass it in `params` yourself). The method is upper-cased (and
// percent-encoded, as §3.4.1.1 asks of custom methods); an empty method is
// invalid_field.
Result<std::string> signature_base_string(std::string_view method, std::string_view url,
                                          const Params& params);

// The key for HMAC-SHA1 (RFC 5849 §3.4.2): encode(consumer_secret)&encode(token_secret).
std::string signing_key(std::string_view consumer_secret, std::string_view token_secret);

// `OAuth name="value", ...` with every name and value percent-encoded, in the
// order given (RFC 5849 §3.5.1), separated by ", ". A non-empty realm comes
// first (also percent-encoded); an empty realm is left out.
std::string authorization_header(const Params& oauth_params, std::string_view realm = {});

// Parses an `Authorization: OAuth ...` header value back into decoded pairs
// (realm excluded). Strict: the scheme is `OAuth` (any case) and one or more
// spaces, then name="value" pairs separated by commas with optional spaces or
// tabs around them (none around '='; no trailing comma). Names and values may
// only hold unreserved characters and %XX escapes, and must decode to valid
// UTF-8 without NUL (invalid_encoding). The realm is the exception: any
// printable ASCII but '"' and '\', not decoded, dropped. Names must not be
// empty; duplicates (after decoding, realm included) and other syntax errors
// are invalid_field; over max_authorization_header_length is too_long; more than
// max_authorization_params pairs is too_many. Used by the emulator and fuzzed.
Result<Params> parse_authorization_header(std::string_view header);

}  // namespace perch
