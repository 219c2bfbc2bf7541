// The small parsers OAuth 2.0 needs: X's scopes, PKCE (RFC 7636) and HTTP
// Basic client credentials (RFC 6749 §2.3.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace perch::emulator {

using Scopes = std::vector<std::string>;

// Every scope X documents for OAuth 2.0 user context, users.email included.
const std::vector<std::string_view>& known_x_scopes();

// A space-separated scope list (RFC 6749 §3.3) in request order, duplicates
// and empty tokens dropped. Unknown scope -> its name as the error.
struct ScopeError {
    std::string unknown;
};
std::variant<Scopes, ScopeError> parse_scopes(std::string_view text);

std::string join_scopes(const Scopes& scopes);
bool has_scope(const Scopes& scopes, std::string_view scope);

// RFC 7636 §4.2: a S256 challenge is BASE64URL (no padding) of a SHA-256, so
// exactly 43 characters of [A-Za-z0-9_-].
bool is_s256_challenge(std::string_view challenge);

// RFC 7636 §4.1: 43 to 128 unreserved characters [A-Za-z0-9-._~].
bool is_code_verifier(std::string_view verifier);

// BASE64URL(SHA256(ASCII(verifier))), unpadded.
std::string s256_challenge(std::string_view verifier);

struct BasicCredentials {
    std::string user;      // the client_id
    std::string password;  // the client_secret
};

// "Basic <base64(user:password)>" (scheme case-insensitive). Strict: standard
// Base64 with correct padding, one ':' separating the halves at least, no
// control bytes. Client ids and secrets are URL-unreserved characters here (as
// X's are), so the form-encoding of §2.3.1 changes nothing and is not undone.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

// "Bearer <token>" (scheme case-insensitive) -> the token, or nullopt.
std::optional<std::string> parse_bearer_authorization(std::string_view header);

// At most `max` bytes of `text` with every byte outside printable ASCII (and
// '"' and '\\') replaced by '?': client input quoted in an error description
// (RFC 6749 §5.2's character set) or a JSON string (which must be UTF-8).
std::string printable_excerpt(std::string_view text, std::size_t max = 64);

// Letters, digits and -._~ only, 1 to 128 of them: what --client-id and
// --client-secret accept.
bool is_unreserved_token(std::string_view text);

}  // namespace perch::emulator
