// Twitter's error answers, byte for byte where we know them.
#pragma once

#include <string>
#include <string_view>

#include "http_message.h"

namespace perch::emulator {

// Twitter's error codes the emulator produces, with Twitter's own messages.
enum class TwitterCode {
    could_not_authenticate = 32,   // "Could not authenticate you."
    page_not_found = 34,           // "Sorry, that page does not exist."
    invalid_token = 89,            // "Invalid or expired token."
    timestamp_out_of_bounds = 135, // "Timestamp out of bounds."
    bad_authentication_data = 215, // "Bad Authentication data."
    callback_not_approved = 415,   // "Callback URL not approved for this client application. ..."
    desktop_only_oob = 417,        // "Desktop applications only support the oauth_callback value 'oob'"
};

std::string_view twitter_message(TwitterCode code);

// {"errors":[{"code":N,"message":"..."}]} with `status`; `reason` is the
// emulator's own explanation (log and X-Perch-Emulator-Reason header only).
EmuResponse twitter_error(int status, TwitterCode code, std::string reason);

// The plain-text answer Twitter gives to a wrong oauth_verifier on access_token.
EmuResponse invalid_verifier_error(std::string reason);

}  // namespace perch::emulator
