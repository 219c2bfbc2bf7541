// Everything perch-emulator is told at start-up, in one struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fault.h"
#include "user_profile.h"

namespace perch::emulator {

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
    std::size_t max_body_bytes = 64 * 1024;
    // Worker threads. httplib gives each connection a thread for as long as it
    // is kept alive, so this bounds the concurrent connections served.
    // 0: 32, or 256 with `fast`.
    int threads = 0;

    // --fast, for load tests: the provider must not be what they measure.
    // GET /oauth/authenticate approves at once (Twitter's behaviour for a user
    // who authorized the app before) instead of showing the consent page; only
    // failures are logged; connections are kept alive for many requests.
    // Verification is unchanged.
    bool fast = false;
    // --bench-replay-nonces (needs --fast). BENCHMARK ONLY: nonces are not
    // checked for reuse, so one signed request can be replayed by a load
    // generator to measure the emulator alone. This switches off replay
    // protection; never use it for anything but a throughput ceiling.
    bool replay_nonces = false;

    int worker_threads() const { return threads > 0 ? threads : (fast ? 256 : 32); }
};

}  // namespace perch::emulator
