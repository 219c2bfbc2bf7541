#include "config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <openssl/crypto.h>

#include "token_cipher.h"

namespace perch {

namespace {

constexpr std::size_t max_secret_file_bytes = 4096;
constexpr std::size_t max_credential_length = 256;
constexpr std::size_t max_url_length = 16 * 1024;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
}

// Parses a decimal in [min, max]; no sign, no spaces, no suffix.
std::optional<long long> parse_integer(std::string_view text, long long min, long long max) {
    if (!all_digits(text) || text.size() > 18) return std::nullopt;
    long long value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    if (value < min || value > max) return std::nullopt;
    return value;
}

bool is_ipv4_loopback(std::string_view host) {
    // Dotted quad whose first octet is 127.
    int octets = 0;
    std::size_t start = 0;
    while (start <= host.size()) {
        const auto dot = host.find('.', start);
        const auto part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!parse_integer(part, 0, 255) || part.size() > 3) return false;
        if (octets == 0 && part != "127") return false;
        ++octets;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return octets == 4;
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool is_ipv6_text(std::string_view host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    }) && host.find(':') != std::string_view::npos;
}

bool printable_without_space(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Host and port from "host:port" or "[v6]:port".
struct HostPort {
    std::string host;
    int port = 0;
};

std::optional<HostPort> parse_listen(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (!is_ipv6_text(host)) return std::nullopt;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
    }
    const auto number = parse_integer(port, 0, 65535);
    if (!number) return std::nullopt;
    return HostPort{lower(host), static_cast<int>(*number)};
}

// Reads a small secret file; strips one trailing newline. Messages name the file, never its content.
Result<std::string> read_secret_file(const std::string& path, const std::string& setting) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return Error{ErrorCode::invalid_field,
                     "cannot read " + setting + " " + path + ": " + std::strerror(errno)};
    }
    std::string content(max_secret_file_bytes + 1, '\0');
    file.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(file.gcount()));
    if (content.size() > max_secret_file_bytes) {
        return Error{ErrorCode::too_long, setting + " " + path + " is larger than 4 KiB"};
    }
    if (!content.empty() && content.back() == '\n') content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
    return content;
}

// One setting: a --flag and its PERCH_ variable.
struct Setting {
    const char* env;
    const char* flag;
    const char* help;
    std::string flag_value;
    CLI::Option* option = nullptr;
};

// A setting's value: the flag if given, else the variable; `source` names where it came from.
struct Value {
    std::string text;
    std::string source;
};

class Settings {
public:
    Settings(CLI::App& app, const EnvLookup& env) : app_(app), env_(env) {}

    Setting& add(const char* env, const char* flag, const char* help) {
        settings_.push_back(std::make_unique<Setting>(Setting{env, flag, help, {}, nullptr}));
        Setting& setting = *settings_.back();
        const std::string description = std::string(help) + " [env " + env + "]";
        setting.option = app_.add_option(flag, setting.flag_value, description);
        return setting;
    }

    bool from_flag(const Setting& setting) const { return setting.option->count() > 0; }

    // Overwrites a flag's text (a secret) once it has been used.
    void wipe(const Setting& setting) {
        for (auto& owned : settings_) {
            if (owned.get() == &setting) OPENSSL_cleanse(owned->flag_value.data(), owned->flag_value.size());
        }
    }

    std::optional<Value> get(const Setting& setting) const {
        if (from_flag(setting)) return Value{setting.flag_value, setting.flag};
        if (auto text = env_(setting.env)) return Value{*text, setting.env};
        return std::nullopt;
    }

private:
    CLI::App& app_;
    const EnvLookup& env_;
    std::vector<std::unique_ptr<Setting>> settings_;
};

Error bad(const std::string& source, const std::string& what) {
    return Error{ErrorCode::invalid_field, source + " " + what};
}

