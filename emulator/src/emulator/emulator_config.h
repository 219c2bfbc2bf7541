// Everything perch-emulator is told at start-up, in one struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/fault.h"
#include "emulator/user_profile.h"

namespace perch::emulator {

// X's access levels, as far as the emulator tells them apart: on `free`, v1.1
// verify_credentials answers 403 code 453; `basic` serves it as before.
enum class AccessTier { basic, free };

// How the token endpoint words its refusals. `rfc`: RFC 6749 §5.2 codes
// (invalid_grant, invalid_client). `x`: what api.x.com sends in practice
// (invalid_request for a bad code or verifier, unauthorized_client for
// missing client authentication), so clients can be proved against both.
enum class TokenErrorDialect { rfc, x };

struct EmulatorConfig {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    std::string consumer_key;
    std::string consumer_secret;
    std::string app_name = "Perch Test App";
    nlohmann::json user = default_user();  // validated (see validate_user)
    FaultPlan fault;
    bool strict = true;              // refuse oauth_* outside the Authorization header
    bool explain_signatures = false; // add the computed base string to signature failures
    bool control = true;             // serve /__emulator/* to loopback clients
    std::int64_t timestamp_window_s = 300;
    std::chrono::seconds request_token_ttl{15 * 60};
    std::vector<std::string> allowed_callbacks;  // empty: any absolute http(s) URL
    AccessTier tier = AccessTier::basic;

    // OAuth 2.0 Authorization Code with PKCE. One registered client; an empty
    // client_id registers none (every OAuth 2.0 request is then refused).
    std::string client_id;
    std::string client_secret;  // empty: a public client (client_id in the token request body)
    // Registered redirect URIs, compared as exact strings. Empty: the
    // allowed_callbacks entries; both empty: any absolute http(s) URL.
    std::vector<std::string> allowed_redirects;
    // Scopes the user does not grant on the consent page, whatever the app asks.
    std::vector<std::string> withheld_scopes;
    std::chrono::seconds code_ttl{30};
    std::chrono::seconds access_token_ttl{7200};
    TokenErrorDialect token_errors = TokenErrorDialect::rfc;
    std::size_t max_body_bytes = 64 * 1024;
    // Worker threads. httplib gives each connection a thread for as long as it
    // is kept alive, so this bounds the concurrent connections served.
    // 0: 32, or 256 with `fast`.
    int threads = 0;

    // --fast, for load tests: the provider must not be what they measure.
    // GET /oauth/authenticate approves at once (Twitter's behaviour for a user
    // who authorized the app before) instead of showing the consent page, and
    // so does GET /i/oauth2/authorize (a bench-only shortcut: X always asks); only
    // failures are logged; connections are kept alive for many requests.
    // Verification is unchanged.
    bool fast = false;
    // --bench-replay-nonces (needs --fast). BENCHMARK ONLY: nonces are not
    // checked for reuse, so one signed request can be replayed by a load
    // generator to measure the emulator alone. This switches off replay
    // protection; never use it for anything but a throughput ceiling.
    bool replay_nonces = false;

    int worker_threads() const { return threads > 0 ? threads : (fast ? 256 : 32); }
    bool confidential_client() const { return !client_secret.empty(); }
    const std::vector<std::string>& registered_redirects() const {
        return allowed_redirects.empty() ? allowed_callbacks : allowed_redirects;
    }
};

}  // namespace perch::emulator
