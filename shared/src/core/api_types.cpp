#include "core/api_types.h"

#include <initializer_list>

#include "core/json_input.h"

namespace perch::api {
namespace {

using json = nlohmann::json;

// A request object is flat; anything deeper is wrong anyway, so stop early.
constexpr std::size_t max_request_depth = 4;
// How much of a stranger's field name an error message repeats.
constexpr std::size_t max_echoed_name_bytes = 40;

// A field name as an error message may quote it: printable ASCII only (no
// quote or backslash), cut short, so hostile names cannot shape the message.
std::string echo_name(std::string_view name) {
    std::string out;
    for (std::size_t i = 0; i < name.size() && i < max_echoed_name_bytes; ++i) {
        const char c = name[i];
        const bool plain = c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
        out += plain ? c : '?';
    }
    if (name.size() > max_echoed_name_bytes) out += "...";
    return out;
}

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

Result<json> parse_request_object(std::string_view body) {
    if (body.size() > max_request_body) {
        return Error{ErrorCode::too_long,
                     "request body is longer than " + std::to_string(max_request_body) + " bytes"};
    }
    auto parsed = parse_json(body, JsonLimits{max_request_body, max_request_depth});
    if (!parsed.ok()) return parsed.error();
    if (!parsed.value().is_object()) {
        return Error{ErrorCode::invalid_json, "request body is not a JSON object"};
    }
    return std::move(parsed).value();
}

Result<json> parse_response_object(std::string_view body) {
    auto parsed = parse_json(body);
    if (!parsed.ok()) return parsed.error();
    if (!parsed.value().is_object()) {
        return Error{ErrorCode::invalid_json, "response body is not a JSON object"};
    }
    return std::move(parsed).value();
}

// nlohmann objects iterate in key order, so the first unknown name reported
// is the same on every run.
Result<bool> reject_unknown_fields(const json& object,
                                   std::initializer_list<std::string_view> known) {
    for (const auto& item : object.items()) {
        bool is_known = false;
        for (std::string_view name : known) is_known = is_known || item.key() == name;
        if (!is_known) {
            return Error{ErrorCode::invalid_field,
                         "unknown field " + in_quotes(echo_name(item.key()))};
        }
    }
    return true;
}

// `path` is how the message names the field ("error.code").
Result<std::string> required_string(const json& object, const char* name,
                                    const std::string& path) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
        return Error{ErrorCode::missing_field, "missing field " + in_quotes(path)};
    }
    const auto* text = it->get_ptr<const std::string*>();
    if (text == nullptr) {
        return Error{ErrorCode::invalid_field, "field " + in_quotes(path) + " must be a string"};
    }
    return *text;
}

Result<std::string> required_string(const json& object, const char* name) {
    return required_string(object, name, name);
}

// Reads each named field into its member, stopping at the first error.
template <typename T>
std::optional<Error> read_strings(const json& object,
                                  std::initializer_list<std::pair<const char*, std::string T::*>> fields,
                                  T& target) {
    for (const auto& [name, member] : fields) {
        auto value = required_string(object, name);
        if (!value.ok()) return value.error();
        target.*member = std::move(value).value();
    }
    return std::nullopt;
}

}  // namespace

nlohmann::json to_json(const StartResponse& value) {
    return {{"authorize_url", value.authorize_url}, {"oauth_token", value.oauth_token}};
}

nlohmann::json to_json(const ErrorBody& value) {
    json error = {{"code", value.code}, {"message", value.message}};
    if (!value.fields.empty()) error["fields"] = value.fields;
    return {{"error", std::move(error)}};
}

nlohmann::json to_json(const User& value) {
    return {{"twitter_id", value.twitter_id},
            {"username", value.username},
            {"first_name", value.first_name},
            {"last_name", value.last_name},
            {"email", value.email},
            {"timezone", value.timezone},
            {"picture", value.picture},
            {"created_at", value.created_at},
            {"last_sign_in_at", value.last_sign_in_at}};
}

