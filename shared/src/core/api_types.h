// The JSON shapes the browser and perch-proxy exchange. Both sides use these.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/registration_form.h"
#include "core/result.h"

namespace perch::api {

inline constexpr std::size_t max_request_body = 16 * 1024;

// POST /api/twitter/start -> 200
struct StartResponse {
    std::string authorize_url;
    std::string oauth_token;
};

// POST /api/twitter/exchange
struct ExchangeRequest {
    std::string callback_query;
};

// {"error":{"code","message"[,"fields"]}}
struct ErrorBody {
    std::string code;
    std::string message;
    std::map<std::string, std::string> fields;  // only for code "invalid"
};

// The account as the browser may see it: never tokens or secrets.
struct User {
    std::string twitter_id;
    std::string username;
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string timezone;
    std::string picture;
    std::string created_at;     // RFC 3339, UTC
    std::string last_sign_in_at;
};

nlohmann::json to_json(const StartResponse& value);
nlohmann::json to_json(const ErrorBody& value);
nlohmann::json to_json(const User& value);
nlohmann::json to_json(const RegistrationForm& value);

// Strict request parsing: the body must be a JSON object within
// max_request_body, every known field a string, unknown fields rejected.
Result<ExchangeRequest> parse_exchange_request(std::string_view body);
Result<RegistrationForm> parse_registration_request(std::string_view body);

// Parsing responses (the browser side and tests).
Result<StartResponse> parse_start_response(std::string_view body);
Result<ErrorBody> parse_error_body(std::string_view body);
Result<User> parse_user(const nlohmann::json& value);

}  // namespace perch::api
