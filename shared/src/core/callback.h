// Verifying what X sends back to the callback page, in either protocol's shape.
#pragma once

#include <string>
#include <string_view>

namespace perch {

enum class CallbackOutcome {
    approved,          // the token (state) matches the expected one; verifier (code) present
    denied,            // OAuth 1.0a `denied` or OAuth 2.0 error=access_denied (Cancel)
    no_session,        // there is no expected token: the user came here directly
    missing_params,    // oauth_token/oauth_verifier (state/code) absent or empty
    token_mismatch,    // the token (state) is not the one this browser started with
    malformed,         // bad encoding, duplicated parameters, over-long values or
                       // characters a token never has
    provider_refused,  // OAuth 2.0: any `error` other than access_denied
};

// Which protocol's parameters the callback carries.
enum class CallbackShape {
    oauth1,  // oauth_token, oauth_verifier, denied
    oauth2,  // state, code, error, error_description (RFC 6749 section 4.1.2)
};

std::string_view to_string(CallbackOutcome outcome);

struct CallbackResult {
    CallbackOutcome outcome;
    std::string oauth_token;     // OAuth 1.0a: empty unless approved
    std::string oauth_verifier;  // OAuth 1.0a: empty unless approved
    CallbackShape shape = CallbackShape::oauth1;
    std::string state;              // OAuth 2.0: empty unless approved
    std::string code;               // OAuth 2.0: empty unless approved
    std::string error;              // OAuth 2.0: X's `error` for denied / provider_refused
    std::string error_description;  // OAuth 2.0: X's error_description, for the operator only
};

// Longest token or verifier accepted; Twitter's are well under 100 bytes.
inline constexpr std::size_t max_token_length = 256;
// X accepts a `state` of up to 500 characters.
inline constexpr std::size_t max_state_length = 500;
// Longest authorization code, `error` and error_description accepted.
inline constexpr std::size_t max_code_length = 1024;
inline constexpr std::size_t max_error_length = 128;
inline constexpr std::size_t max_error_description_length = 1024;

// `search` is what the browser sees in location.search (leading '?' allowed).
// The expected token is compared in constant time; an empty expected token
// never matches anything.
//
// Precedence, first match wins:
//   1. malformed       the query does not parse (bad %-encoding, invalid UTF-8,
//                      NUL, or over parse_query's default limits); oauth_token,
//                      oauth_verifier or denied appears more than once; or one
//                      of them has a non-empty value longer than
//                      max_token_length or not is_token_text().
//   2. denied          a `denied` parameter is present, with any (or an empty)
//                      value. Cancel needs no session: the person is told they
//                      cancelled even if this browser lost its expected token.
//   3. no_session      the expected token is empty.
//   4. missing_params  oauth_token or oauth_verifier is absent or empty.
//   5. token_mismatch  oauth_token differs from the expected token.
//   6. approved        otherwise.
// Unknown parameters are ignored (but must still be well-formed).
//
// A query holding none of oauth_token, oauth_verifier and denied but one of
// state, code, error and error_description is read as OAuth 2.0's shape, with
// the same precedence:
//   1. malformed       as above, or state, code, error or error_description
//                      appears more than once; state is over max_state_length
//                      or code over max_code_length, or either is not
//                      is_token_text(); error is over max_error_length or not
//                      [A-Za-z0-9_.-]; error_description is over
//                      max_error_description_length or holds control characters.
//   2. denied          error=access_denied; provider_refused for any other
//                      error (invalid_scope, invalid_request, ...). Neither
//                      needs a session.
//   3. no_session      the expected state is empty.
//   4. missing_params  state or code is absent or empty.
//   5. token_mismatch  state differs from the expected state.
//   6. approved        otherwise.
CallbackResult verify_callback(std::string_view search, std::string_view expected_token);

// Characters a token or verifier may contain (RFC 5849 leaves them opaque;
// Twitter's are [A-Za-z0-9_-]): we accept the unreserved set A-Z a-z 0-9 - . _ ~
// False for the empty string (a token is never empty). Length is not checked.
bool is_token_text(std::string_view text);

}  // namespace perch
