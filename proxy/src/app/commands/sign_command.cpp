#include "app/commands/sign_command.h"

#include <istream>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_input.h"
#include "provider/signer.h"

namespace perch {

namespace {

constexpr std::size_t max_input_bytes = 1024 * 1024;

struct SignInput {
    std::string method;
    std::string url;
    Params params;
    std::string consumer_secret;
    std::string token_secret;
};

Error field_error(ErrorCode code, const std::string& message) { return Error{code, message}; }

Result<std::string> string_field(const nlohmann::json& object, const char* name, bool required) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
        if (required) return field_error(ErrorCode::missing_field, std::string("missing field \"") + name + "\"");
        return std::string();
    }
    if (!it->is_string()) {
        return field_error(ErrorCode::invalid_field, std::string("field \"") + name + "\" must be a string");
    }
    return it->get<std::string>();
}

Result<SignInput> parse_input(std::string_view text) {
    auto parsed = parse_json(text, JsonLimits{max_input_bytes, 8});
    if (!parsed) return parsed.error();
    const nlohmann::json& object = parsed.value();
    if (!object.is_object()) return field_error(ErrorCode::invalid_json, "input must be a JSON object");
    for (const auto& item : object.items()) {
        const std::string& key = item.key();
        if (key != "method" && key != "url" && key != "params" && key != "consumer_secret" &&
            key != "token_secret") {
            return field_error(ErrorCode::invalid_field, "unknown field \"" + key + "\"");
        }
    }
    SignInput input;
    auto method = string_field(object, "method", true);
    if (!method) return method.error();
    if (method.value().empty()) return field_error(ErrorCode::invalid_field, "field \"method\" must not be empty");
    input.method = method.value();
    auto url = string_field(object, "url", true);
    if (!url) return url.error();
    input.url = url.value();
    auto consumer_secret = string_field(object, "consumer_secret", true);
    if (!consumer_secret) return consumer_secret.error();
    input.consumer_secret = consumer_secret.value();
    auto token_secret = string_field(object, "token_secret", false);
    if (!token_secret) return token_secret.error();
    input.token_secret = token_secret.value();

    const auto params = object.find("params");
    if (params == object.end() || params->is_null()) {
        return field_error(ErrorCode::missing_field, "missing field \"params\"");
    }
    if (!params->is_array()) {
        return field_error(ErrorCode::invalid_field, "field \"params\" must be an array of [name, value] pairs");
    }
    std::size_t index = 0;
    for (const auto& pair : *params) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
            return field_error(ErrorCode::invalid_field,
                               "params[" + std::to_string(index) + "] must be [name, value] with two strings");
        }
        if (pair[0].get<std::string>() == "oauth_signature") {
            return field_error(ErrorCode::invalid_field,
                               "params[" + std::to_string(index) + "] is oauth_signature, which is never signed");
        }
        input.params.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
        ++index;
    }
    return input;
}

void write_error(std::ostream& err, const Error& error) {
    nlohmann::json body = {{"error", {{"code", std::string(to_string(error.code))}, {"message", error.message}}}};
    err << body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace

int run_sign_command(std::istream& in, std::ostream& out, std::ostream& err) {
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_input_bytes) {
            write_error(err, Error{ErrorCode::too_long, "input is larger than 1 MiB"});
            return 2;
        }
    }
    auto input = parse_input(text);
    if (!input) {
        write_error(err, input.error());
        return 2;
    }
    const SignInput& request = input.value();
    auto parts = sign_parameters(request.method, request.url, request.params, request.consumer_secret,
                                 request.token_secret);
    if (!parts) {
        write_error(err, parts.error());
        return 2;
    }
    nlohmann::json result = {{"base_string", parts.value().base_string},
                             {"signature", parts.value().signature}};
    out << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return out ? 0 : 1;
}

}  // namespace perch
