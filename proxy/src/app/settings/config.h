// perch-proxy's settings: built once at start-up from the environment and
// command-line flags (a flag wins over its variable), then passed by const&.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "net/http_url.h"
#include "app/rate_limiter.h"
#include "core/result.h"

namespace perch {

// Which OAuth the proxy speaks to X (PERCH_PROTOCOL).
enum class Protocol { oauth2, oauth1 };

std::string_view to_string(Protocol protocol);

struct ProxyConfig {
    // PERCH_PROTOCOL; when unset, oauth2 if PERCH_CLIENT_ID is set, oauth1 if
    // PERCH_CONSUMER_KEY is (both or neither: a configuration error).
    // load_config always sets it; a config made in code starts on OAuth 1.0a.
    Protocol protocol = Protocol::oauth1;
    // OAuth 1.0a consumer credentials (PERCH_CONSUMER_KEY, PERCH_CONSUMER_SECRET[_FILE]).
    std::string consumer_key;
    std::string consumer_secret;  // never logged, never in a message
    // OAuth 2.0 client (PERCH_CLIENT_ID, PERCH_CLIENT_SECRET[_FILE]). With a
    // secret the proxy is a confidential client (HTTP Basic at the token
    // endpoint); without one a public client (client_id in the body).
    std::string client_id;
    std::string client_secret;  // never logged, never in a message
    // X's consent page (PERCH_X_AUTHORIZE_URL), OAuth 2.0 only.
    std::string x_authorize_url = "https://x.com/i/oauth2/authorize";
    // Space-separated OAuth 2.0 scopes asked for (PERCH_SCOPES).
    std::string scopes = "tweet.read users.read offline.access";
    // Absolute http(s) URL of the page's callback route (PERCH_CALLBACK_URL).
    std::string callback_url;
    // X's API base URL without a trailing slash (PERCH_X_API, or its older name
    // PERCH_TWITTER_API), for /oauth/*, /1.1/* and /2/*; http only for loopback.
    std::string twitter_api = "https://api.x.com";

    // PERCH_LISTEN, "host:port" or "[v6]:port"; port 0 = any free port.
    std::string listen_host = "127.0.0.1";
    int listen_port = 8080;
    // "scheme://host[:port]", no trailing slash (PERCH_PUBLIC_ORIGIN). When unset it is
    // derived from the listen address; if that port is 0, public_origin_from_listen is
    // true and main must set public_origin = listen_origin(listen_host, bound_port).
    std::string public_origin = "http://127.0.0.1:8080";
    bool public_origin_from_listen = true;
    bool secure_cookies = false;  // public origin is https

    std::string web_root = "build/site";  // PERCH_WEB_ROOT
    // PERCH_DATABASE: a SQLite file, or postgresql://user[:password]@host[:port]/db
    // (postgres:// too) shared by several proxies. Never printed as given:
    // store/service_url.h's masked_url().
    std::string database = "perch.db";
    // PERCH_DATABASE_PASSWORD_FILE: the PostgreSQL password, kept out of the URL.
    std::string database_password;
    // PERCH_DATABASE_POOL_SIZE (1..100): PostgreSQL connections per proxy.
    std::size_t database_pool_size = 8;
    // PERCH_SESSION_STORE: "memory" (this process), or
    // redis://[[user]:password@]host[:port][/db] shared by several proxies.
    std::string session_store = "memory";
    // PERCH_SESSION_STORE_PASSWORD_FILE: the Redis password, kept out of the URL.
    std::string session_store_password;
    // PERCH_STORE_TIMEOUT_MS (100..60000): the longest a request waits for Redis
    // or PostgreSQL (connecting, a free connection, an answer) before 503.
    std::chrono::milliseconds store_timeout{2000};
    // PERCH_TOKEN_KEY / PERCH_TOKEN_KEY_FILE: 64 hex digits -> 32 bytes (AES-256-GCM key for
    // the access tokens stored with accounts). Required: load_config always sets it; main
    // wipes this copy once the TokenCipher holds its own.
    std::optional<std::array<unsigned char, 32>> token_key;
    // PERCH_WEBHOOK_URL: where account events are POSTed; empty = no webhooks
    // (and no events recorded). PERCH_WEBHOOK_SECRET[_FILE]: the HMAC key.
    std::string webhook_url;
    std::string webhook_secret;  // never logged, never in a message