nlohmann::json to_json(const RegistrationForm& value) {
    return {{"username", value.username},
            {"first_name", value.first_name},
            {"last_name", value.last_name},
            {"email", value.email},
            {"timezone", value.timezone}};
}

Result<ExchangeRequest> parse_exchange_request(std::string_view body) {
    auto object = parse_request_object(body);
    if (!object.ok()) return object.error();
    if (auto known = reject_unknown_fields(object.value(), {"callback_query"}); !known.ok()) {
        return known.error();
    }
    ExchangeRequest request;
    if (auto error = read_strings<ExchangeRequest>(
            object.value(), {{"callback_query", &ExchangeRequest::callback_query}}, request)) {
        return *error;
    }
    return request;
}

Result<RegistrationForm> parse_registration_request(std::string_view body) {
    auto object = parse_request_object(body);
    if (!object.ok()) return object.error();
    if (auto known = reject_unknown_fields(
            object.value(), {"username", "first_name", "last_name", "email", "timezone"});
        !known.ok()) {
        return known.error();
    }
    RegistrationForm form;
    if (auto error = read_strings<RegistrationForm>(
            object.value(),
            {{"username", &RegistrationForm::username},
             {"first_name", &RegistrationForm::first_name},
             {"last_name", &RegistrationForm::last_name},
             {"email", &RegistrationForm::email},
             {"timezone", &RegistrationForm::timezone}},
            form)) {
        return *error;
    }
    return form;
}

// Responses are read tolerantly: unknown fields are ignored so an older page
// keeps working against a newer proxy. Known fields are still strict.
Result<StartResponse> parse_start_response(std::string_view body) {
    auto object = parse_response_object(body);
    if (!object.ok()) return object.error();
    StartResponse response;
    if (auto error = read_strings<StartResponse>(
            object.value(),
            {{"authorize_url", &StartResponse::authorize_url},
             {"oauth_token", &StartResponse::oauth_token}},
            response)) {
        return *error;
    }
    return response;
}

Result<ErrorBody> parse_error_body(std::string_view body) {
    auto object = parse_response_object(body);
    if (!object.ok()) return object.error();
    const auto it = object.value().find("error");
    if (it == object.value().end() || it->is_null()) {
        return Error{ErrorCode::missing_field, "missing field \"error\""};
    }
    if (!it->is_object()) {
        return Error{ErrorCode::invalid_field, "field \"error\" must be an object"};
    }
    const json& error = *it;
    ErrorBody result;
    auto code = required_string(error, "code", "error.code");
    if (!code.ok()) return code.error();
    result.code = std::move(code).value();
    auto message = required_string(error, "message", "error.message");
    if (!message.ok()) return message.error();
    result.message = std::move(message).value();

    const auto fields = error.find("fields");
    if (fields == error.end() || fields->is_null()) return result;
    if (!fields->is_object()) {
        return Error{ErrorCode::invalid_field, "field \"error.fields\" must be an object"};
    }
    for (const auto& item : fields->items()) {
        const auto* text = item.value().get_ptr<const std::string*>();
        if (text == nullptr) {
            return Error{ErrorCode::invalid_field,
                         "field " + in_quotes("error.fields." + echo_name(item.key())) +
                             " must be a string"};
        }
        result.fields.emplace(item.key(), *text);
    }
    return result;
}

Result<User> parse_user(const nlohmann::json& value) {
    if (!value.is_object()) {
        return Error{ErrorCode::invalid_json, "user is not a JSON object"};
    }
    User user;
    if (auto error = read_strings<User>(value,
                                        {{"twitter_id", &User::twitter_id},
                                         {"username", &User::username},
                                         {"first_name", &User::first_name},
                                         {"last_name", &User::last_name},
                                         {"email", &User::email},
                                         {"timezone", &User::timezone},
                                         {"picture", &User::picture},
                                         {"created_at", &User::created_at},
                                         {"last_sign_in_at", &User::last_sign_in_at}},
                                        user)) {
        return *error;
    }
    return user;
}

}  // namespace perch::api
