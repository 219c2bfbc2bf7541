// Verifying what Twitter sends back to the callback page.
#pragma once

#include <string>
#include <string_view>

namespace perch {

enum class CallbackOutcome {
    approved,        // oauth_token matches the expected token; verifier present
    denied,          // a `denied` parameter is present (Twitter's Cancel)
    no_session,      // there is no expected token: the user came here directly
    missing_params,  // oauth_token or oauth_verifier absent or empty
    token_mismatch,  // oauth_token is not the one this browser started with
    malformed,       // bad encoding, duplicated oauth_token/oauth_verifier,
                     // over-long values or characters a token never has
};

std::string_view to_string(CallbackOutcome outcome);

struct CallbackResult {
    CallbackOutcome outcome;
    std::string oauth_token;     // empty unless approved
    std::string oauth_verifier;  // empty unless approved
};

// Longest token or verifier accepted; Twitter's are well under 100 bytes.
inline constexpr std::size_t max_token_length = 256;

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
CallbackResult verify_callback(std::string_view search, std::string_view expected_token);

// Characters a token or verifier may contain (RFC 5849 leaves them opaque;
// Twitter's are [A-Za-z0-9_-]): we accept the unreserved set A-Z a-z 0-9 - . _ ~
// False for the empty string (a token is never empty). Length is not checked.
bool is_token_text(std::string_view text);

}  // namespace perch
