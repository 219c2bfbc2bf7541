#include "emulator/fault_response.h"

#include <string>

#include "emulator/twitter_error.h"

namespace perch::emulator {
namespace {

bool speaks_v2(FaultEndpoint endpoint) {
    return endpoint == FaultEndpoint::token || endpoint == FaultEndpoint::users_me;
}

EmuResponse unauthorized(FaultEndpoint endpoint, std::string reason) {
    if (endpoint == FaultEndpoint::token)
        return oauth2_error(401, "invalid_client", "Missing valid authorization header", std::move(reason));
    if (endpoint == FaultEndpoint::users_me) return x_unauthorized(std::move(reason));
    return twitter_error(401, TwitterCode::invalid_token, std::move(reason));
}

EmuResponse too_many_requests(FaultEndpoint endpoint, std::int64_t now_unix, std::string reason) {
    EmuResponse response = speaks_v2(endpoint)
                               ? x_too_many_requests(std::move(reason))
                               : twitter_error(429, TwitterCode::rate_limit_exceeded, std::move(reason));
    response.headers.emplace_back("x-rate-limit-limit", "75");
    response.headers.emplace_back("x-rate-limit-remaining", "0");
    response.headers.emplace_back("x-rate-limit-reset", std::to_string(now_unix + rate_limit_window_s));
    return response;
}

}  // namespace

EmuResponse fault_response(FaultMode mode, FaultEndpoint endpoint, std::int64_t now_unix) {
    EmuResponse response;
    response.reason = "fault " + std::string(to_string(mode));
    switch (mode) {
        case FaultMode::http500:
            response.status = 500;
            response.content_type = "text/html; charset=utf-8";
            response.body = "<html><head><title>500 Internal Server Error</title></head><body>"
                            "<h1>Internal Server Error</h1><p>Something is technically wrong.</p>"
                            "</body></html>\n";
            return response;
        case FaultMode::http401:
            return unauthorized(endpoint, response.reason);
        case FaultMode::http429:
            return too_many_requests(endpoint, now_unix, response.reason);
        case FaultMode::garbage:
            response.status = 200;
            response.content_type = "text/html; charset=utf-8";
            // Not UTF-8, not form-encoded, not JSON, and contains a NUL.
            static const char garbage[] = "\xff\xfe\x00<<perch-emulator garbage>>{\"errors\":[";
            response.body.assign(garbage, sizeof garbage - 1);
            return response;
        case FaultMode::drop:
            response.drop = true;
            return response;
        case FaultMode::slow:
        case FaultMode::none:
            break;
    }
    return response;
}

}  // namespace perch::emulator
