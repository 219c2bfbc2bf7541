// The webhook settings: PERCH_WEBHOOK_URL and its signing secret
// (PERCH_WEBHOOK_SECRET / PERCH_WEBHOOK_SECRET_FILE). No message repeats the
// secret, and none repeats the URL (it may carry a token of the receiver's).
#pragma once

#include <optional>

#include "app/settings/config.h"
#include "app/settings/protocol_settings.h"
#include "app/settings/settings.h"

namespace perch {

// https://…, or http://… only to a loopback host: events carry personal data.
std::optional<Error> parse_webhook_url(ProxyConfig& config, const Value& value);

// 1..1024 bytes, from the value or its file (one trailing newline ignored).
std::optional<Error> read_webhook_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                         const Setting& file);

// A URL needs a secret: receivers must be able to tell Perch's events from forgeries.
std::optional<Error> check_webhook(ProxyConfig& config, const ValueOf& value_of);

}  // namespace perch
