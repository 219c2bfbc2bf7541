#include "app/settings/config.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <openssl/crypto.h>

#include "app/settings/ops_settings.h"
#include "app/settings/protocol_settings.h"
#include "app/settings/settings.h"
#include "core/text.h"
#include "app/settings/store_settings.h"
#include "app/settings/webhook_settings.h"
#include "store/service_url.h"
#include "store/token_cipher.h"

namespace perch {

namespace {

// CLI11's parse of the command line: nullopt to go on, or what to answer instead
// (the --help or --version text to print, or a one-line error).
template <typename Config>
std::optional<Result<Loaded<Config>>> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                                         const std::string& version) {
    auto print = [](std::string text) {
        Loaded<Config> loaded;
        loaded.action = ConfigAction::print_and_exit;
        loaded.text = std::move(text);
        return Result<Loaded<Config>>(std::move(loaded));
    };
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::CallForHelp&) {
        return print(app.help());
    } catch (const CLI::CallForVersion&) {
        return print(app.get_name() + " " + version + "\n");
    } catch (const CLI::ExtrasError&) {
        // CLI11 would list the extra words, which may be a mistyped secret.
        return Result<Loaded<Config>>(Error{ErrorCode::invalid_field, "unexpected command-line argument (see --help)"});
    } catch (const CLI::ParseError& error) {
        // CLI11's messages name the flag, not its value, e.g. "--listen: 1 required TEXT missing".
        std::string message = error.what();
        std::replace(message.begin(), message.end(), '\n', ' ');
        return Result<Loaded<Config>>(Error{ErrorCode::invalid_field, message});
    }
}

Error required(const Setting& setting) {
    return Error{ErrorCode::missing_field, std::string(setting.env) + " (" + setting.flag + ") is required"};
}

// One row of the settings table: a PERCH_ variable, its --flag, its help, and
// how its text becomes part of ProxyConfig.
struct ProxySetting {
    enum class Kind {
        text,         // optional; `parse` checks and stores it
        required,     // like text, but missing or empty is an error
        integer,      // within [min, max]; `set` stores it, `get` gives the default
        secret,       // a value-or-file pair with the next row; `secret` reads and stores it
        secret_file,  // the _FILE half of the row before it
        rule,         // no variable: `rule` checks the rows above that depend on each other
    };
    const char* env;
    const char* flag;
    const char* help;
    Kind kind;
    std::optional<Error> (*parse)(ProxyConfig&, const Value&) = nullptr;
    std::string (*shown_default)(const ProxyConfig&) = nullptr;  // for --help; text rows
    long long min = 0;
    long long max = 0;
    long long (*get)(const ProxyConfig&) = nullptr;
    void (*set)(ProxyConfig&, long long) = nullptr;
    std::optional<Error> (*secret)(ProxyConfig&, const Settings&, const Setting& direct, const Setting& file) = nullptr;
    std::optional<Error> (*rule)(ProxyConfig&, const ValueOf&) = nullptr;
};

using Kind = ProxySetting::Kind;

ProxySetting text(const char* env, const char* flag, const char* help,
                  std::optional<Error> (*parse)(ProxyConfig&, const Value&),
                  std::string (*shown_default)(const ProxyConfig&) = nullptr) {
    return ProxySetting{env, flag, help, Kind::text, parse, shown_default};
}
ProxySetting required_text(const char* env, const char* flag, const char* help,
                           std::optional<Error> (*parse)(ProxyConfig&, const Value&)) {
    return ProxySetting{env, flag, help, Kind::required, parse};
}
ProxySetting integer(const char* env, const char* flag, const char* help, long long min, long long max,
                     long long (*get)(const ProxyConfig&), void (*set)(ProxyConfig&, long long)) {
    return ProxySetting{env, flag, help, Kind::integer, nullptr, nullptr, min, max, get, set};
}
ProxySetting secret(const char* env, const char* flag, const char* help,
                    std::optional<Error> (*read)(ProxyConfig&, const Settings&, const Setting&, const Setting&)) {
    return ProxySetting{env, flag, help, Kind::secret, nullptr, nullptr, 0, 0, nullptr, nullptr, read};
}
ProxySetting secret_file(const char* env, const char* flag, const char* help) {
    return ProxySetting{env, flag, help, Kind::secret_file};
}
ProxySetting rule(const char* name, std::optional<Error> (*check)(ProxyConfig&, const ValueOf&)) {
    return ProxySetting{name, nullptr, nullptr, Kind::rule, nullptr, nullptr, 0, 0, nullptr, nullptr, nullptr, check};
}

