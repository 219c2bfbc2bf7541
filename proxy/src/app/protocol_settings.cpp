#include "app/protocol_settings.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace perch {

namespace {

constexpr std::size_t max_credential_length = 256;

// An http(s) URL without query, http only for loopback, without a trailing slash.
Result<std::string> base_url(const Value& value, const char* example) {
    auto url = parse_http_url(value.text);
    if (!url || url.value().target.find('?') != std::string::npos) {
        return bad(value.source, std::string("must be an absolute http(s) URL without query, e.g. ") + example);
    }
    if (url.value().scheme == "http" && !is_loopback_host(url.value().host)) {
        return bad(value.source, "may use plain http only for a loopback host (127.0.0.1, ::1, localhost)");
    }
    std::string path = url.value().target;
    while (!path.empty() && path.back() == '/') path.pop_back();
    return url_origin(url.value()) + path;
}

// Scopes are RFC 6749 scope-tokens; X's are words like users.read.
bool valid_scopes(std::string_view text) {
    if (text.empty() || text.size() > 1024 || text.front() == ' ' || text.back() == ' ' ||
        text.find("  ") != std::string_view::npos) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' || c == '_' || c == '-' ||
               c == ':';
    });
}

std::optional<Error> read_credential_secret(std::string& target, const char* what, bool required,
                                            const Settings& s, const Setting& direct, const Setting& file) {
    auto value = secret_value(s, direct, file);
    if (!value) return value.error();
    if (!value.value() || (required && value.value()->empty())) {
        if (!required) return std::nullopt;
        return Error{ErrorCode::missing_field, std::string(direct.env) + " or " + file.env + " (" + direct.flag +
                                                   "[-file]) is required"};
    }
    if (value.value()->empty() || value.value()->size() > max_credential_length ||
        !printable_without_space(*value.value())) {
        return Error{ErrorCode::invalid_field,
                     std::string("the ") + what + " must be 1 to 256 printable ASCII characters without spaces"};
    }
    target = *value.value();
    return std::nullopt;
}

bool set_and_not_empty(const std::optional<Value>& value) { return value && !value->text.empty(); }

}  // namespace

bool printable_without_space(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::optional<Error> parse_protocol(ProxyConfig& config, const Value& value) {
    if (value.text == "oauth2") config.protocol = Protocol::oauth2;
    else if (value.text == "oauth1") config.protocol = Protocol::oauth1;
    else return bad(value.source, "must be oauth2 or oauth1");
    return std::nullopt;
}

std::optional<Error> parse_client_id(ProxyConfig& config, const Value& value) {
    if (config.protocol != Protocol::oauth2) return std::nullopt;
    if (value.text.size() > max_credential_length || !printable_without_space(value.text) ||
        value.text.find(':') != std::string::npos) {
        return bad(value.source, "must be 1 to 256 printable ASCII characters without spaces or ':'");
    }
    config.client_id = value.text;
    return std::nullopt;
}

std::optional<Error> parse_consumer_key(ProxyConfig& config, const Value& value) {
    if (config.protocol != Protocol::oauth1) return std::nullopt;
    if (value.text.size() > max_credential_length || !printable_without_space(value.text)) {
        return bad(value.source, "must be 1 to 256 printable ASCII characters without spaces");
    }
    config.consumer_key = value.text;
    return std::nullopt;
}

std::optional<Error> parse_x_api(ProxyConfig& config, const Value& value) {
    auto url = base_url(value, "https://api.x.com");
    if (!url) return url.error();
    config.twitter_api = url.value();
    return std::nullopt;
}

std::optional<Error> parse_authorize_url(ProxyConfig& config, const Value& value) {
    if (config.protocol != Protocol::oauth2) return std::nullopt;
    auto url = base_url(value, "https://x.com/i/oauth2/authorize");
    if (!url) return url.error();
    config.x_authorize_url = url.value();
    return std::nullopt;
}

std::optional<Error> parse_scopes(ProxyConfig& config, const Value& value) {
    if (config.protocol != Protocol::oauth2) return std::nullopt;
    if (!valid_scopes(value.text)) {
        return bad(value.source, "must be scopes separated by single spaces, e.g. "
                                 "\"tweet.read users.read offline.access\"");
    }
    config.scopes = value.text;
    return std::nullopt;
}

std::optional<Error> read_consumer_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                          const Setting& file) {
    if (config.protocol != Protocol::oauth1) return std::nullopt;
    return read_credential_secret(config.consumer_secret, "consumer secret", true, s, direct, file);
}

std::optional<Error> read_client_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                        const Setting& file) {
    if (config.protocol != Protocol::oauth2) return std::nullopt;
    return read_credential_secret(config.client_secret, "client secret", false, s, direct, file);
}

std::optional<Error> choose_protocol(ProxyConfig& config, const ValueOf& value_of) {
    const bool oauth2 = set_and_not_empty(value_of("PERCH_CLIENT_ID"));
    const bool oauth1 = set_and_not_empty(value_of("PERCH_CONSUMER_KEY"));
    if (!value_of("PERCH_PROTOCOL")) {
        if (oauth2 && oauth1) {
            return Error{ErrorCode::invalid_field,
                         "both PERCH_CLIENT_ID and PERCH_CONSUMER_KEY are set: set PERCH_PROTOCOL to oauth2 or oauth1"};
        }
        if (!oauth2 && !oauth1) {
            return Error{ErrorCode::missing_field,
                         "set PERCH_CLIENT_ID (OAuth 2.0, recommended) or PERCH_CONSUMER_KEY (OAuth 1.0a), "
                         "or PERCH_PROTOCOL"};
        }
        config.protocol = oauth2 ? Protocol::oauth2 : Protocol::oauth1;
    }
    if (config.protocol == Protocol::oauth2 && !oauth2) {
        return Error{ErrorCode::missing_field, "PERCH_CLIENT_ID (--client-id) is required for OAuth 2.0"};
    }
    if (config.protocol == Protocol::oauth1 && !oauth1) {
        return Error{ErrorCode::missing_field, "PERCH_CONSUMER_KEY (--consumer-key) is required"};
    }
    return std::nullopt;
}

std::optional<Error> check_api_names(ProxyConfig&, const ValueOf& value_of) {
    const auto current = value_of("PERCH_X_API");
    const auto older = value_of("PERCH_TWITTER_API");
    if (current && older && current->text != older->text) {
        return Error{ErrorCode::invalid_field, current->source + " and " + older->source +
                                                   " (its older name) differ: set only " + current->source};
    }
    return std::nullopt;
}

TwitterSettings twitter_settings(const ProxyConfig& config) {
    return TwitterSettings{config.consumer_key, config.consumer_secret, config.callback_url, config.twitter_api,
                           config.upstream.max_response_bytes};
}

OAuth2Settings oauth2_settings(const ProxyConfig& config) {
    return OAuth2Settings{config.client_id,       config.client_secret, config.callback_url,
                          config.twitter_api,     config.x_authorize_url, config.scopes,
                          config.upstream.max_response_bytes};
}

}  // namespace perch
