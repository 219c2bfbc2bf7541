// The operator's own listeners, both off unless set: PERCH_METRICS_LISTEN
// (Prometheus /metrics) and PERCH_ADMIN_LISTEN with PERCH_ADMIN_TOKEN[_FILE]
// (the stored credentials for the site's backend). No message repeats the token.
#pragma once

#include <optional>

#include "app/settings/config.h"
#include "app/settings/protocol_settings.h"
#include "app/settings/settings.h"

namespace perch {

// PERCH_METRICS_LISTEN / PERCH_ADMIN_LISTEN: host:port or [v6]:port.
std::optional<Error> parse_metrics_listen(ProxyConfig& config, const Value& value);
std::optional<Error> parse_admin_listen(ProxyConfig& config, const Value& value);

// PERCH_ADMIN_TOKEN / PERCH_ADMIN_TOKEN_FILE: required when the admin listener
// is on, 1..256 printable ASCII characters without spaces or %; ignored otherwise.
std::optional<Error> read_admin_token(ProxyConfig& config, const Settings& s, const Setting& direct,
                                      const Setting& file);

// Neither operator listener may share the public listener's address: a
// scraper or the site's backend must never reach them through it.
std::optional<Error> check_ops_listeners(ProxyConfig& config, const ValueOf& value_of);

}  // namespace perch