// Accounts are stored with their Twitter tokens sealed under this key, so the
// proxy does not start without one.
std::optional<Error> read_token_key(ProxyConfig& config, const Settings& s, const Setting& direct,
                                    const Setting& file) {
    auto token_key = key_setting(s, direct, file, "token key");
    if (!token_key) return token_key.error();
    config.token_key = token_key.value();
    OPENSSL_cleanse(token_key.value().data(), token_key.value().size());
    return std::nullopt;
}

std::optional<Error> parse_listen_setting(ProxyConfig& config, const Value& value) {
    auto parsed = parse_listen(value.text);
    if (!parsed) return bad(value.source, "must be host:port or [ipv6]:port, e.g. 127.0.0.1:8080");
    config.listen_host = parsed->host;
    config.listen_port = parsed->port;
    return std::nullopt;
}

std::optional<Error> parse_public_origin(ProxyConfig& config, const Value& value) {
    auto url = parse_http_url(value.text);
    // "http://host/" has target "/" too, but so does "http://host": both mean the origin.
    if (!url || (url.value().target != "/")) {
        return bad(value.source, "must be an origin such as https://example.com or http://127.0.0.1:8080");
    }
    config.public_origin = url_origin(url.value());
    config.public_origin_from_listen = false;
    return std::nullopt;
}

std::optional<Error> parse_callback_url(ProxyConfig& config, const Value& value) {
    if (!parse_http_url(value.text)) {
        return bad(value.source, "must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/signup/callback");
    }
    config.callback_url = value.text;
    return std::nullopt;
}

std::optional<Error> parse_path(std::string& target, const Value& value) {
    if (value.text.empty()) return bad(value.source, "must not be empty");
    target = value.text;
    return std::nullopt;
}

std::optional<Error> parse_trust_forwarded_for(ProxyConfig& config, const Value& value) {
    const std::string text = lower(value.text);
    if (text == "1" || text == "true" || text == "yes") {
        config.trust_forwarded_for = true;
    } else if (text == "0" || text == "false" || text == "no") {
        config.trust_forwarded_for = false;
    } else {
        return bad(value.source, "must be 1 or 0 (true or false)");
    }
    return std::nullopt;
}

template <typename Duration>
long long count_of(const Duration& duration) {
    return static_cast<long long>(duration.count());
}

