#include "app/settings/ops_settings.h"

#include <string>

namespace perch {

namespace {

constexpr std::size_t max_admin_token_length = 256;

std::optional<Error> parse_address(std::optional<HostPort>& target, const Value& value) {
    auto parsed = parse_listen(value.text);
    if (!parsed) return bad(value.source, "must be host:port or [ipv6]:port, e.g. 127.0.0.1:9090");
    target = *parsed;
    return std::nullopt;
}

// Two addresses that would collide on bind(); port 0 picks a free port, so never.
bool same_address(const HostPort& a, const std::string& host, int port) {
    return a.port != 0 && a.port == port && a.host == host;
}

}  // namespace

std::optional<Error> parse_metrics_listen(ProxyConfig& config, const Value& value) {
    return parse_address(config.metrics_listen, value);
}

std::optional<Error> parse_admin_listen(ProxyConfig& config, const Value& value) {
    return parse_address(config.admin_listen, value);
}

std::optional<Error> read_admin_token(ProxyConfig& config, const Settings& s, const Setting& direct,
                                      const Setting& file) {
    auto value = secret_value(s, direct, file);
    if (!value) return value.error();
    if (!config.admin_listen) return std::nullopt;
    if (!value.value() || value.value()->empty()) {
        return Error{ErrorCode::missing_field, std::string(direct.env) + " or " + file.env +
                                                   " is required with PERCH_ADMIN_LISTEN"};
    }
    // No '%': the HTTP server percent-decodes header values, so a token with
    // one would never match the Authorization header it arrives in.
    const std::string& token = *value.value();
    if (token.size() > max_admin_token_length || !printable_without_space(token) ||
        token.find('%') != std::string::npos) {
        return Error{ErrorCode::invalid_field,
                     "the admin token must be 1 to 256 printable ASCII characters without spaces or %"};
    }
    config.admin_token = *value.value();
    return std::nullopt;
}

std::optional<Error> check_ops_listeners(ProxyConfig& config, const ValueOf&) {
    const auto collides = [&config](const std::optional<HostPort>& listen) {
        return listen && same_address(*listen, config.listen_host, config.listen_port);
    };
    if (collides(config.metrics_listen)) {
        return Error{ErrorCode::invalid_field, "PERCH_METRICS_LISTEN must not be the PERCH_LISTEN address"};
    }
    if (collides(config.admin_listen)) {
        return Error{ErrorCode::invalid_field, "PERCH_ADMIN_LISTEN must not be the PERCH_LISTEN address"};
    }
    if (config.metrics_listen && config.admin_listen &&
        same_address(*config.metrics_listen, config.admin_listen->host, config.admin_listen->port)) {
        return Error{ErrorCode::invalid_field, "PERCH_ADMIN_LISTEN must not be the PERCH_METRICS_LISTEN address"};
    }
    return std::nullopt;
}

}  // namespace perch
