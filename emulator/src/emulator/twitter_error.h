// X's error answers, byte for byte where we know them: v1.1 and OAuth 1.0a
// ({"errors":[…]}), API v2 problems ({"title","type","status","detail"}) and
// the OAuth 2.0 token endpoint ({"error","error_description"}, RFC 6749 §5.2).
#pragma once

#include <string>
#include <string_view>

#include "emulator/http_message.h"

namespace perch::emulator {

// Twitter's error codes the emulator produces, with Twitter's own messages.
enum class TwitterCode {
    could_not_authenticate = 32,   // "Could not authenticate you."
    page_not_found = 34,           // "Sorry, that page does not exist."
    rate_limit_exceeded = 88,      // "Rate limit exceeded"
    invalid_token = 89,            // "Invalid or expired token."
    timestamp_out_of_bounds = 135, // "Timestamp out of bounds."
    bad_authentication_data = 215, // "Bad Authentication data."
    callback_not_approved = 415,   // "Callback URL not approved for this client application. ..."
    desktop_only_oob = 417,        // "Desktop applications only support the oauth_callback value 'oob'"
    limited_v1_access = 453,       // "You currently have access to a subset of X API V2 endpoints ..."
};

std::string_view twitter_message(TwitterCode code);

// {"errors":[{"code":N,"message":"..."}]} with `status`; `reason` is the
// emulator's own explanation (log and X-Perch-Emulator-Reason header only).
EmuResponse twitter_error(int status, TwitterCode code, std::string reason);

// The plain-text answer Twitter gives to a wrong oauth_verifier on access_token.
EmuResponse invalid_verifier_error(std::string reason);

// An API v2 problem: {"title","type":"about:blank","status","detail"} as
// application/problem+json, the shape X gives for 401, 403 and 429 on /2/*.
EmuResponse x_problem(int status, std::string_view title, std::string_view detail, std::string reason);

// 401 {"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}.
EmuResponse x_unauthorized(std::string reason);

// 429 with the v2 problem body.
EmuResponse x_too_many_requests(std::string reason);

// An RFC 6749 §5.2 token endpoint error: {"error","error_description"} with
// Cache-Control: no-store. invalid_client (401) also carries WWW-Authenticate.
EmuResponse oauth2_error(int status, std::string_view error, std::string_view description,
                         std::string reason);

}  // namespace perch::emulator