// Every setting of perch-proxy, once, in the order they are checked (the first
// error is the one reported) and listed by --help.
const std::vector<ProxySetting>& proxy_settings() {
    static const std::vector<ProxySetting> table = {
        // The protocol first: which rows below apply depends on it.
        text("PERCH_PROTOCOL", "--protocol",
             "oauth2 or oauth1 (default: oauth2 when PERCH_CLIENT_ID is set, oauth1 when PERCH_CONSUMER_KEY is)",
             parse_protocol),
        rule("protocol", choose_protocol),
        text("PERCH_CLIENT_ID", "--client-id", "X app OAuth 2.0 client ID (required for oauth2)", parse_client_id),
        secret("PERCH_CLIENT_SECRET", "--client-secret",
               "OAuth 2.0 client secret: set for a confidential client (Web App), unset for a public one",
               read_client_secret),
        secret_file("PERCH_CLIENT_SECRET_FILE", "--client-secret-file", "file holding the client secret"),
        text("PERCH_X_AUTHORIZE_URL", "--x-authorize-url", "OAuth 2.0 consent page", parse_authorize_url,
             [](const ProxyConfig& c) { return c.x_authorize_url; }),
        text("PERCH_SCOPES", "--scopes", "OAuth 2.0 scopes; add users.email for the email", parse_scopes,
             [](const ProxyConfig& c) { return "\"" + c.scopes + "\""; }),
        text("PERCH_CONSUMER_KEY", "--consumer-key", "X app OAuth 1.0a consumer key (required for oauth1)",
             parse_consumer_key),
        secret("PERCH_CONSUMER_SECRET", "--consumer-secret", "consumer secret (or use the _FILE form)",
               read_consumer_secret),
        secret_file("PERCH_CONSUMER_SECRET_FILE", "--consumer-secret-file", "file holding the consumer secret"),
        rule("API names", check_api_names),
        text("PERCH_X_API", "--x-api", "X API base URL", parse_x_api,
             [](const ProxyConfig& c) { return c.twitter_api; }),
        text("PERCH_TWITTER_API", "--twitter-api", "older name of PERCH_X_API", parse_x_api),
        text("PERCH_LISTEN", "--listen", "host:port to listen on; port 0 = any", parse_listen_setting,
             [](const ProxyConfig& c) { return c.listen_host + ":" + std::to_string(c.listen_port); }),
        text("PERCH_PUBLIC_ORIGIN", "--public-origin",
             "the site's origin; https means Secure cookies (default: from the listen address)", parse_public_origin),
        required_text("PERCH_CALLBACK_URL", "--callback-url",
                      "absolute URL of the page's callback route, on the public origin (required)", parse_callback_url),
        text("PERCH_WEB_ROOT", "--web-root", "folder of static files",
             [](ProxyConfig& c, const Value& v) { return parse_path(c.web_root, v); },
             [](const ProxyConfig& c) { return c.web_root; }),
        text("PERCH_DATABASE", "--database", "accounts: a SQLite file, or postgresql://user[:password]@host[:port]/db",
             parse_database_setting, [](const ProxyConfig& c) { return c.database; }),
        text("PERCH_DATABASE_PASSWORD_FILE", "--database-password-file",
             "file holding the PostgreSQL password (instead of one in the URL)",
             [](ProxyConfig& c, const Value& v) { return read_password_file(c.database_password, v); }),
        integer("PERCH_DATABASE_POOL_SIZE", "--database-pool-size", "PostgreSQL connections per proxy", 1, 100,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.database_pool_size); },
                [](ProxyConfig& c, long long v) { c.database_pool_size = static_cast<std::size_t>(v); }),
        text("PERCH_SESSION_STORE", "--session-store",
             "sessions: memory, or redis://[[user]:password@]host[:port][/db] shared by several proxies",
             parse_session_store_setting, [](const ProxyConfig& c) { return c.session_store; }),
        text("PERCH_SESSION_STORE_PASSWORD_FILE", "--session-store-password-file",
             "file holding the Redis password (instead of one in the URL)",
             [](ProxyConfig& c, const Value& v) { return read_password_file(c.session_store_password, v); }),
        integer("PERCH_STORE_TIMEOUT_MS", "--store-timeout-ms",
                "longest wait for Redis or PostgreSQL (connect, a free connection, an answer) before 503", 100, 60000,
                [](const ProxyConfig& c) -> long long { return count_of(c.store_timeout); },
                [](ProxyConfig& c, long long v) { c.store_timeout = std::chrono::milliseconds(v); }),
        secret("PERCH_TOKEN_KEY", "--token-key", "64 hex digits: key encrypting stored Twitter tokens (required)",
               read_token_key),
        secret_file("PERCH_TOKEN_KEY_FILE", "--token-key-file",
                    "file holding the token key (one trailing newline is ignored)"),
        integer("PERCH_THREADS", "--threads", "worker threads", 1, 256,
                [](const ProxyConfig& c) -> long long { return c.threads; },
                [](ProxyConfig& c, long long v) { c.threads = static_cast<int>(v); }),
        integer("PERCH_MAX_BODY_BYTES", "--max-body-bytes", "largest request body", 1024, 1024 * 1024,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.max_body_bytes); },
                [](ProxyConfig& c, long long v) { c.max_body_bytes = static_cast<std::size_t>(v); }),
        integer("PERCH_SESSION_IDLE_SECONDS", "--session-idle-seconds", "session idle expiry", 10, 30LL * 24 * 3600,
                [](const ProxyConfig& c) { return count_of(c.session_idle); },
                [](ProxyConfig& c, long long v) { c.session_idle = std::chrono::seconds(v); }),
        integer("PERCH_SESSION_MAX_AGE_SECONDS", "--session-max-age-seconds",
                "session absolute expiry, not shorter than the idle expiry", 10, 365LL * 24 * 3600,
                [](const ProxyConfig& c) { return count_of(c.session_max_age); },
                [](ProxyConfig& c, long long v) { c.session_max_age = std::chrono::seconds(v); }),
        integer("PERCH_FLOW_TTL_SECONDS", "--flow-ttl-seconds", "pending sign-in lifetime", 1, 24 * 3600,
                [](const ProxyConfig& c) { return count_of(c.flow_ttl); },
                [](ProxyConfig& c, long long v) { c.flow_ttl = std::chrono::seconds(v); }),
        integer("PERCH_MAX_SESSIONS", "--max-sessions", "most sessions kept", 1, 10000000,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.max_sessions); },
                [](ProxyConfig& c, long long v) { c.max_sessions = static_cast<std::size_t>(v); }),
        integer("PERCH_MAX_PENDING_FLOWS", "--max-pending-flows",
                "exchanged sign-ins remembered for single use until they expire", 1, 10000000,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.max_pending_flows); },
                [](ProxyConfig& c, long long v) { c.max_pending_flows = static_cast<std::size_t>(v); }),
        // Each pending sign-in is a ~200-byte cookie the browser sends with every
        // request to the site: 20 keep the Cookie header far inside what is read.
        integer("PERCH_MAX_FLOWS_PER_SESSION", "--max-flows-per-session",
                "pending sign-ins (flow cookies) one browser may hold", 1, 20,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.max_flows_per_session); },
                [](ProxyConfig& c, long long v) { c.max_flows_per_session = static_cast<std::size_t>(v); }),
        integer("PERCH_UPSTREAM_CONNECT_TIMEOUT_MS", "--upstream-connect-timeout-ms", "provider connect timeout",
                50, 60000, [](const ProxyConfig& c) { return count_of(c.upstream.connect_timeout); },
                [](ProxyConfig& c, long long v) { c.upstream.connect_timeout = std::chrono::milliseconds(v); }),
        integer("PERCH_UPSTREAM_TIMEOUT_MS", "--upstream-timeout-ms", "provider read timeout", 50, 120000,
                [](const ProxyConfig& c) { return count_of(c.upstream.read_timeout); },
                [](ProxyConfig& c, long long v) { c.upstream.read_timeout = std::chrono::milliseconds(v); }),
        integer("PERCH_START_PER_MINUTE", "--start-per-minute",
                "POST /api/twitter/start per client and minute; 0 = no limit", 0, 1000000,
                [](const ProxyConfig& c) { return static_cast<long long>(c.start_limit.per_minute); },
                [](ProxyConfig& c, long long v) { c.start_limit.per_minute = static_cast<double>(v); }),
        integer("PERCH_START_BURST", "--start-burst", "start calls a client may make at once", 1, 100000,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.start_limit.burst); },
                [](ProxyConfig& c, long long v) { c.start_limit.burst = static_cast<std::size_t>(v); }),
        integer("PERCH_EXCHANGE_PER_MINUTE", "--exchange-per-minute",
                "POST /api/twitter/exchange per client and minute; 0 = no limit", 0, 1000000,
                [](const ProxyConfig& c) { return static_cast<long long>(c.exchange_limit.per_minute); },
                [](ProxyConfig& c, long long v) { c.exchange_limit.per_minute = static_cast<double>(v); }),
        integer("PERCH_EXCHANGE_BURST", "--exchange-burst", "exchange calls a client may make at once", 1, 100000,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.exchange_limit.burst); },
                [](ProxyConfig& c, long long v) { c.exchange_limit.burst = static_cast<std::size_t>(v); }),
        text("PERCH_TRUST_FORWARDED_FOR", "--trust-forwarded-for",
             "1: key clients by X-Forwarded-For's last entry, only behind your reverse proxy",
             parse_trust_forwarded_for, [](const ProxyConfig&) { return std::string("0"); }),
        integer("PERCH_REQUEST_TIMEOUT_MS", "--request-timeout-ms",
                "a request (head and body) must arrive within this, else 408", 500, 60000,
                [](const ProxyConfig& c) { return count_of(c.request_timeout); },
                [](ProxyConfig& c, long long v) { c.request_timeout = std::chrono::milliseconds(v); }),
        integer("PERCH_MAX_CONNECTIONS_PER_CLIENT", "--max-connections-per-client",
                "connections one address may hold at once, else 429; 0 = no limit, and the default "
                "with PERCH_TRUST_FORWARDED_FOR=1",
                0, 100000, [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.max_connections_per_client); },
                [](ProxyConfig& c, long long v) { c.max_connections_per_client = static_cast<std::size_t>(v); }),
        integer("PERCH_KEEP_ALIVE_REQUESTS", "--keep-alive-requests",
                "requests one connection may carry before it is closed", 1, 100000,
                [](const ProxyConfig& c) -> long long { return static_cast<long long>(c.keep_alive_requests); },
                [](ProxyConfig& c, long long v) { c.keep_alive_requests = static_cast<std::size_t>(v); }),
        text("PERCH_WEBHOOK_URL", "--webhook-url",
             "POST account.created, account.signed_in and account.deleted events here (https; http for loopback)",
             parse_webhook_url),
        secret("PERCH_WEBHOOK_SECRET", "--webhook-secret",
               "key of the Perch-Signature HMAC (required with PERCH_WEBHOOK_URL)", read_webhook_secret),
        secret_file("PERCH_WEBHOOK_SECRET_FILE", "--webhook-secret-file", "file holding the webhook secret"),
        rule("webhook", check_webhook),
        text("PERCH_METRICS_LISTEN", "--metrics-listen",
             "host:port serving Prometheus /metrics, kept private (default: off)", parse_metrics_listen),
        text("PERCH_ADMIN_LISTEN", "--admin-listen",
             "host:port serving stored X credentials to the site's backend, kept private (default: off)",
             parse_admin_listen),
        secret("PERCH_ADMIN_TOKEN", "--admin-token", "bearer token the admin listener requires (or the _FILE form)",
               read_admin_token),
        secret_file("PERCH_ADMIN_TOKEN_FILE", "--admin-token-file", "file holding the admin token"),
        rule("operator listeners", check_ops_listeners),
    };
    return table;
}