// Exactly one of a value and a file holding it; a flag for either beats the variables for both.
Result<std::optional<std::string>> secret_value(const Settings& settings, const Setting& direct,
                                                const Setting& file) {
    std::optional<Value> value;
    std::optional<Value> path;
    if (settings.from_flag(direct) || settings.from_flag(file)) {
        if (settings.from_flag(direct)) value = settings.get(direct);
        if (settings.from_flag(file)) path = settings.get(file);
    } else {
        value = settings.get(direct);
        path = settings.get(file);
    }
    if (value && path) {
        return Error{ErrorCode::invalid_field,
                     std::string("set only one of ") + value->source + " and " + path->source};
    }
    if (value) return std::optional<std::string>(value->text);
    if (path) {
        auto content = read_secret_file(path->text, path->source);
        if (!content) return content.error();
        return std::optional<std::string>(content.value());
    }
    return std::optional<std::string>();
}

template <typename T>
Result<T> integer_setting(const Settings& settings, const Setting& setting, T fallback, long long min,
                          long long max) {
    auto value = settings.get(setting);
    if (!value) return fallback;
    auto number = parse_integer(value->text, min, max);
    if (!number) {
        return bad(value->source, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<T>(*number);
}

// A 64-hex-digit key from a value-or-file pair of settings, e.g. PERCH_TOKEN_KEY
// and PERCH_TOKEN_KEY_FILE; `what` names it in messages ("token key").
Result<TokenKey> key_setting(const Settings& s, const Setting& direct, const Setting& file,
                             const std::string& what) {
    auto key_text = secret_value(s, direct, file);
    if (!key_text) return key_text.error();
    if (!key_text.value() || key_text.value()->empty()) {
        return Error{ErrorCode::missing_field, std::string(direct.env) + " or " + file.env + " (" +
                                                   direct.flag + "[-file]) is required: 64 hex digits, "
                                                   "e.g. from openssl rand -hex 32"};
    }
    auto parsed_key = parse_token_key(*key_text.value());
    OPENSSL_cleanse(key_text.value()->data(), key_text.value()->size());
    if (!parsed_key) {
        return Error{ErrorCode::invalid_field, "the " + what + " (" + direct.env +
                                                   "[_FILE]) must be 64 hex digits (32 bytes)"};
    }
    return parsed_key;
}

Result<std::string> database_setting(const Settings& s, const Setting& setting, const std::string& fallback) {
    auto value = s.get(setting);
    if (!value) return fallback;
    if (value->text.empty()) return bad(value->source, "must not be empty");
    return value->text;
}

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

// Every setting, by name.
struct Declared {
    const Setting* protocol;
    const Setting* client_id;
    const Setting* client_secret;
    const Setting* client_secret_file;
    const Setting* x_api;
    const Setting* authorize_url;
    const Setting* scopes;
    const Setting* key;
    const Setting* secret;
    const Setting* secret_file;
    const Setting* callback;
    const Setting* api;
    const Setting* listen;
    const Setting* origin;
    const Setting* web_root;
    const Setting* database;
    const Setting* token_key;
    const Setting* token_key_file;
    const Setting* threads;
    const Setting* max_body;
    const Setting* idle;
    const Setting* max_age;
    const Setting* flow_ttl;
    const Setting* max_sessions;
    const Setting* max_flows;
    const Setting* flows_per_session;
    const Setting* connect_timeout;
    const Setting* read_timeout;
    const Setting* start_per_minute;
    const Setting* start_burst;
    const Setting* exchange_per_minute;
    const Setting* exchange_burst;
    const Setting* trust_forwarded_for;
    const Setting* request_timeout;
    const Setting* max_connections_per_client;
};

// PERCH_PROTOCOL, or inferred from which client credentials are set.
Result<Protocol> protocol_setting(const Settings& s, const Declared& d) {
    if (auto value = s.get(*d.protocol)) {
        if (value->text == "oauth2") return Protocol::oauth2;
        if (value->text == "oauth1") return Protocol::oauth1;
        return bad(value->source, "must be oauth2 or oauth1");
    }
    const auto client_id = s.get(*d.client_id);
    const auto consumer_key = s.get(*d.key);
    const bool oauth2 = client_id && !client_id->text.empty();
    const bool oauth1 = consumer_key && !consumer_key->text.empty();
    if (oauth2 && oauth1) {
        return Error{ErrorCode::invalid_field,
                     "both PERCH_CLIENT_ID and PERCH_CONSUMER_KEY are set: set PERCH_PROTOCOL to oauth2 or oauth1"};
    }
    if (oauth2) return Protocol::oauth2;
    if (oauth1) return Protocol::oauth1;
    return Error{ErrorCode::missing_field,
                 "set PERCH_CLIENT_ID (OAuth 2.0, recommended) or PERCH_CONSUMER_KEY (OAuth 1.0a), "
                 "or PERCH_PROTOCOL"};
}

Result<bool> oauth1_credentials(const Settings& s, const Declared& d, ProxyConfig& config) {
    auto consumer_key = s.get(*d.key);
    if (!consumer_key || consumer_key->text.empty()) {
        return Error{ErrorCode::missing_field, "PERCH_CONSUMER_KEY (--consumer-key) is required"};
    }
    if (consumer_key->text.size() > max_credential_length || !printable_without_space(consumer_key->text)) {
        return bad(consumer_key->source, "must be 1 to 256 printable ASCII characters without spaces");
    }
    config.consumer_key = consumer_key->text;

    auto consumer_secret = secret_value(s, *d.secret, *d.secret_file);
    if (!consumer_secret) return consumer_secret.error();
    if (!consumer_secret.value() || consumer_secret.value()->empty()) {
        return Error{ErrorCode::missing_field,
                     "PERCH_CONSUMER_SECRET or PERCH_CONSUMER_SECRET_FILE (--consumer-secret[-file]) is required"};
    }
    if (consumer_secret.value()->size() > max_credential_length ||
        !printable_without_space(*consumer_secret.value())) {
        return Error{ErrorCode::invalid_field,
                     "the consumer secret must be 1 to 256 printable ASCII characters without spaces"};
    }
    config.consumer_secret = *consumer_secret.value();
    return true;
}

// An http(s) URL without query or fragment, http only for loopback; "" when unset.
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

// PERCH_X_API, or its older name PERCH_TWITTER_API; both only when they agree.
Result<std::string> api_setting(const Settings& s, const Declared& d) {
    const auto current = s.get(*d.x_api);
    const auto older = s.get(*d.api);
    if (current && older && current->text != older->text) {
        return Error{ErrorCode::invalid_field, current->source + " and " + older->source +
                                                   " (its older name) differ: set only " + current->source};
    }
    const auto& value = current ? current : older;
    if (!value) return std::string();
    return base_url(*value, "https://api.x.com");
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

Result<bool> oauth2_settings(const Settings& s, const Declared& d, ProxyConfig& config) {
    auto client_id = s.get(*d.client_id);
    if (!client_id || client_id->text.empty()) {
        return Error{ErrorCode::missing_field, "PERCH_CLIENT_ID (--client-id) is required for OAuth 2.0"};
    }
    if (client_id->text.size() > max_credential_length || !printable_without_space(client_id->text) ||
        client_id->text.find(':') != std::string::npos) {
        return bad(client_id->source, "must be 1 to 256 printable ASCII characters without spaces or ':'");
    }
    config.client_id = client_id->text;

    auto client_secret = secret_value(s, *d.client_secret, *d.client_secret_file);
    if (!client_secret) return client_secret.error();
    if (client_secret.value()) {
        if (client_secret.value()->empty() || client_secret.value()->size() > max_credential_length ||
            !printable_without_space(*client_secret.value())) {
            return Error{ErrorCode::invalid_field,
                         "the client secret must be 1 to 256 printable ASCII characters without spaces"};
        }
        config.client_secret = *client_secret.value();
    }

    if (auto value = s.get(*d.authorize_url)) {
        auto url = base_url(*value, "https://x.com/i/oauth2/authorize");
        if (!url) return url.error();
        config.x_authorize_url = url.value();
    }
    if (auto value = s.get(*d.scopes)) {
        if (!valid_scopes(value->text)) {
            return bad(value->source, "must be scopes separated by single spaces, e.g. "
                                      "\"tweet.read users.read offline.access\"");
        }
        config.scopes = value->text;
    }
    return true;
}

Result<ProxyConfig> build(const Settings& s, const Declared& d) {
    ProxyConfig config;

    auto protocol = protocol_setting(s, d);
    if (!protocol) return protocol.error();
    config.protocol = protocol.value();
    if (config.protocol == Protocol::oauth1) {
        auto credentials = oauth1_credentials(s, d, config);
        if (!credentials) return credentials.error();
    } else {
        auto credentials = oauth2_settings(s, d, config);
        if (!credentials) return credentials.error();
    }

    auto api = api_setting(s, d);
    if (!api) return api.error();
    if (!api.value().empty()) config.twitter_api = api.value();

    if (auto value = s.get(*d.listen)) {
        auto parsed = parse_listen(value->text);
        if (!parsed) return bad(value->source, "must be host:port or [ipv6]:port, e.g. 127.0.0.1:8080");
        config.listen_host = parsed->host;
        config.listen_port = parsed->port;
    }

    if (auto value = s.get(*d.origin)) {
        auto url = parse_http_url(value->text);
        if (!url || (url.value().target != "/")) {
            return bad(value->source, "must be an origin such as https://example.com or http://127.0.0.1:8080");
        }
        // "http://host/" has target "/" too, but so does "http://host": both mean the origin.
        config.public_origin = url_origin(url.value());
        config.public_origin_from_listen = false;
    } else {
        if (config.listen_host == "0.0.0.0" || config.listen_host == "::") {
            return Error{ErrorCode::missing_field,
                         "PERCH_PUBLIC_ORIGIN (--public-origin) is required when listening on a wildcard address"};
        }
        config.public_origin = listen_origin(config.listen_host, config.listen_port);
        config.public_origin_from_listen = true;
    }
    config.secure_cookies = config.public_origin.rfind("https://", 0) == 0;

    auto callback_url = s.get(*d.callback);
    if (!callback_url || callback_url->text.empty()) {
        return Error{ErrorCode::missing_field, "PERCH_CALLBACK_URL (--callback-url) is required"};
    }
    {
        auto url = parse_http_url(callback_url->text);
        if (!url) {
            return bad(callback_url->source,
                       "must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/signup/callback");
        }
        const bool origin_known = !(config.public_origin_from_listen && config.listen_port == 0);
        if (origin_known && url_origin(url.value()) != config.public_origin) {
            return bad(callback_url->source, "must be on the public origin " + config.public_origin +
                                                 " (set PERCH_PUBLIC_ORIGIN if the site is served elsewhere)");
        }
        config.callback_url = callback_url->text;
    }

    if (auto value = s.get(*d.web_root)) {
        if (value->text.empty()) return bad(value->source, "must not be empty");
        config.web_root = value->text;
    }
    auto database = database_setting(s, *d.database, config.database);
    if (!database) return database.error();
    config.database = database.value();

    // Accounts are stored with their Twitter tokens sealed under this key, so
    // the proxy does not start without one.
    auto token_key = key_setting(s, *d.token_key, *d.token_key_file, "token key");
    if (!token_key) return token_key.error();
    config.token_key = token_key.value();
    OPENSSL_cleanse(token_key.value().data(), token_key.value().size());

    auto thread_count = integer_setting<int>(s, *d.threads, config.threads, 1, 256);
    if (!thread_count) return thread_count.error();
    config.threads = thread_count.value();

    auto body = integer_setting<std::size_t>(s, *d.max_body, config.max_body_bytes, 1024, 1024 * 1024);
    if (!body) return body.error();
    config.max_body_bytes = body.value();

    auto idle_seconds = integer_setting<long long>(s, *d.idle, config.session_idle.count(), 10, 30LL * 24 * 3600);
    if (!idle_seconds) return idle_seconds.error();
    config.session_idle = std::chrono::seconds(idle_seconds.value());

    auto age_seconds = integer_setting<long long>(s, *d.max_age, config.session_max_age.count(), 10, 365LL * 24 * 3600);
    if (!age_seconds) return age_seconds.error();
    config.session_max_age = std::chrono::seconds(age_seconds.value());
    if (config.session_max_age < config.session_idle) {
        return Error{ErrorCode::invalid_field,
                     "PERCH_SESSION_MAX_AGE_SECONDS must not be shorter than PERCH_SESSION_IDLE_SECONDS"};
    }

    auto ttl_seconds = integer_setting<long long>(s, *d.flow_ttl, config.flow_ttl.count(), 1, 24 * 3600);
    if (!ttl_seconds) return ttl_seconds.error();
    config.flow_ttl = std::chrono::seconds(ttl_seconds.value());

    auto sessions = integer_setting<std::size_t>(s, *d.max_sessions, config.max_sessions, 1, 10000000);
    if (!sessions) return sessions.error();
    config.max_sessions = sessions.value();

    auto flows = integer_setting<std::size_t>(s, *d.max_flows, config.max_pending_flows, 1, 10000000);
    if (!flows) return flows.error();
    config.max_pending_flows = flows.value();

    // Each pending sign-in is a ~200-byte cookie the browser sends with every
    // request to the site: 20 keep the Cookie header far inside what is read.
    auto per_session = integer_setting<std::size_t>(s, *d.flows_per_session, config.max_flows_per_session, 1, 20);
    if (!per_session) return per_session.error();
    config.max_flows_per_session = per_session.value();

    auto connect_ms = integer_setting<long long>(s, *d.connect_timeout, config.upstream.connect_timeout.count(), 50, 60000);
    if (!connect_ms) return connect_ms.error();
    config.upstream.connect_timeout = std::chrono::milliseconds(connect_ms.value());

    auto read_ms = integer_setting<long long>(s, *d.read_timeout, config.upstream.read_timeout.count(), 50, 120000);
    if (!read_ms) return read_ms.error();
    config.upstream.read_timeout = std::chrono::milliseconds(read_ms.value());

    for (auto [limit, per_minute, burst] : {std::tuple{&config.start_limit, d.start_per_minute, d.start_burst},
                                            std::tuple{&config.exchange_limit, d.exchange_per_minute, d.exchange_burst}}) {
        auto rate = integer_setting<long long>(s, *per_minute, static_cast<long long>(limit->per_minute), 0, 1000000);
        if (!rate) return rate.error();
        limit->per_minute = static_cast<double>(rate.value());
        auto size = integer_setting<std::size_t>(s, *burst, limit->burst, 1, 100000);
        if (!size) return size.error();
        limit->burst = size.value();
    }

    if (auto value = s.get(*d.trust_forwarded_for)) {
        const std::string text = lower(value->text);
        if (text == "1" || text == "true" || text == "yes") {
            config.trust_forwarded_for = true;
        } else if (text == "0" || text == "false" || text == "no") {
            config.trust_forwarded_for = false;
        } else {
            return bad(value->source, "must be 1 or 0 (true or false)");
        }
    }

    auto request_ms = integer_setting<long long>(s, *d.request_timeout, config.request_timeout.count(), 500, 60000);
    if (!request_ms) return request_ms.error();
    config.request_timeout = std::chrono::milliseconds(request_ms.value());
    auto per_client = integer_setting<std::size_t>(s, *d.max_connections_per_client,
                                                   config.trust_forwarded_for ? 0 : config.max_connections_per_client,
                                                   0, 100000);
    if (!per_client) return per_client.error();
    config.max_connections_per_client = per_client.value();

    return config;
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

Result<HttpUrl> parse_http_url(std::string_view url) {
    const Error invalid{ErrorCode::invalid_uri, "not an absolute http(s) URL"};
    if (url.size() > max_url_length) return Error{ErrorCode::too_long, "URL is longer than 16 KiB"};
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f) return invalid;
    }
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return invalid;
    HttpUrl parts;
    parts.scheme = lower(url.substr(0, scheme_end));
    if (parts.scheme != "http" && parts.scheme != "https") return invalid;
    std::string_view rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (target.find('#') != std::string_view::npos) return invalid;
    if (authority.find('@') != std::string_view::npos) return invalid;

    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return invalid;
        host = authority.substr(1, close - 1);
        if (!is_ipv6_text(host)) return invalid;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid;
            port = after.substr(1);
            if (port.empty()) return invalid;
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return invalid;
        }
        if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return invalid;
    }
    parts.host = lower(host);
    if (!port.empty()) {
        auto number = parse_integer(port, 1, 65535);
        if (!number) return invalid;
        parts.port = static_cast<int>(*number);
        parts.explicit_port = true;
    } else {
        parts.port = parts.scheme == "https" ? 443 : 80;
    }
    parts.target = target.empty() ? std::string("/") : std::string(target);
    if (parts.target.front() == '?') parts.target.insert(0, "/");
    return parts;
}

