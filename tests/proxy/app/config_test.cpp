#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include <unistd.h>

#include "app/settings/config.h"

using namespace perch;

namespace {

using Env = std::map<std::string, std::string>;

const Env minimal_env{
    {"PERCH_CONSUMER_KEY", "ckey"},
    {"PERCH_CONSUMER_SECRET", "SUPERSECRETconsumer"},
    {"PERCH_CALLBACK_URL", "http://127.0.0.1:8080/signup/callback"},
    {"PERCH_TOKEN_KEY", "abad1deaabad1deaabad1deaabad1deaabad1deaabad1deaabad1deaabad1dea"},
};

EnvLookup lookup(const Env& env) {
    return [env](const char* name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

Result<LoadedConfig> load(const Env& env, std::vector<std::string> args = {}) {
    args.insert(args.begin(), "perch-proxy");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    return load_config(static_cast<int>(argv.size()), argv.data(), lookup(env), "1.2.3");
}

ProxyConfig loaded(const Env& env, std::vector<std::string> args = {}) {
    auto result = load(env, std::move(args));
    if (!result) FAIL("unexpected error: " << result.error().message);
    REQUIRE(result.value().action == ConfigAction::run);
    return result.value().config;
}

std::string error_of(const Env& env, std::vector<std::string> args = {}) {
    auto result = load(env, std::move(args));
    REQUIRE_FALSE(result.ok());
    const std::string& message = result.error().message;
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("SUPERSECRET") == std::string::npos);
    return message;
}

Env with(Env env, const std::string& name, const std::string& value) {
    env[name] = value;
    return env;
}

Env without(Env env, const std::string& name) {
    env.erase(name);
    return env;
}

// A file in the system temp folder, removed at scope exit.
class TempFile {
public:
    explicit TempFile(const std::string& content) {
        char name[] = "/tmp/perch-config-test-XXXXXX";
        const int fd = mkstemp(name);
        REQUIRE(fd >= 0);
        close(fd);
        path_ = name;
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

TEST_CASE("The minimal environment gives the documented defaults") {
    const ProxyConfig config = loaded(minimal_env);
    CHECK(config.consumer_key == "ckey");
    CHECK(config.consumer_secret == "SUPERSECRETconsumer");
    CHECK(config.callback_url == "http://127.0.0.1:8080/signup/callback");
    CHECK(config.twitter_api == "https://api.x.com");
    CHECK(config.listen_host == "127.0.0.1");
    CHECK(config.listen_port == 8080);
    CHECK(config.public_origin == "http://127.0.0.1:8080");
    CHECK(config.public_origin_from_listen);
    CHECK_FALSE(config.secure_cookies);
    CHECK(config.web_root == "build/site");
    CHECK(config.database == "perch.db");
    REQUIRE(config.token_key.has_value());
    CHECK(config.threads == 64);
    CHECK(config.max_body_bytes == 16 * 1024);
    CHECK(config.session_idle == std::chrono::seconds(1800));
    CHECK(config.session_max_age == std::chrono::seconds(86400));
    CHECK(config.flow_ttl == std::chrono::seconds(600));
    CHECK(config.max_pending_flows == 50000);
    CHECK(config.upstream.connect_timeout == std::chrono::milliseconds(3000));
    CHECK(config.upstream.read_timeout == std::chrono::milliseconds(10000));
    CHECK(config.start_limit.per_minute == 30.0);
    CHECK(config.start_limit.burst == 10);
    CHECK(config.exchange_limit.per_minute == 30.0);
    CHECK(config.exchange_limit.burst == 10);
    CHECK_FALSE(config.trust_forwarded_for);
}

TEST_CASE("Per-client rate limits come from variables and flags; 0 a minute turns a limit off") {
    Env env = with(with(minimal_env, "PERCH_START_PER_MINUTE", "6"), "PERCH_EXCHANGE_BURST", "2");
    env = with(env, "PERCH_TRUST_FORWARDED_FOR", "1");
    ProxyConfig config = loaded(env, {"--start-burst", "3", "--exchange-per-minute", "0"});
    CHECK(config.start_limit.per_minute == 6.0);
    CHECK(config.start_limit.burst == 3);
    CHECK(config.exchange_limit.per_minute == 0.0);
    CHECK(config.exchange_limit.burst == 2);
    CHECK(config.trust_forwarded_for);
    CHECK_FALSE(loaded(minimal_env, {"--trust-forwarded-for", "false"}).trust_forwarded_for);

    CHECK(error_of(with(minimal_env, "PERCH_START_PER_MINUTE", "-1")) ==
          "PERCH_START_PER_MINUTE must be an integer from 0 to 1000000");
    CHECK(error_of(minimal_env, {"--exchange-burst", "0"}) == "--exchange-burst must be an integer from 1 to 100000");
    CHECK(error_of(with(minimal_env, "PERCH_TRUST_FORWARDED_FOR", "maybe")) ==
          "PERCH_TRUST_FORWARDED_FOR must be 1 or 0 (true or false)");
}

TEST_CASE("Flags win over environment variables") {
    const Env env = with(with(minimal_env, "PERCH_LISTEN", "127.0.0.1:9999"), "PERCH_THREADS", "3");
    const ProxyConfig config =
        loaded(env, {"--listen", "127.0.0.2:7000", "--threads=5", "--consumer-key", "flagkey",
                     "--callback-url", "http://127.0.0.2:7000/cb"});
    CHECK(config.listen_host == "127.0.0.2");
    CHECK(config.listen_port == 7000);
    CHECK(config.threads == 5);
    CHECK(config.consumer_key == "flagkey");
    CHECK(config.public_origin == "http://127.0.0.2:7000");
}

TEST_CASE("--help and --version print and exit instead of running") {
    auto help = load({}, {"--help"});
    REQUIRE(help.ok());
    CHECK(help.value().action == ConfigAction::print_and_exit);
    CHECK(help.value().text.find("--consumer-secret-file") != std::string::npos);
    CHECK(help.value().text.find("PERCH_TWITTER_API") != std::string::npos);
    CHECK(help.value().text.find("perch-proxy rotate-token-key") != std::string::npos);

    auto version = load({}, {"--version"});
    REQUIRE(version.ok());
    CHECK(version.value().action == ConfigAction::print_and_exit);
    CHECK(version.value().text == "perch-proxy 1.2.3\n");
}

TEST_CASE("Missing required settings are named in one line") {
    CHECK(error_of(without(minimal_env, "PERCH_CONSUMER_KEY")) == "set PERCH_CLIENT_ID (OAuth 2.0, recommended) or PERCH_CONSUMER_KEY (OAuth 1.0a), or PERCH_PROTOCOL");
    CHECK(error_of(with(without(minimal_env, "PERCH_CONSUMER_KEY"), "PERCH_PROTOCOL", "oauth1")) ==
          "PERCH_CONSUMER_KEY (--consumer-key) is required");
    CHECK(error_of(without(minimal_env, "PERCH_CONSUMER_SECRET")) ==
          "PERCH_CONSUMER_SECRET or PERCH_CONSUMER_SECRET_FILE (--consumer-secret[-file]) is required");
    CHECK(error_of(without(minimal_env, "PERCH_CALLBACK_URL")) == "PERCH_CALLBACK_URL (--callback-url) is required");
    CHECK(error_of(with(minimal_env, "PERCH_CONSUMER_KEY", "")) == "set PERCH_CLIENT_ID (OAuth 2.0, recommended) or PERCH_CONSUMER_KEY (OAuth 1.0a), or PERCH_PROTOCOL");
    const std::string no_key =
        "PERCH_TOKEN_KEY or PERCH_TOKEN_KEY_FILE (--token-key[-file]) is required: 64 hex digits, "
        "e.g. from openssl rand -hex 32";
    CHECK(error_of(without(minimal_env, "PERCH_TOKEN_KEY")) == no_key);
    CHECK(error_of(with(minimal_env, "PERCH_TOKEN_KEY", "")) == no_key);
}

TEST_CASE("Malformed settings are refused with a message naming where they came from") {
    CHECK(error_of(with(minimal_env, "PERCH_CALLBACK_URL", "/signup/callback")) ==
          "PERCH_CALLBACK_URL must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/signup/callback");
    CHECK(error_of(minimal_env, {"--callback-url", "javascript:alert(1)"}) ==
          "--callback-url must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/signup/callback");
    CHECK(error_of(with(minimal_env, "PERCH_CALLBACK_URL", "http://user@127.0.0.1:8080/cb")) ==
          "PERCH_CALLBACK_URL must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/signup/callback");
    CHECK(error_of(with(minimal_env, "PERCH_CALLBACK_URL", "http://localhost:8080/signup/callback")) ==
          "PERCH_CALLBACK_URL must be on the public origin http://127.0.0.1:8080 (set PERCH_PUBLIC_ORIGIN if the "
          "site is served elsewhere)");
    CHECK(error_of(with(minimal_env, "PERCH_LISTEN", "8080")) ==
          "PERCH_LISTEN must be host:port or [ipv6]:port, e.g. 127.0.0.1:8080");
    CHECK(error_of(with(minimal_env, "PERCH_LISTEN", "127.0.0.1:65536")) ==
          "PERCH_LISTEN must be host:port or [ipv6]:port, e.g. 127.0.0.1:8080");
    CHECK(error_of(with(minimal_env, "PERCH_LISTEN", "0.0.0.0:8080")) ==
          "PERCH_PUBLIC_ORIGIN (--public-origin) is required when listening on a wildcard address");
    CHECK(error_of(with(minimal_env, "PERCH_PUBLIC_ORIGIN", "https://example.com/app")) ==
          "PERCH_PUBLIC_ORIGIN must be an origin such as https://example.com or http://127.0.0.1:8080");
    CHECK(error_of(with(minimal_env, "PERCH_THREADS", "0")) == "PERCH_THREADS must be an integer from 1 to 256");
    CHECK(error_of(with(minimal_env, "PERCH_THREADS", "8x")) == "PERCH_THREADS must be an integer from 1 to 256");
    CHECK(error_of(with(minimal_env, "PERCH_THREADS", "-1")) == "PERCH_THREADS must be an integer from 1 to 256");
    CHECK(error_of(minimal_env, {"--max-body-bytes", "10"}) == "--max-body-bytes must be an integer from 1024 to 1048576");
    CHECK(error_of(with(with(minimal_env, "PERCH_SESSION_IDLE_SECONDS", "600"), "PERCH_SESSION_MAX_AGE_SECONDS", "60")) ==
          "PERCH_SESSION_MAX_AGE_SECONDS must not be shorter than PERCH_SESSION_IDLE_SECONDS");
    CHECK(error_of(with(minimal_env, "PERCH_CONSUMER_KEY", "has space")) ==
          "PERCH_CONSUMER_KEY must be 1 to 256 printable ASCII characters without spaces");
    CHECK(error_of(minimal_env, {"--no-such-flag"}) == "unexpected command-line argument (see --help)");
    CHECK(error_of(minimal_env, {"SUPERSECRETtypo"}) == "unexpected command-line argument (see --help)");
    CHECK(error_of(minimal_env, {"--consumer-secret", "SUPERSECRET1", "--consumer-secret", "SUPERSECRET2"}) ==
          "--consumer-secret: At Most 1 required but received 2");
    CHECK(error_of(minimal_env, {"--listen"}) == "--listen: 1 required TEXT missing");
}

TEST_CASE("The flow lifetime may be as short as 1 second and at most a day") {
    CHECK(loaded(with(minimal_env, "PERCH_FLOW_TTL_SECONDS", "1")).flow_ttl == std::chrono::seconds(1));
    CHECK(loaded(minimal_env, {"--flow-ttl-seconds", "86400"}).flow_ttl == std::chrono::seconds(86400));
    CHECK(error_of(with(minimal_env, "PERCH_FLOW_TTL_SECONDS", "0")) ==
          "PERCH_FLOW_TTL_SECONDS must be an integer from 1 to 86400");
    CHECK(error_of(minimal_env, {"--flow-ttl-seconds", "86401"}) == "--flow-ttl-seconds must be an integer from 1 to 86400");
}

TEST_CASE("A browser may hold 1 to 20 pending sign-ins; the consumed-flow record keeps its setting's name") {
    CHECK(loaded(with(minimal_env, "PERCH_MAX_FLOWS_PER_SESSION", "20")).max_flows_per_session == 20);
    CHECK(error_of(with(minimal_env, "PERCH_MAX_FLOWS_PER_SESSION", "21")) ==
          "PERCH_MAX_FLOWS_PER_SESSION must be an integer from 1 to 20");
    CHECK(error_of(minimal_env, {"--max-flows-per-session", "0"}) ==
          "--max-flows-per-session must be an integer from 1 to 20");
    CHECK(loaded(with(minimal_env, "PERCH_MAX_PENDING_FLOWS", "7")).max_pending_flows == 7);
    CHECK(loaded(minimal_env, {"--max-pending-flows", "10000000"}).max_pending_flows == 10000000);
}

TEST_CASE("The provider API must be https unless it is a loopback test base") {
    CHECK(loaded(with(minimal_env, "PERCH_TWITTER_API", "http://127.0.0.1:9000/")).twitter_api == "http://127.0.0.1:9000");
    CHECK(loaded(with(minimal_env, "PERCH_TWITTER_API", "http://127.8.9.10:9000")).twitter_api == "http://127.8.9.10:9000");
    CHECK(loaded(with(minimal_env, "PERCH_TWITTER_API", "http://[::1]:9000")).twitter_api == "http://[::1]:9000");
    CHECK(loaded(with(minimal_env, "PERCH_TWITTER_API", "http://LocalHost:9000")).twitter_api == "http://localhost:9000");
    CHECK(loaded(with(minimal_env, "PERCH_TWITTER_API", "HTTPS://API.example.com:443/base/")).twitter_api ==
          "https://api.example.com/base");
    CHECK(error_of(with(minimal_env, "PERCH_TWITTER_API", "http://api.twitter.com")) ==
          "PERCH_TWITTER_API may use plain http only for a loopback host (127.0.0.1, ::1, localhost)");
    CHECK(error_of(with(minimal_env, "PERCH_TWITTER_API", "http://127.0.0.1.evil.example")) ==
          "PERCH_TWITTER_API may use plain http only for a loopback host (127.0.0.1, ::1, localhost)");
    CHECK(error_of(with(minimal_env, "PERCH_TWITTER_API", "https://api.twitter.com?x=1")) ==
          "PERCH_TWITTER_API must be an absolute http(s) URL without query, e.g. https://api.x.com");
}

TEST_CASE("An https public origin turns on Secure cookies and is normalised like a browser Origin") {
    const ProxyConfig config = loaded(with(with(minimal_env, "PERCH_PUBLIC_ORIGIN", "HTTPS://Example.com:443/"),
                                           "PERCH_CALLBACK_URL", "https://example.com/signup/callback"));
    CHECK(config.public_origin == "https://example.com");
    CHECK_FALSE(config.public_origin_from_listen);
    CHECK(config.secure_cookies);
}

TEST_CASE("Port 0 listens on any port and leaves the origin to be fixed after binding") {
    const ProxyConfig config = loaded(with(minimal_env, "PERCH_LISTEN", "127.0.0.1:0"));
    CHECK(config.listen_port == 0);
    CHECK(config.public_origin_from_listen);
    CHECK(listen_origin("127.0.0.1", 41234) == "http://127.0.0.1:41234");
    CHECK(listen_origin("::1", 41234) == "http://[::1]:41234");

    const ProxyConfig v6 = loaded(with(with(minimal_env, "PERCH_LISTEN", "[::1]:8081"), "PERCH_CALLBACK_URL",
                                       "http://[::1]:8081/signup/callback"));
    CHECK(v6.listen_host == "::1");
    CHECK(v6.public_origin == "http://[::1]:8081");
}

TEST_CASE("The consumer secret can come from a file, but not from both places") {
    TempFile file("FILESECRETvalue\n");
    const ProxyConfig config = loaded(with(without(minimal_env, "PERCH_CONSUMER_SECRET"), "PERCH_CONSUMER_SECRET_FILE",
                                           file.path()));
    CHECK(config.consumer_secret == "FILESECRETvalue");

    CHECK(error_of(with(minimal_env, "PERCH_CONSUMER_SECRET_FILE", file.path())) ==
          "set only one of PERCH_CONSUMER_SECRET and PERCH_CONSUMER_SECRET_FILE");
    // A flag for either form beats both variables.
    CHECK(loaded(with(minimal_env, "PERCH_CONSUMER_SECRET_FILE", file.path()), {"--consumer-secret", "FLAGSECRET"})
              .consumer_secret == "FLAGSECRET");
    CHECK(error_of(with(without(minimal_env, "PERCH_CONSUMER_SECRET"), "PERCH_CONSUMER_SECRET_FILE",
                        "/nonexistent/perch-secret")) ==
          "cannot read PERCH_CONSUMER_SECRET_FILE /nonexistent/perch-secret: No such file or directory");
}

TEST_CASE("A malformed secret is refused without echoing it") {
    TempFile file("SUPERSECRET with spaces\n");
    CHECK(error_of(with(without(minimal_env, "PERCH_CONSUMER_SECRET"), "PERCH_CONSUMER_SECRET_FILE", file.path())) ==
          "the consumer secret must be 1 to 256 printable ASCII characters without spaces");
    CHECK(error_of(with(minimal_env, "PERCH_CONSUMER_SECRET", "SUPERSECRET\x01")) ==
          "the consumer secret must be 1 to 256 printable ASCII characters without spaces");
}

TEST_CASE("The token key is 64 hex digits kept as 32 bytes") {
    const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    const ProxyConfig config = loaded(with(minimal_env, "PERCH_TOKEN_KEY", hex));
    REQUIRE(config.token_key.has_value());
    for (std::size_t i = 0; i < 32; ++i) CHECK((*config.token_key)[i] == i);

    TempFile file(hex + "\n");
    CHECK(loaded(with(without(minimal_env, "PERCH_TOKEN_KEY"), "PERCH_TOKEN_KEY_FILE", file.path())).token_key ==
          config.token_key);
    TempFile bare(hex);
    CHECK(loaded(with(without(minimal_env, "PERCH_TOKEN_KEY"), "PERCH_TOKEN_KEY_FILE", bare.path())).token_key ==
          config.token_key);
    // Only one final newline is the file's; anything more is not a key.
    TempFile doubled(hex + "\n\n");
    TempFile spaced(hex + " \n");
    const std::string message = "the token key (PERCH_TOKEN_KEY[_FILE]) must be 64 hex digits (32 bytes)";
    CHECK(error_of(with(without(minimal_env, "PERCH_TOKEN_KEY"), "PERCH_TOKEN_KEY_FILE", doubled.path())) == message);
    CHECK(error_of(with(without(minimal_env, "PERCH_TOKEN_KEY"), "PERCH_TOKEN_KEY_FILE", spaced.path())) == message);
    // A flag for the file beats the variable holding the key.
    CHECK(loaded(minimal_env, {"--token-key-file", file.path()}).token_key == config.token_key);

    CHECK(error_of(with(minimal_env, "PERCH_TOKEN_KEY", hex.substr(2))) == message);
    CHECK(error_of(with(minimal_env, "PERCH_TOKEN_KEY", hex.substr(2) + "zz")) == message);
    CHECK(error_of(with(with(minimal_env, "PERCH_TOKEN_KEY", hex), "PERCH_TOKEN_KEY_FILE", file.path())) ==
          "set only one of PERCH_TOKEN_KEY and PERCH_TOKEN_KEY_FILE");
}

TEST_CASE("Slow clients: 5 s for a request, 16 connections per address, no cap behind a trusted reverse proxy") {
    ProxyConfig config = loaded(minimal_env);
    CHECK(config.request_timeout == std::chrono::milliseconds(5000));
    CHECK(config.max_connections_per_client == 16);
    CHECK(loaded(with(minimal_env, "PERCH_TRUST_FORWARDED_FOR", "1")).max_connections_per_client == 0);
    config = loaded(minimal_env, {"--request-timeout-ms", "2000", "--max-connections-per-client", "0"});
    CHECK(config.request_timeout == std::chrono::milliseconds(2000));
    CHECK(config.max_connections_per_client == 0);
    CHECK(error_of(with(minimal_env, "PERCH_REQUEST_TIMEOUT_MS", "100")) ==
          "PERCH_REQUEST_TIMEOUT_MS must be an integer from 500 to 60000");
}

TEST_CASE("Requests per kept-alive connection: 5 unless raised, from 1 to 100000") {
    CHECK(loaded(minimal_env).keep_alive_requests == 5);
    CHECK(loaded(minimal_env, {"--keep-alive-requests", "1000"}).keep_alive_requests == 1000);
    CHECK(loaded(with(minimal_env, "PERCH_KEEP_ALIVE_REQUESTS", "1")).keep_alive_requests == 1);
    CHECK(error_of(with(minimal_env, "PERCH_KEEP_ALIVE_REQUESTS", "0")) ==
          "PERCH_KEEP_ALIVE_REQUESTS must be an integer from 1 to 100000");
}

TEST_CASE("Loopback hosts are exactly 127.0.0.0/8, ::1 and localhost") {
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.255.0.9"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("[::1]"));
    CHECK(is_loopback_host("LOCALHOST"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.nip.io"));
    CHECK_FALSE(is_loopback_host("127.0.0"));
    CHECK_FALSE(is_loopback_host("127.0.0.256"));
    CHECK_FALSE(is_loopback_host("localhost.example"));
    CHECK_FALSE(is_loopback_host("::2"));
    CHECK_FALSE(is_loopback_host(""));
}

TEST_CASE("parse_http_url splits absolute URLs strictly") {
    auto url = parse_http_url("HTTP://Example.COM:8080/a/b?c=d");
    REQUIRE(url.ok());
    CHECK(url.value().scheme == "http");
    CHECK(url.value().host == "example.com");
    CHECK(url.value().port == 8080);
    CHECK(url.value().explicit_port);
    CHECK(url.value().target == "/a/b?c=d");
    CHECK(url_origin(url.value()) == "http://example.com:8080");

    auto bare = parse_http_url("https://api.twitter.com");
    REQUIRE(bare.ok());
    CHECK(bare.value().port == 443);
    CHECK(bare.value().target == "/");
    CHECK(url_origin(bare.value()) == "https://api.twitter.com");

    auto v6 = parse_http_url("http://[::1]:9000?x=1");
    REQUIRE(v6.ok());
    CHECK(v6.value().host == "::1");
    CHECK(v6.value().target == "/?x=1");
    CHECK(url_origin(v6.value()) == "http://[::1]:9000");

    for (const char* bad : {"", "example.com", "ftp://example.com/", "http://", "http://:80/", "http://a:0/",
                            "http://a:99999/", "http://a:/", "http://a b/", "http://a/#frag", "http://u@a/",
                            "http://[::1/", "http://a/\n", "http://exa\xc3\xa9mple.com/"}) {
        INFO(bad);
        CHECK_FALSE(parse_http_url(bad).ok());
    }
}

namespace {

const Env oauth2_env{
    {"PERCH_CLIENT_ID", "cid-123"},
    {"PERCH_CALLBACK_URL", "http://127.0.0.1:8080/signup/callback"},
    {"PERCH_TOKEN_KEY", "abad1deaabad1deaabad1deaabad1deaabad1deaabad1deaabad1deaabad1dea"},
};

}  // namespace

TEST_CASE("The protocol is inferred from which client credentials are set") {
    CHECK(loaded(oauth2_env).protocol == perch::Protocol::oauth2);
    CHECK(loaded(minimal_env).protocol == perch::Protocol::oauth1);
    const std::string choose = "both PERCH_CLIENT_ID and PERCH_CONSUMER_KEY are set: set PERCH_PROTOCOL to oauth2 or oauth1";
    CHECK(error_of(with(minimal_env, "PERCH_CLIENT_ID", "cid")) == choose);
    CHECK(loaded(with(with(minimal_env, "PERCH_CLIENT_ID", "cid"), "PERCH_PROTOCOL", "oauth2")).protocol ==
          perch::Protocol::oauth2);
    CHECK(loaded(with(with(minimal_env, "PERCH_CLIENT_ID", "cid"), "PERCH_PROTOCOL", "oauth1")).protocol ==
          perch::Protocol::oauth1);
    CHECK(loaded(oauth2_env, {"--protocol", "oauth2"}).protocol == perch::Protocol::oauth2);
    CHECK(error_of(with(oauth2_env, "PERCH_PROTOCOL", "oauth3")) == "PERCH_PROTOCOL must be oauth2 or oauth1");
    CHECK(error_of(with(oauth2_env, "PERCH_PROTOCOL", "oauth1")) == "PERCH_CONSUMER_KEY (--consumer-key) is required");
    CHECK(error_of(with(without(oauth2_env, "PERCH_CLIENT_ID"), "PERCH_PROTOCOL", "oauth2")) ==
          "PERCH_CLIENT_ID (--client-id) is required for OAuth 2.0");
}

TEST_CASE("OAuth 2.0 settings have X's defaults") {
    const ProxyConfig config = loaded(oauth2_env);
    CHECK(config.client_id == "cid-123");
    CHECK(config.client_secret.empty());  // a public client
    CHECK(config.twitter_api == "https://api.x.com");
    CHECK(config.x_authorize_url == "https://x.com/i/oauth2/authorize");
    CHECK(config.scopes == "tweet.read users.read offline.access");
}

TEST_CASE("A client secret, from the variable or a file, makes a confidential client") {
    CHECK(loaded(with(oauth2_env, "PERCH_CLIENT_SECRET", "SUPERSECRETclient")).client_secret == "SUPERSECRETclient");
    TempFile file("SUPERSECRETfile\n");
    CHECK(loaded(with(oauth2_env, "PERCH_CLIENT_SECRET_FILE", file.path())).client_secret == "SUPERSECRETfile");
    CHECK(error_of(with(with(oauth2_env, "PERCH_CLIENT_SECRET", "SUPERSECRETa"), "PERCH_CLIENT_SECRET_FILE",
                        file.path())) == "set only one of PERCH_CLIENT_SECRET and PERCH_CLIENT_SECRET_FILE");
    CHECK(error_of(with(oauth2_env, "PERCH_CLIENT_SECRET", "SUPERSECRET with space")) ==
          "the client secret must be 1 to 256 printable ASCII characters without spaces");
    CHECK(error_of(with(oauth2_env, "PERCH_CLIENT_ID", "a:b")) ==
          "PERCH_CLIENT_ID must be 1 to 256 printable ASCII characters without spaces or ':'");
}

TEST_CASE("PERCH_X_API and its older name PERCH_TWITTER_API name one setting") {
    CHECK(loaded(with(oauth2_env, "PERCH_X_API", "http://127.0.0.1:9/")).twitter_api == "http://127.0.0.1:9");
    CHECK(loaded(with(oauth2_env, "PERCH_TWITTER_API", "https://api.example")).twitter_api == "https://api.example");
    CHECK(loaded(with(with(oauth2_env, "PERCH_TWITTER_API", "https://a.example"), "PERCH_X_API", "https://a.example"))
              .twitter_api == "https://a.example");
    CHECK(error_of(with(with(oauth2_env, "PERCH_TWITTER_API", "https://a.example"), "PERCH_X_API",
                        "https://b.example")) ==
          "PERCH_X_API and PERCH_TWITTER_API (its older name) differ: set only PERCH_X_API");
    CHECK(error_of(with(oauth2_env, "PERCH_X_API", "http://api.x.com")) ==
          "PERCH_X_API may use plain http only for a loopback host (127.0.0.1, ::1, localhost)");
    auto flags = load(with(oauth2_env, "PERCH_TWITTER_API", "https://a.example"), {"--x-api", "https://b.example"});
    REQUIRE_FALSE(flags.ok());
    CHECK(flags.error().message == "--x-api and PERCH_TWITTER_API (its older name) differ: set only --x-api");
}

TEST_CASE("PERCH_X_AUTHORIZE_URL and PERCH_SCOPES are checked") {
    CHECK(loaded(with(oauth2_env, "PERCH_X_AUTHORIZE_URL", "http://127.0.0.1:9/i/oauth2/authorize")).x_authorize_url ==
          "http://127.0.0.1:9/i/oauth2/authorize");
    CHECK(error_of(with(oauth2_env, "PERCH_X_AUTHORIZE_URL", "http://x.com/i/oauth2/authorize")) ==
          "PERCH_X_AUTHORIZE_URL may use plain http only for a loopback host (127.0.0.1, ::1, localhost)");
    CHECK(error_of(with(oauth2_env, "PERCH_X_AUTHORIZE_URL", "https://x.com/a?b=c")) ==
          "PERCH_X_AUTHORIZE_URL must be an absolute http(s) URL without query, e.g. https://x.com/i/oauth2/authorize");
    CHECK(loaded(with(oauth2_env, "PERCH_SCOPES", "tweet.read users.read users.email")).scopes ==
          "tweet.read users.read users.email");
    for (const char* bad : {"", " tweet.read", "tweet.read  users.read", "tweet.read\tusers.read", "a&b"}) {
        CAPTURE(bad);
        CHECK(error_of(with(oauth2_env, "PERCH_SCOPES", bad)) ==
              "PERCH_SCOPES must be scopes separated by single spaces, e.g. \"tweet.read users.read offline.access\"");
    }
}

TEST_CASE("Sessions and accounts default to memory and SQLite; Redis and PostgreSQL URLs are checked") {
    const ProxyConfig defaults = loaded(minimal_env);
    CHECK(defaults.session_store == "memory");
    CHECK(defaults.database == "perch.db");
    CHECK(defaults.database_pool_size == 8);
    CHECK(defaults.store_timeout == std::chrono::milliseconds(2000));

    const ProxyConfig shared = loaded(with(with(minimal_env, "PERCH_SESSION_STORE", "redis://:pw@cache:6380/2"),
                                           "PERCH_DATABASE", "postgresql://perch:pw@db:5433/perch?sslmode=require"),
                                      {"--database-pool-size", "20", "--store-timeout-ms", "500"});
    CHECK(shared.session_store == "redis://:pw@cache:6380/2");
    CHECK(shared.database == "postgresql://perch:pw@db:5433/perch?sslmode=require");
    CHECK(shared.database_pool_size == 20);
    CHECK(shared.store_timeout == std::chrono::milliseconds(500));

    // Refused without repeating the value (it may hold a password).
    const std::string redis = error_of(with(minimal_env, "PERCH_SESSION_STORE", "redis://:SUPERSECRETpw@cache:99999"));
    CHECK(redis.find("PERCH_SESSION_STORE") != std::string::npos);
    const std::string pg = error_of(with(minimal_env, "PERCH_DATABASE", "postgresql://u:SUPERSECRETpw@db/"));
    CHECK(pg.find("PERCH_DATABASE") != std::string::npos);
    CHECK(error_of(with(minimal_env, "PERCH_SESSION_STORE", "memcached://x")).find("memory or a redis:// URL") !=
          std::string::npos);
    CHECK(error_of(with(minimal_env, "PERCH_DATABASE", "redis://cache")).find("not redis://") != std::string::npos);
    CHECK(error_of(with(minimal_env, "PERCH_DATABASE_POOL_SIZE", "0")).find("PERCH_DATABASE_POOL_SIZE") != std::string::npos);
}

TEST_CASE("A store password comes from its file or its URL, once") {
    TempFile file("SUPERSECRETfromfile\n");
    const std::string path = file.path();
    const ProxyConfig config = loaded(with(with(minimal_env, "PERCH_SESSION_STORE", "redis://cache:6379/0"),
                                           "PERCH_SESSION_STORE_PASSWORD_FILE", path));
    CHECK(config.session_store_password == "SUPERSECRETfromfile");
    const ProxyConfig pg = loaded(with(with(minimal_env, "PERCH_DATABASE", "postgresql://perch@db/perch"),
                                       "PERCH_DATABASE_PASSWORD_FILE", path));
    CHECK(pg.database_password == "SUPERSECRETfromfile");

    CHECK(error_of(with(with(minimal_env, "PERCH_SESSION_STORE", "redis://:pw@cache"), "PERCH_SESSION_STORE_PASSWORD_FILE",
                        path)) ==
          "PERCH_SESSION_STORE holds a password and PERCH_SESSION_STORE_PASSWORD_FILE names another: give it once");
    CHECK(error_of(with(minimal_env, "PERCH_DATABASE_PASSWORD_FILE", path)) ==
          "PERCH_DATABASE_PASSWORD_FILE needs PERCH_DATABASE to be a postgresql:// URL");
    CHECK(error_of(with(minimal_env, "PERCH_SESSION_STORE_PASSWORD_FILE", path)) ==
          "PERCH_SESSION_STORE_PASSWORD_FILE needs PERCH_SESSION_STORE to be a redis:// URL");
}

TEST_CASE("The metrics and admin listeners are off unless set; the admin one needs its token") {
    const ProxyConfig plain = loaded(minimal_env);
    CHECK_FALSE(plain.metrics_listen);
    CHECK_FALSE(plain.admin_listen);
    CHECK(plain.admin_token.empty());
    // A token alone turns nothing on and is not kept.
    CHECK(loaded(with(minimal_env, "PERCH_ADMIN_TOKEN", "SUPERSECRETadmin")).admin_token.empty());

    const ProxyConfig metrics = loaded(with(minimal_env, "PERCH_METRICS_LISTEN", "127.0.0.1:9090"));
    REQUIRE(metrics.metrics_listen);
    CHECK(metrics.metrics_listen->host == "127.0.0.1");
    CHECK(metrics.metrics_listen->port == 9090);
    CHECK(loaded(minimal_env, {"--metrics-listen", "[::1]:0"}).metrics_listen->host == "::1");
    CHECK(error_of(with(minimal_env, "PERCH_METRICS_LISTEN", "9090")) ==
          "PERCH_METRICS_LISTEN must be host:port or [ipv6]:port, e.g. 127.0.0.1:9090");

    const Env admin_env = with(with(minimal_env, "PERCH_ADMIN_LISTEN", "127.0.0.1:9091"), "PERCH_ADMIN_TOKEN",
                               "SUPERSECRETadmin");
    const ProxyConfig admin = loaded(admin_env);
    REQUIRE(admin.admin_listen);
    CHECK(admin.admin_listen->port == 9091);
    CHECK(admin.admin_token == "SUPERSECRETadmin");
    TempFile file("SUPERSECRETfromfile\n");
    CHECK(loaded(with(with(minimal_env, "PERCH_ADMIN_LISTEN", "127.0.0.1:0"), "PERCH_ADMIN_TOKEN_FILE", file.path()))
              .admin_token == "SUPERSECRETfromfile");

    CHECK(error_of(with(minimal_env, "PERCH_ADMIN_LISTEN", "127.0.0.1:9091")) ==
          "PERCH_ADMIN_TOKEN or PERCH_ADMIN_TOKEN_FILE is required with PERCH_ADMIN_LISTEN");
    CHECK(error_of(with(admin_env, "PERCH_ADMIN_TOKEN", "SUPERSECRET with space")) ==
          "the admin token must be 1 to 256 printable ASCII characters without spaces or %");
    CHECK(error_of(with(admin_env, "PERCH_ADMIN_TOKEN", "SUPERSECRET%41")) ==
          "the admin token must be 1 to 256 printable ASCII characters without spaces or %");
    CHECK(error_of(with(admin_env, "PERCH_ADMIN_TOKEN_FILE", file.path())) ==
          "set only one of PERCH_ADMIN_TOKEN and PERCH_ADMIN_TOKEN_FILE");
}

TEST_CASE("The operator listeners never share the public listener's address, nor each other's") {
    const Env on_public = with(minimal_env, "PERCH_METRICS_LISTEN", "127.0.0.1:8080");
    CHECK(error_of(on_public) == "PERCH_METRICS_LISTEN must not be the PERCH_LISTEN address");
    const Env admin = with(with(minimal_env, "PERCH_ADMIN_LISTEN", "127.0.0.1:8080"), "PERCH_ADMIN_TOKEN", "tok");
    CHECK(error_of(admin) == "PERCH_ADMIN_LISTEN must not be the PERCH_LISTEN address");
    CHECK(error_of(with(with(admin, "PERCH_ADMIN_LISTEN", "127.0.0.1:9000"), "PERCH_METRICS_LISTEN",
                        "127.0.0.1:9000")) == "PERCH_ADMIN_LISTEN must not be the PERCH_METRICS_LISTEN address");
    // Port 0 picks a free port each: no collision.
    CHECK(loaded(with(with(with(admin, "PERCH_ADMIN_LISTEN", "127.0.0.1:0"), "PERCH_METRICS_LISTEN", "127.0.0.1:0"),
                      "PERCH_LISTEN", "127.0.0.1:0"), {"--public-origin", "http://127.0.0.1:8080"})
              .admin_listen->port == 0);
}
