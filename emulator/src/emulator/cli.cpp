#include "emulator/cli.h"

#include <CLI/CLI.hpp>

#include "emulator/callback_url.h"
#include "emulator/oauth2/oauth2_params.h"

namespace perch::emulator {
namespace {

constexpr const char* version_text = "perch-emulator " PERCH_EMULATOR_VERSION;

bool printable_ascii_token(const std::string& text) {
    if (text.empty() || text.size() > 256) return false;
    for (char c : text)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

CliOutcome fail(std::string message) {
    CliOutcome outcome;
    outcome.exit_code = 2;
    outcome.error = "perch-emulator: " + std::move(message);
    return outcome;
}

std::optional<std::string> check_oauth2_settings(const EmulatorConfig& config) {
    if (!config.client_id.empty() && !is_unreserved_token(config.client_id))
        return "--client-id must be 1-128 characters of A-Z a-z 0-9 - . _ ~";
    if (!config.client_secret.empty() && !is_unreserved_token(config.client_secret))
        return "--client-secret must be 1-128 characters of A-Z a-z 0-9 - . _ ~";
    if (!config.client_secret.empty() && config.client_id.empty()) return "--client-secret needs --client-id";
    for (const std::string& url : config.allowed_redirects)
        if (url == "oob" || !is_registered_redirect(url, {}))
            return "--allowed-redirect must be an absolute http(s) URL without fragment (got '" + url + "')";
    for (const std::string& scope : config.withheld_scopes) {
        auto parsed = parse_scopes(scope);
        if (!std::holds_alternative<Scopes>(parsed) || std::get<Scopes>(parsed).size() != 1)
            return "--withhold-scope must name one X scope (got '" + scope + "')";
    }
    return std::nullopt;
}

}  // namespace

CliOutcome parse_command_line(int argc, const char* const* argv) {
    EmulatorConfig config;
    std::string user_file;
    std::string fault = "none";
    std::string fault_on = "all";
    long long slow_ms = 15000;
    long long token_ttl_s = config.request_token_ttl.count();
    bool no_control = false;
    std::string tier = "basic";
    std::string token_errors = "rfc";
    long long code_ttl_s = config.code_ttl.count();
    long long access_token_ttl_s = config.access_token_ttl.count();

    CLI::App app{"perch-emulator: a local X (Twitter) OAuth provider for tests.\n"
                 "OAuth 1.0a: POST /oauth/request_token, GET /oauth/authenticate and /oauth/authorize\n"
                 "(consent page), POST /oauth/access_token, GET /1.1/account/verify_credentials.json.\n"
                 "OAuth 2.0 with PKCE: GET /i/oauth2/authorize (consent page), POST /2/oauth2/token.\n"
                 "Both: GET /2/users/me. Loopback clients may switch faults at run time:\n"
                 "POST /__emulator/fault with mode=...&on=...&slow_ms=... (GET shows the current plan);\n"
                 "GET /__emulator/calls counts the requests each OAuth endpoint received.",
                 "perch-emulator"};
    app.add_option("--port", config.port, "TCP port; 0 picks a free one")->check(CLI::Range(0, 65535));
    app.add_option("--host", config.host, "address to listen on")->capture_default_str();
    app.add_option("--consumer-key", config.consumer_key, "the app's consumer key")->required();
    app.add_option("--consumer-secret", config.consumer_secret, "the app's consumer secret")->required();
    app.add_option("--user", user_file, "JSON user object to sign in (default: a built-in user)");
    app.add_option("--app-name", config.app_name, "app name on the consent page")->capture_default_str();
    app.add_option("--fault", fault, "none|http500|http401|http429|garbage|slow|drop")->capture_default_str();
    app.add_option("--fault-on", fault_on, "request_token|access_token|verify_credentials|token|users_me|all")
        ->capture_default_str();
    app.add_option("--slow-ms", slow_ms, "delay for --fault slow, in ms")
        ->check(CLI::Range(0LL, static_cast<long long>(max_slow.count())))
        ->capture_default_str();
    app.add_flag("--strict,!--no-strict", config.strict,
                 "refuse oauth_* parameters outside the Authorization header (default on)");
    app.add_option("--allowed-callback", config.allowed_callbacks,
                   "registered callback URL (repeatable; query may vary); default: any http(s) URL");
    app.add_option("--client-id", config.client_id, "the OAuth 2.0 client id (none: OAuth 2.0 requests are refused)");
    app.add_option("--client-secret", config.client_secret,
                   "the OAuth 2.0 client secret: a confidential client using HTTP Basic (none: a public client)");
    app.add_option("--allowed-redirect", config.allowed_redirects,
                   "registered OAuth 2.0 redirect URI, matched exactly (repeatable); default: the "
                   "--allowed-callback entries, else any http(s) URL");
    app.add_option("--withhold-scope", config.withheld_scopes,
                   "a scope the user does not grant on the OAuth 2.0 consent page (repeatable)");
    app.add_option("--code-ttl", code_ttl_s, "OAuth 2.0 authorization code lifetime in seconds")
        ->check(CLI::Range(1LL, 600LL))
        ->capture_default_str();
    app.add_option("--access-token-ttl", access_token_ttl_s, "OAuth 2.0 access token lifetime in seconds")
        ->check(CLI::Range(1LL, 30LL * 86400))
        ->capture_default_str();
    app.add_option("--token-errors", token_errors,
                   "rfc: token endpoint refusals as RFC 6749 words them (invalid_grant, invalid_client); x: as "
                   "api.x.com does (invalid_request, unauthorized_client)")
        ->check(CLI::IsMember({"rfc", "x"}))
        ->capture_default_str();
    app.add_option("--tier", tier, "X access level: free (v1.1 verify_credentials answers 403 code 453) or basic")
        ->check(CLI::IsMember({"basic", "free"}))
        ->capture_default_str();
    app.add_option("--token-ttl", token_ttl_s, "request token (and OAuth 2.0 consent page) lifetime in seconds")
        ->check(CLI::Range(1LL, 86400LL))
        ->capture_default_str();
    app.add_option("--timestamp-window", config.timestamp_window_s, "allowed oauth_timestamp skew in seconds")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{86400}))
        ->capture_default_str();
    app.add_flag("--explain-signatures", config.explain_signatures,
                 "log the computed base string when a signature does not match");
    app.add_flag("--no-control", no_control, "do not serve /__emulator/*");
    app.add_option("--threads", config.threads, "worker threads, one per kept-alive connection (default 32, 256 with --fast)")
        ->check(CLI::Range(1, 4096));
    app.add_flag("--fast", config.fast,
                 "for load tests: /oauth/authenticate and /i/oauth2/authorize approve at once, only failures are "
                 "logged, long keep-alive; verification is unchanged");
    app.add_flag("--bench-replay-nonces", config.replay_nonces,
                 "BENCHMARK ONLY, needs --fast: do not refuse reused nonces, so a load generator can replay one "
                 "signed request (switches off replay protection)");
    app.set_version_flag("--version", version_text);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        CliOutcome outcome;
        outcome.output = app.help();
        return outcome;
    } catch (const CLI::CallForVersion&) {
        CliOutcome outcome;
        outcome.output = std::string(version_text) + "\n";
        return outcome;
    } catch (const CLI::ParseError& error) {
        return fail(error.what());
    }

    if (!printable_ascii_token(config.consumer_key))
        return fail("--consumer-key must be 1-256 printable ASCII characters without spaces");
    if (config.consumer_secret.empty() || config.consumer_secret.size() > 1024)
        return fail("--consumer-secret must be 1-1024 bytes");
    if (config.app_name.empty() || config.app_name.size() > 128)
        return fail("--app-name must be 1-128 bytes");
    auto mode = parse_fault_mode(fault);
    if (!mode) return fail("--fault must be one of " + fault_mode_names() + " (got '" + fault + "')");
    auto on = parse_fault_endpoint(fault_on);
    if (!on) return fail("--fault-on must be one of " + fault_endpoint_names() + " (got '" + fault_on + "')");
    if (auto problem = check_oauth2_settings(config)) return fail(*problem);
    config.code_ttl = std::chrono::seconds(code_ttl_s);
    config.access_token_ttl = std::chrono::seconds(access_token_ttl_s);
    config.tier = tier == "free" ? AccessTier::free : AccessTier::basic;
    config.token_errors = token_errors == "x" ? TokenErrorDialect::x : TokenErrorDialect::rfc;
    if (config.replay_nonces && !config.fast)
        return fail("--bench-replay-nonces switches off replay protection and is allowed only with --fast");
    config.fault = FaultPlan{*mode, *on, std::chrono::milliseconds(slow_ms)};
    config.request_token_ttl = std::chrono::seconds(token_ttl_s);
    config.control = !no_control;
    for (const std::string& url : config.allowed_callbacks) {
        if (url.find('?') != std::string::npos || url.find('#') != std::string::npos ||
            (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0))
            return fail("--allowed-callback must be an absolute http(s) URL without query or fragment (got '" +
                        url + "')");
    }
    if (!user_file.empty()) {
        auto user = load_user_file(user_file);
        if (!user) return fail("--user: " + user.error().message);
        config.user = std::move(user.value());
    }

    CliOutcome outcome;
    outcome.config = std::move(config);
    return outcome;
}

}  // namespace perch::emulator
