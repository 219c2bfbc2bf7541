// The settings rows that choose and configure the protocol perch-proxy speaks
// to X (OAuth 2.0 or OAuth 1.0a), for app/config.cpp's table, the rule that
// ties them together, and the provider clients' own settings made from them.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "app/config.h"
#include "app/settings.h"
#include "core/result.h"
#include "provider/oauth2_client.h"
#include "provider/twitter_http_client.h"

namespace perch {

bool printable_without_space(std::string_view text);

// A setting's value by its variable's name, or nullopt when it is not set.
using ValueOf = std::function<std::optional<Value>(std::string_view env)>;

// The protocol rule, checked right after PERCH_PROTOCOL: PERCH_PROTOCOL, or
// inferred (oauth2 when PERCH_CLIENT_ID is set, oauth1 when PERCH_CONSUMER_KEY
// is; both or neither is an error naming what to set); the protocol's own
// client id or consumer key is then required. Rows of the protocol not in use
// are not read, as if unset.
std::optional<Error> choose_protocol(ProxyConfig& config, const ValueOf& value_of);

// PERCH_X_API and its older name PERCH_TWITTER_API agree when both are set.
std::optional<Error> check_api_names(ProxyConfig& config, const ValueOf& value_of);

// Row parsers: each checks one value and stores it in `config`.
std::optional<Error> parse_protocol(ProxyConfig& config, const Value& value);
std::optional<Error> parse_client_id(ProxyConfig& config, const Value& value);
std::optional<Error> parse_consumer_key(ProxyConfig& config, const Value& value);
std::optional<Error> parse_x_api(ProxyConfig& config, const Value& value);  // PERCH_X_API and PERCH_TWITTER_API
std::optional<Error> parse_authorize_url(ProxyConfig& config, const Value& value);
std::optional<Error> parse_scopes(ProxyConfig& config, const Value& value);

// Value-or-file secrets: the consumer secret is required with OAuth 1.0a; the
// client secret is optional with OAuth 2.0 (absent: a public client).
std::optional<Error> read_consumer_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                          const Setting& file);
std::optional<Error> read_client_secret(ProxyConfig& config, const Settings& s, const Setting& direct,
                                        const Setting& file);

// What each provider client needs of the proxy's settings.
TwitterSettings twitter_settings(const ProxyConfig& config);
OAuth2Settings oauth2_settings(const ProxyConfig& config);

}  // namespace perch
