// Fault injection: the emulator can misbehave on purpose so clients prove they cope.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace perch::emulator {

enum class FaultMode {
    none,
    http500,   // 500 with an HTML body, like a load balancer error page
    http401,   // 401: code 89 JSON, invalid_client on the token endpoint, a v2 problem on /2/users/me
    http429,   // 429 with x-rate-limit-* headers and X's body (v2 problem on /2/*, code 88 elsewhere)
    garbage,   // 200 with bytes no OAuth or JSON parser accepts
    slow,      // the normal answer, but only after slow_ms
    drop,      // read the request, then close the connection without answering
};

// The provider calls a fault can be aimed at. The consent pages are never
// faulted: a browser-facing fault would test the browser, not the client under
// test. `token` is POST /2/oauth2/token, `users_me` GET /2/users/me.
enum class FaultEndpoint { request_token, access_token, verify_credentials, token, users_me, all };

std::string_view to_string(FaultMode mode);
std::string_view to_string(FaultEndpoint endpoint);

// Exact, case-sensitive names as on the command line ("http500", "access_token", ...).
std::optional<FaultMode> parse_fault_mode(std::string_view text);
std::optional<FaultEndpoint> parse_fault_endpoint(std::string_view text);

// "none, http500, ..." and "request_token, ..., all": the accepted names, for error messages.
std::string fault_mode_names();
std::string fault_endpoint_names();

struct FaultPlan {
    FaultMode mode = FaultMode::none;
    FaultEndpoint on = FaultEndpoint::all;
    std::chrono::milliseconds slow{15000};

    // True when `endpoint` (never `all`) should misbehave under this plan.
    bool applies_to(FaultEndpoint endpoint) const;
};

// Longest --slow-ms accepted: long enough for any client timeout, short enough
// that a forgotten emulator does not hold a connection for hours.
inline constexpr std::chrono::milliseconds max_slow{10 * 60 * 1000};

// The current plan, switchable at run time (POST /__emulator/fault) while
// handler threads read it.
class FaultSwitch {
public:
    explicit FaultSwitch(FaultPlan initial) : plan_(initial) {}
    FaultPlan get() const;
    void set(const FaultPlan& plan);

private:
    mutable std::mutex mutex_;
    FaultPlan plan_;
};

}  // namespace perch::emulator
