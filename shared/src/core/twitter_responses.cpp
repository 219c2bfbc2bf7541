#include "core/twitter_responses.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "core/callback.h"
#include "core/json_input.h"
#include "core/query.h"

namespace perch {
namespace {

constexpr std::size_t max_message_length = 200;
constexpr std::size_t max_errors = 10;
constexpr std::size_t max_screen_name_length = 50;
constexpr std::size_t max_user_id_digits = 20;  // 2^64 has 20 digits
constexpr JsonLimits error_json_limits{64 * 1024, 16};

Error provider_error(std::string message) {
    return Error{ErrorCode::provider_error, std::move(message)};
}

// The value of a parameter that must appear exactly once; never echoes values.
Result<std::string> single(const Params& params, std::string_view what, std::string_view name) {
    const std::size_t count = count_params(params, name);
    if (count == 0) return provider_error(std::string(what) + " has no " + std::string(name));
    if (count > 1) return provider_error(std::string(what) + " repeats " + std::string(name));
    return *find_param(params, name);
}

Result<std::string> single_token(const Params& params, std::string_view what, std::string_view name) {
    auto value = single(params, what, name);
    if (!value) return value;
    if (value.value().empty()) return provider_error(std::string(what) + " has an empty " + std::string(name));
    if (value.value().size() > max_token_length || !is_token_text(value.value())) {
        return provider_error(std::string(what) + " has an unusable " + std::string(name));
    }
    return value;
}

Result<Params> parse_body(std::string_view body, std::string_view what) {
    auto params = parse_query(body);
    if (!params) return provider_error(std::string(what) + " is not a form: " + params.error().message);
    return params;
}

bool is_printable_ascii(unsigned char c) { return c >= 0x20 && c < 0x7F; }

// Printable ASCII only, whitespace runs collapsed, each non-ASCII character (or
// stray byte) shown as '?', trimmed and cut to max_message_length.
std::string printable(std::string_view text) {
    std::string out;
    bool pending_space = false;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            pending_space = !out.empty();
            continue;
        }
        if (c >= 0x80 && c <= 0xBF) continue;  // UTF-8 continuation: its lead byte became '?'
        if (pending_space) out.push_back(' ');
        pending_space = false;
        out.push_back(is_printable_ascii(c) ? ch : '?');
        if (out.size() > max_message_length) break;
    }
    if (out.size() > max_message_length) {
        out.resize(max_message_length - 3);
        out += "...";
    }
    return out;
}

int json_code(const nlohmann::json& value) {
    if (value.is_number_unsigned()) {
        const auto code = value.get<unsigned long long>();
        return code <= INT_MAX ? static_cast<int>(code) : 0;
    }
    return 0;  // negative, fractional, or not a number
}

std::vector<TwitterError> json_errors(std::string_view body) {
    std::vector<TwitterError> errors;
    auto parsed = parse_json(body, error_json_limits);
    if (!parsed || !parsed.value().is_object()) return errors;
    const nlohmann::json& root = parsed.value();
    const auto list = root.find("errors");
    if (list != root.end() && list->is_array()) {
        for (const auto& item : *list) {
            if (errors.size() == max_errors) break;
            if (!item.is_object()) continue;
            TwitterError error;
            if (const auto code = item.find("code"); code != item.end()) error.code = json_code(*code);
            if (const auto message = item.find("message"); message != item.end() && message->is_string()) {
                error.message = printable(message->get_ref<const std::string&>());
            }
            if (error.code != 0 || !error.message.empty()) errors.push_back(std::move(error));
        }
    }
    const auto single_error = root.find("error");
    if (errors.empty() && single_error != root.end() && single_error->is_string()) {
        errors.push_back(TwitterError{0, printable(single_error->get_ref<const std::string&>())});
    }
    return errors;
}

