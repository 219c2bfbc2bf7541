// Parsing what Twitter's OAuth endpoints answer. Pure parsing; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace perch {

struct RequestToken {
    std::string token;
    std::string secret;
};

struct AccessToken {
    std::string token;
    std::string secret;
    std::string user_id;
    std::string screen_name;
};

// oauth_token=…&oauth_token_secret=…&oauth_callback_confirmed=true
// Anything but oauth_callback_confirmed=true is an error.
Result<RequestToken> parse_request_token_response(std::string_view body);

// oauth_token=…&oauth_token_secret=…&user_id=…&screen_name=…
Result<AccessToken> parse_access_token_response(std::string_view body);

struct TwitterError {
    int code = 0;          // Twitter's error code (32, 89, 135, 415, 417, ...); 0 if none
    std::string message;   // Twitter's message, bounded and made printable
};

// Twitter error bodies: JSON {"errors":[{"code":32,"message":"…"}]}, sometimes
// XML <errors><error code="415">…</error></errors>, sometimes plain text.
// Always yields at least one entry; never throws.
std::vector<TwitterError> parse_twitter_errors(std::string_view body);

// What an operator should do about a Twitter error code, or empty if we have no advice.
std::string_view operator_hint(int code);

}  // namespace perch
