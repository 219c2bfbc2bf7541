#include "app/settings/webhook_settings.h"

#include <string>

#include "net/http_url.h"

namespace perch {

std::optional<Error> parse_webhook_url(ProxyConfig& config, const Value& value) {
    if (value.text.empty()) return std::nullopt;
    auto url = parse_http_url(value.text);
    if (!url) return bad(value.source, "must be an absolute http(s) URL");
    if (url.value().scheme != "https" && !is_loopback_host(url.value().host)) {
        return bad(value.source, "must be https:// (http:// only for a loopback host such as 127.0.0.1)");
    }
    config.webhook_url = value.text;
    return std::nullopt;
}

std::optional<Error> read_webhook_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                         const Setting& file) {
    auto value = secret_value(s, direct, file);
    if (!value) return value.error();
    if (!value.value()) return std::nullopt;
    if (value.value()->empty() || value.value()->size() > 1024) {
        return Error{ErrorCode::invalid_field, std::string(direct.env) + " must be 1 to 1024 bytes"};
    }
    config.webhook_secret = *value.value();
    return std::nullopt;
}

std::optional<Error> check_webhook(ProxyConfig& config, const ValueOf&) {
    if (!config.webhook_url.empty() && config.webhook_secret.empty()) {
        return Error{ErrorCode::missing_field,
                     "PERCH_WEBHOOK_SECRET or PERCH_WEBHOOK_SECRET_FILE (--webhook-secret[-file]) is required "
                     "when PERCH_WEBHOOK_URL is set"};
    }
    return std::nullopt;
}

}  // namespace perch