// A row's --help line, with its range and default taken from the table and ProxyConfig{}.
std::string help_of(const ProxySetting& row) {
    const ProxyConfig defaults;
    std::string help = row.help;
    if (row.kind == Kind::integer) {
        help += " (" + std::to_string(row.min) + "-" + std::to_string(row.max) + ", default " +
                std::to_string(row.get(defaults)) + ")";
    } else if (row.shown_default != nullptr) {
        help += " (default " + row.shown_default(defaults) + ")";
    }
    return help;
}

// A declared setting's value by its variable's name (rule rows declare none).
ValueOf values_of(const Settings& s, const std::vector<const Setting*>& declared) {
    return [&s, &declared](std::string_view env) -> std::optional<Value> {
        for (const Setting* setting : declared) {
            if (setting != nullptr && setting->env == env) return s.get(*setting);
        }
        return std::nullopt;
    };
}

// What no single row can check: settings that depend on each other (the
// protocol's are rule rows of the table, as which rows apply depends on them).
std::optional<Error> check_together(ProxyConfig& config, const Settings& s,
                                    const std::vector<const Setting*>& declared) {
    const ValueOf value_of = values_of(s, declared);
    if (config.public_origin_from_listen) {
        if (config.listen_host == "0.0.0.0" || config.listen_host == "::") {
            return Error{ErrorCode::missing_field,
                         "PERCH_PUBLIC_ORIGIN (--public-origin) is required when listening on a wildcard address"};
        }
        config.public_origin = listen_origin(config.listen_host, config.listen_port);
    }
    config.secure_cookies = config.public_origin.rfind("https://", 0) == 0;
    const bool origin_known = !(config.public_origin_from_listen && config.listen_port == 0);
    if (origin_known && url_origin(parse_http_url(config.callback_url).value()) != config.public_origin) {
        return bad(value_of("PERCH_CALLBACK_URL")->source,
                   "must be on the public origin " + config.public_origin +
                       " (set PERCH_PUBLIC_ORIGIN if the site is served elsewhere)");
    }
    if (config.session_max_age < config.session_idle) {
        return Error{ErrorCode::invalid_field,
                     "PERCH_SESSION_MAX_AGE_SECONDS must not be shorter than PERCH_SESSION_IDLE_SECONDS"};
    }
    if (auto error = check_store_passwords(config)) return error;
    if (config.trust_forwarded_for && !value_of("PERCH_MAX_CONNECTIONS_PER_CLIENT")) {
        config.max_connections_per_client = 0;  // every connection comes from the reverse proxy
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(Protocol protocol) {
    return protocol == Protocol::oauth1 ? "oauth1" : "oauth2";
}

EnvLookup process_env() {
    return [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name);
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}


Result<LoadedConfig> load_config(int argc, const char* const* argv, const EnvLookup& env,
                                 const std::string& version) {
    CLI::App app{"perch-proxy: runs \"Sign up with X\" (OAuth 2.0 with PKCE, or OAuth 1.0a) for a "
                 "single-page site; the only place the client secret lives."};
    app.name("perch-proxy");
    app.footer("Flags win over environment variables. Prefer *_FILE variables for secrets.\n"
               "Key rotation: perch-proxy rotate-token-key  (re-seals every stored token under a new "
               "PERCH_TOKEN_KEY; stop every perch-proxy first; see perch-proxy rotate-token-key --help)\n"
               "Debugging aid: perch-proxy sign < request.json  (prints the OAuth base string and signature)");
    app.set_version_flag("--version", version, "print the version and exit");

    Settings settings(app, env);
    const auto& table = proxy_settings();
    std::vector<const Setting*> declared;
    for (const ProxySetting& row : table) {
        declared.push_back(row.kind == Kind::rule ? nullptr : &settings.add(row.env, row.flag, help_of(row)));
    }
    const ValueOf value_of = values_of(settings, declared);

    if (auto answer = parse_command_line<ProxyConfig>(app, argc, argv, version)) return std::move(*answer);

    LoadedConfig loaded;
    ProxyConfig& config = loaded.config;
    std::vector<const Setting*> secrets;  // wiped once read: a flag's copy must not linger
    for (std::size_t i = 0; i < table.size(); ++i) {
        const ProxySetting& row = table[i];
        if (row.kind == Kind::rule) {
            if (auto error = row.rule(config, value_of)) return *error;
            continue;
        }
        const Setting& setting = *declared[i];
        std::optional<Error> error;
        switch (row.kind) {
            case Kind::required:
            case Kind::text: {
                const auto value = settings.get(setting);
                if (row.kind == Kind::required && (!value || value->text.empty())) error = required(setting);
                else if (value) error = row.parse(config, *value);
                break;
            }
            case Kind::integer: {
                auto number = integer_setting<long long>(settings, setting, row.get(config), row.min, row.max);
                if (number) row.set(config, number.value());
                else error = number.error();
                break;
            }
            case Kind::secret:
                error = row.secret(config, settings, setting, *declared[i + 1]);
                secrets.push_back(&setting);
                break;
            case Kind::secret_file:
                break;  // read with the row before it
            case Kind::rule:
                break;  // checked above
        }
        if (error) return *error;
    }
    for (const Setting* secret : secrets) settings.wipe(*secret);
    if (auto error = check_together(config, settings, declared)) return *error;
    return loaded;
}

Result<LoadedRotationConfig> load_rotation_config(int argc, const char* const* argv, const EnvLookup& env,
                                                 const std::string& version) {
    CLI::App app{"perch-proxy rotate-token-key: re-seals every stored Twitter token under a new token key, "
                 "in one transaction, and records the new key's check value. Stop every perch-proxy using "
                 "the database first."};
    app.name("perch-proxy rotate-token-key");
    app.footer("Flags win over environment variables. Prefer *_FILE variables for keys.\n"
               "Afterwards start perch-proxy with the new key as PERCH_TOKEN_KEY.");
    app.set_version_flag("--version", version, "print the version and exit");
    Settings settings(app, env);
    const Setting& database = settings.add("PERCH_DATABASE", "--database", "SQLite database file (default perch.db)");
    const Setting& key = settings.add("PERCH_TOKEN_KEY", "--token-key", "the key the tokens are sealed with now");
    const Setting& key_file = settings.add("PERCH_TOKEN_KEY_FILE", "--token-key-file",
                                               "file holding the current key (one trailing newline is ignored)");
    const Setting& new_key = settings.add("PERCH_NEW_TOKEN_KEY", "--new-token-key",
                                          "64 hex digits: the key to seal them with (e.g. openssl rand -hex 32)");
    const Setting& new_key_file = settings.add("PERCH_NEW_TOKEN_KEY_FILE", "--new-token-key-file",
                                               "file holding the new key (one trailing newline is ignored)");
    if (auto answer = parse_command_line<RotationConfig>(app, argc, argv, version)) return std::move(*answer);

    LoadedRotationConfig loaded;
    auto path = database_setting(settings, database, loaded.config.database);
    if (!path) return path.error();
    loaded.config.database = path.value();
    auto current = key_setting(settings, key, key_file, "token key");
    settings.wipe(key);
    if (!current) return current.error();
    auto next = key_setting(settings, new_key, new_key_file, "new token key");
    settings.wipe(new_key);
    if (!next) return next.error();
    const bool same = CRYPTO_memcmp(current.value().data(), next.value().data(), current.value().size()) == 0;
    loaded.config.token_key = current.value();
    loaded.config.new_token_key = next.value();
    OPENSSL_cleanse(current.value().data(), current.value().size());
    OPENSSL_cleanse(next.value().data(), next.value().size());
    if (same) {
        return Error{ErrorCode::invalid_field,
                     "PERCH_NEW_TOKEN_KEY is the same key as PERCH_TOKEN_KEY: there is nothing to rotate"};
    }
    return loaded;
}

}  // namespace perch
