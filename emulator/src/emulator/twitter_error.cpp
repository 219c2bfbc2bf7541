#include "emulator/twitter_error.h"

#include <utility>

#include <nlohmann/json.hpp>

namespace perch::emulator {

std::string_view twitter_message(TwitterCode code) {
    switch (code) {
        case TwitterCode::could_not_authenticate: return "Could not authenticate you.";
        case TwitterCode::page_not_found: return "Sorry, that page does not exist.";
        case TwitterCode::rate_limit_exceeded: return "Rate limit exceeded";
        case TwitterCode::invalid_token: return "Invalid or expired token.";
        case TwitterCode::timestamp_out_of_bounds: return "Timestamp out of bounds.";
        case TwitterCode::bad_authentication_data: return "Bad Authentication data.";
        case TwitterCode::callback_not_approved:
            return "Callback URL not approved for this client application. Approved callback "
                   "URLs can be adjusted in your application settings";
        case TwitterCode::desktop_only_oob:
            return "Desktop applications only support the oauth_callback value 'oob'";
        case TwitterCode::limited_v1_access:
            return "You currently have access to a subset of X API V2 endpoints and limited v1.1 "
                   "endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you "
                   "may need a different access level. You can learn more here: "
                   "https://developer.x.com/en/portal/product";
    }
    return "Internal error";
}

EmuResponse twitter_error(int status, TwitterCode code, std::string reason) {
    // Byte order as X sends it: the newer answers (88, 453) put "message"
    // first, the OAuth 1.0a ones "code".
    nlohmann::ordered_json entry;
    const bool message_first = code == TwitterCode::rate_limit_exceeded || code == TwitterCode::limited_v1_access;
    if (message_first) entry["message"] = twitter_message(code);
    entry["code"] = static_cast<int>(code);
    if (!message_first) entry["message"] = twitter_message(code);
    nlohmann::ordered_json body;
    body["errors"] = nlohmann::ordered_json::array({entry});

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

EmuResponse x_problem(int status, std::string_view title, std::string_view detail, std::string reason) {
    // X's order, kept so a byte comparison with a captured answer holds.
    nlohmann::ordered_json body;
    body["title"] = title;
    body["type"] = "about:blank";
    body["status"] = status;
    body["detail"] = detail;

    EmuResponse response;
    response.status = status;
    response.content_type = "application/problem+json";
    response.body = body.dump();
    response.reason = std::move(reason);
    return response;
}

EmuResponse x_unauthorized(std::string reason) {
    return x_problem(401, "Unauthorized", "Unauthorized", std::move(reason));
}

EmuResponse x_too_many_requests(std::string reason) {
    return x_problem(429, "Too Many Requests", "Too Many Requests", std::move(reason));
}

EmuResponse oauth2_error(int status, std::string_view error, std::string_view description,
                         std::string reason) {
    nlohmann::ordered_json body;
    body["error"] = error;
    body["error_description"] = description;

    EmuResponse response;
    response.status = status;
    response.body = body.dump();
    response.reason = std::move(reason);
    response.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
    if (error == "invalid_client")
        response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"perch-emulator\"");
    return response;
}

}  // namespace perch::emulator