std::string decode_xml_text(std::string_view text) {
    static constexpr std::pair<std::string_view, char> entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool replaced = false;
        if (text[i] == '&') {
            for (const auto& [entity, c] : entities) {
                if (text.substr(i, entity.size()) == entity) {
                    out.push_back(c);
                    i += entity.size() - 1;
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) out.push_back(text[i]);
    }
    return out;
}

// code="415" inside an <error ...> start tag; 0 when absent or not a small number.
int xml_code(std::string_view attributes) {
    const std::size_t at = attributes.find("code=\"");
    if (at == std::string_view::npos) return 0;
    const std::size_t start = at + 6;
    const std::size_t end = attributes.find('"', start);
    if (end == std::string_view::npos || end == start || end - start > 9) return 0;
    int code = 0;
    for (std::size_t i = start; i < end; ++i) {
        if (attributes[i] < '0' || attributes[i] > '9') return 0;
        code = code * 10 + (attributes[i] - '0');
    }
    return code;
}

// <error code="415">text</error> elements, in order. A scan, not an XML parser:
// Twitter's XML error bodies are flat and we only want codes and messages.
std::vector<TwitterError> xml_errors(std::string_view body) {
    std::vector<TwitterError> errors;
    const std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || body[first] != '<') return errors;
    std::size_t pos = 0;
    while (errors.size() < max_errors) {
        const std::size_t open = body.find("<error", pos);
        if (open == std::string_view::npos) break;
        const std::size_t after_name = open + 6;
        if (after_name >= body.size()) break;
        const char next = body[after_name];
        if (next != '>' && next != ' ' && next != '\t' && next != '\r' && next != '\n') {
            pos = after_name;  // <errors> or <errorsomething>
            continue;
        }
        const std::size_t tag_end = body.find('>', after_name);
        if (tag_end == std::string_view::npos) break;
        const std::size_t close = body.find("</error>", tag_end + 1);
        if (close == std::string_view::npos) break;
        TwitterError error;
        error.code = xml_code(body.substr(after_name, tag_end - after_name));
        error.message = printable(decode_xml_text(body.substr(tag_end + 1, close - tag_end - 1)));
        errors.push_back(std::move(error));
        pos = close + 8;
    }
    return errors;
}

}  // namespace

Result<RequestToken> parse_request_token_response(std::string_view body) {
    constexpr std::string_view what = "request token response";
    auto params = parse_body(body, what);
    if (!params) return params.error();
    auto confirmed = single(params.value(), what, "oauth_callback_confirmed");
    if (!confirmed) return confirmed.error();
    if (confirmed.value() != "true") {
        return provider_error("request token response does not confirm the callback "
                              "(oauth_callback_confirmed is not true)");
    }
    auto token = single_token(params.value(), what, "oauth_token");
    if (!token) return token.error();
    auto secret = single_token(params.value(), what, "oauth_token_secret");
    if (!secret) return secret.error();
    return RequestToken{std::move(token).value(), std::move(secret).value()};
}

Result<AccessToken> parse_access_token_response(std::string_view body) {
    constexpr std::string_view what = "access token response";
    auto params = parse_body(body, what);
    if (!params) return params.error();
    auto token = single_token(params.value(), what, "oauth_token");
    if (!token) return token.error();
    auto secret = single_token(params.value(), what, "oauth_token_secret");
    if (!secret) return secret.error();

    auto user_id = single(params.value(), what, "user_id");
    if (!user_id) return user_id.error();
    const std::string& id = user_id.value();
    const bool id_ok = !id.empty() && id.size() <= max_user_id_digits && id.front() != '0' &&
                       std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!id_ok) return provider_error("access token response has a user_id that is not a decimal id");

    auto screen_name = single(params.value(), what, "screen_name");
    if (!screen_name) return screen_name.error();
    const std::string& name = screen_name.value();
    const bool name_ok = !name.empty() && name.size() <= max_screen_name_length &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                             return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                    (c >= '0' && c <= '9') || c == '_';
                         });
    if (!name_ok) return provider_error("access token response has an unusable screen_name");

    return AccessToken{std::move(token).value(), std::move(secret).value(), id, name};
}

std::vector<TwitterError> parse_twitter_errors(std::string_view body) {
    auto errors = json_errors(body);
    if (errors.empty()) errors = xml_errors(body);
    if (errors.empty()) {
        std::string text = printable(body);
        errors.push_back(TwitterError{0, text.empty() ? "(empty response)" : std::move(text)});
    }
    return errors;
}

std::string_view operator_hint(int code) {
    switch (code) {
        case 32:
            return "Twitter could not authenticate the request (bad signature or credentials): "
                   "check the consumer key and secret, and that the server clock is correct.";
        case 89:
            return "The token is invalid or expired: start the sign-in again.";
        case 135:
            return "The request timestamp is out of bounds: sync the server clock (NTP).";
        case 415:
            return "The callback URL is not approved for this app: register PERCH_CALLBACK_URL "
                   "as a callback URL in the Twitter developer portal.";
        case 417:
            return "Twitter treats this app as a desktop application, which only supports "
                   "oauth_callback=oob: set a callback URL in the app settings.";
        default:
            return {};
    }
}

}  // namespace perch