std::string url_origin(const HttpUrl& url) {
    const bool ipv6 = url.host.find(':') != std::string::npos;
    std::string origin = url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host);
    const int default_port = url.scheme == "https" ? 443 : 80;
    if (url.port != default_port) origin += ":" + std::to_string(url.port);
    return origin;
}

std::string listen_origin(const std::string& host, int port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_loopback_host(const std::string& raw_host) {
    std::string host = lower(raw_host);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
    return is_ipv4_loopback(host);
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
    Declared declared{
        &settings.add("PERCH_PROTOCOL", "--protocol",
                      "oauth2 or oauth1 (default: oauth2 when PERCH_CLIENT_ID is set, oauth1 when "
                      "PERCH_CONSUMER_KEY is)"),
        &settings.add("PERCH_CLIENT_ID", "--client-id", "X app OAuth 2.0 client ID (required for oauth2)"),
        &settings.add("PERCH_CLIENT_SECRET", "--client-secret",
                      "OAuth 2.0 client secret: set for a confidential client (Web App), unset for a public one"),
        &settings.add("PERCH_CLIENT_SECRET_FILE", "--client-secret-file", "file holding the client secret"),
        &settings.add("PERCH_X_API", "--x-api", "X API base URL (default https://api.x.com)"),
        &settings.add("PERCH_X_AUTHORIZE_URL", "--x-authorize-url",
                      "OAuth 2.0 consent page (default https://x.com/i/oauth2/authorize)"),
        &settings.add("PERCH_SCOPES", "--scopes",
                      "OAuth 2.0 scopes (default \"tweet.read users.read offline.access\"; add users.email for email)"),
        &settings.add("PERCH_CONSUMER_KEY", "--consumer-key", "X app OAuth 1.0a consumer key (required for oauth1)"),
        &settings.add("PERCH_CONSUMER_SECRET", "--consumer-secret", "consumer secret (or use the _FILE form)"),
        &settings.add("PERCH_CONSUMER_SECRET_FILE", "--consumer-secret-file", "file holding the consumer secret"),
        &settings.add("PERCH_CALLBACK_URL", "--callback-url", "absolute URL of the page's callback route (required)"),
        &settings.add("PERCH_TWITTER_API", "--twitter-api", "older name of PERCH_X_API"),
        &settings.add("PERCH_LISTEN", "--listen", "host:port to listen on (default 127.0.0.1:8080; port 0 = any)"),
        &settings.add("PERCH_PUBLIC_ORIGIN", "--public-origin", "the site's origin; https means Secure cookies"),
        &settings.add("PERCH_WEB_ROOT", "--web-root", "folder of static files (default build/site)"),
        &settings.add("PERCH_DATABASE", "--database", "SQLite database file (default perch.db)"),
        &settings.add("PERCH_TOKEN_KEY", "--token-key", "64 hex digits: key encrypting stored Twitter tokens (required)"),
        &settings.add("PERCH_TOKEN_KEY_FILE", "--token-key-file", "file holding the token key (one trailing newline is ignored)"),
        &settings.add("PERCH_THREADS", "--threads", "worker threads (default 64)"),
        &settings.add("PERCH_MAX_BODY_BYTES", "--max-body-bytes", "largest request body (default 16384)"),
        &settings.add("PERCH_SESSION_IDLE_SECONDS", "--session-idle-seconds", "session idle expiry (default 1800)"),
        &settings.add("PERCH_SESSION_MAX_AGE_SECONDS", "--session-max-age-seconds",
                      "session absolute expiry (default 86400)"),
        &settings.add("PERCH_FLOW_TTL_SECONDS", "--flow-ttl-seconds", "pending sign-in lifetime (default 600)"),
        &settings.add("PERCH_MAX_SESSIONS", "--max-sessions", "most sessions kept (default 100000)"),
        &settings.add("PERCH_MAX_PENDING_FLOWS", "--max-pending-flows",
                      "exchanged sign-ins remembered for single use until they expire (default 50000)"),
        &settings.add("PERCH_MAX_FLOWS_PER_SESSION", "--max-flows-per-session",
                      "pending sign-ins (flow cookies) one browser may hold, 1-20 (default 5)"),
        &settings.add("PERCH_UPSTREAM_CONNECT_TIMEOUT_MS", "--upstream-connect-timeout-ms",
                      "provider connect timeout (default 3000)"),
        &settings.add("PERCH_UPSTREAM_TIMEOUT_MS", "--upstream-timeout-ms", "provider read timeout (default 10000)"),
        &settings.add("PERCH_START_PER_MINUTE", "--start-per-minute",
                      "POST /api/twitter/start per client and minute (default 30; 0 = no limit)"),
        &settings.add("PERCH_START_BURST", "--start-burst", "start calls a client may make at once (default 10)"),
        &settings.add("PERCH_EXCHANGE_PER_MINUTE", "--exchange-per-minute",
                      "POST /api/twitter/exchange per client and minute (default 30; 0 = no limit)"),
        &settings.add("PERCH_EXCHANGE_BURST", "--exchange-burst", "exchange calls a client may make at once (default 10)"),
        &settings.add("PERCH_TRUST_FORWARDED_FOR", "--trust-forwarded-for",
                      "1: key clients by X-Forwarded-For's last entry (only behind your reverse proxy; default 0)"),
        &settings.add("PERCH_REQUEST_TIMEOUT_MS", "--request-timeout-ms",
                      "a request (head and body) must arrive within this, else 408 (default 5000)"),
        &settings.add("PERCH_MAX_CONNECTIONS_PER_CLIENT", "--max-connections-per-client",
                      "connections one address may hold at once, else 429; 0 = no limit "
                      "(default 16; 0 with PERCH_TRUST_FORWARDED_FOR=1)"),
    };

    if (auto answer = parse_command_line<ProxyConfig>(app, argc, argv, version)) return std::move(*answer);

    auto config = build(settings, declared);
    if (!config) return config.error();
    LoadedConfig loaded;
    loaded.config = std::move(config).value();
    // Moving a std::array copies it: wipe the copies left behind (best effort;
    // PERCH_TOKEN_KEY_FILE keeps the key out of the environment altogether).
    if (config.value().token_key) OPENSSL_cleanse(config.value().token_key->data(), config.value().token_key->size());
    settings.wipe(*declared.token_key);
    settings.wipe(*declared.secret);
    settings.wipe(*declared.client_secret);
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