    // Server limits.
    // PERCH_THREADS (1..256): requests served at once, each waiting on the
    // provider for up to its timeouts. Connections between requests wait
    // without a worker (idle_sockets.h); an idle worker costs only its stack.
    int threads = 64;
    std::size_t max_body_bytes = 16 * 1024;         // PERCH_MAX_BODY_BYTES (1 KiB..1 MiB)
    std::chrono::seconds session_idle{30 * 60};     // PERCH_SESSION_IDLE_SECONDS
    std::chrono::seconds session_max_age{24 * 3600};// PERCH_SESSION_MAX_AGE_SECONDS (>= idle)
    std::chrono::seconds flow_ttl{10 * 60};         // PERCH_FLOW_TTL_SECONDS (1..86400): pending sign-in lifetime
    std::size_t max_sessions = 100000;              // PERCH_MAX_SESSIONS: people signed in (made by exchanges)
    // PERCH_MAX_PENDING_FLOWS: exchanged flows remembered for single use until
    // they expire (consumed_flows.h); beyond it the soonest to expire are forgotten.
    std::size_t max_pending_flows = 50000;
    // PERCH_MAX_FLOWS_PER_SESSION (1..20): pending sign-ins (flow cookies) one
    // browser may hold; the oldest are cleared by the next start.
    std::size_t max_flows_per_session = 5;

    // Provider calls: PERCH_UPSTREAM_CONNECT_TIMEOUT_MS, PERCH_UPSTREAM_TIMEOUT_MS.
    TransportLimits upstream;

    // Per-client limits on the two routes that cost a call to Twitter
    // (PERCH_START_PER_MINUTE / PERCH_START_BURST, PERCH_EXCHANGE_PER_MINUTE /
    // PERCH_EXCHANGE_BURST). per_minute 0 turns a limit off (benchmarks).
    RateLimit start_limit{30.0, 10};
    RateLimit exchange_limit{30.0, 10};
    // PERCH_TRUST_FORWARDED_FOR: key clients by X-Forwarded-For's last entry
    // instead of the connection's address; only behind the operator's reverse proxy.
    bool trust_forwarded_for = false;

    // Slow clients (http_server.h): a request must arrive whole within
    // PERCH_REQUEST_TIMEOUT_MS (500..60000) of its first byte; one address may hold
    // PERCH_MAX_CONNECTIONS_PER_CLIENT connections at once (0 = no limit; the default
    // is 16, or 0 with PERCH_TRUST_FORWARDED_FOR, where every connection comes from
    // the reverse proxy's address).
    std::chrono::milliseconds request_timeout{5000};
    std::size_t max_connections_per_client = 16;
    // PERCH_KEEP_ALIVE_REQUESTS: requests one connection may carry before the
    // server closes it (1..100000; cpp-httplib's 5 by default).
    std::size_t keep_alive_requests = 5;

    // The operator's listeners (app/settings/ops_settings.h), off when unset.
    // PERCH_METRICS_LISTEN: Prometheus text on /metrics, nothing else.
    std::optional<HostPort> metrics_listen;
    // PERCH_ADMIN_LISTEN: GET /v1/accounts/{x_id}/credentials for the site's
    // backend, behind the bearer PERCH_ADMIN_TOKEN[_FILE] (required with it).
    std::optional<HostPort> admin_listen;
    std::string admin_token;  // never logged, never in a message
};

// Looks up an environment variable; injectable so tests never touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment (std::getenv).
EnvLookup process_env();

enum class ConfigAction {
    run,             // start the proxy with `config`
    print_and_exit,  // --help or --version: print `text` to stdout, exit 0
};

// What a command line asks for: settings to run with, or text to print.
template <typename Config>
struct Loaded {
    ConfigAction action = ConfigAction::run;
    Config config;
    std::string text;
};
using LoadedConfig = Loaded<ProxyConfig>;

// Parses flags (argv[0] is the program name) and the environment. A missing or
// malformed setting is an error whose message is ONE line naming the setting,
// e.g. "PERCH_CALLBACK_URL must be an absolute http(s) URL"; no message ever
// contains a secret's value. `version` is printed by --version.
Result<LoadedConfig> load_config(int argc, const char* const* argv, const EnvLookup& env,
                                 const std::string& version);

// `perch-proxy rotate-token-key`'s settings (token_key_rotation.h).
struct RotationConfig {
    std::string database = "perch.db";  // PERCH_DATABASE
    // PERCH_TOKEN_KEY / PERCH_TOKEN_KEY_FILE: the key the stored tokens are sealed with now.
    std::optional<std::array<unsigned char, 32>> token_key;
    // PERCH_NEW_TOKEN_KEY / PERCH_NEW_TOKEN_KEY_FILE: the key to re-seal them with.
    std::optional<std::array<unsigned char, 32>> new_token_key;
};

using LoadedRotationConfig = Loaded<RotationConfig>;

// Like load_config, for the subcommand's arguments (argv[0] is "rotate-token-key"):
// both keys are required and must differ; errors are one line naming the setting.
Result<LoadedRotationConfig> load_rotation_config(int argc, const char* const* argv, const EnvLookup& env,
                                                 const std::string& version);

}  // namespace perch
