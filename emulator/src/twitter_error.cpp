#include "twitter_error.h"

#include <utility>

#include <nlohmann/json.hpp>

namespace perch::emulator {

std::string_view twitter_message(TwitterCode code) {
    switch (code) {
        case TwitterCode::could_not_authenticate: return "Could not authenticate you.";
        case TwitterCode::page_not_found: return "Sorry, that page does not exist.";
        case TwitterCode::invalid_token: return "Invalid or expired token.";
        case TwitterCode::timestamp_out_of_bounds: return "Timestamp out of bounds.";
        case TwitterCode::bad_authentication_data: return "Bad Authentication data.";
        case TwitterCode::callback_not_approved:
            return "Callback URL not approved for this client application. Approved callback "
                   "URLs can be adjusted in your application settings";
        case TwitterCode::desktop_only_oob:
            return "Desktop applications only support the oauth_callback value 'oob'";
    }
    return "Internal error";
}

EmuResponse twitter_error(int status, TwitterCode code, std::string reason) {
    nlohmann::json entry;
    entry["code"] = static_cast<int>(code);
    entry["message"] = twitter_message(code);
    nlohmann::json body;
    body["errors"] = nlohmann::json::array({entry});

    EmuResponse response;
    response.status = status;
    response.body = body.dump();
    response.reason = std::move(reason);
    return response;
}

EmuResponse invalid_verifier_error(std::string reason) {
    EmuResponse response;
    response.status = 401;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "Error processing your OAuth request: Invalid oauth_verifier parameter";
    response.reason = std::move(reason);
    return response;
}

}  // namespace perch::emulator
