// What a faulted provider call answers instead of the real thing.
#pragma once

#include <cstdint>

#include "emulator/fault.h"
#include "emulator/http_message.h"

namespace perch::emulator {

// X's rate-limit window: x-rate-limit-reset lies this far after the 429.
inline constexpr std::int64_t rate_limit_window_s = 15 * 60;

// The answer `mode` gives on `endpoint` (not for slow or none, which answer
// normally). Bodies are the ones the endpoint's clients expect from X:
// http401 is code 89 on OAuth 1.0a and v1.1 calls, invalid_client on the token
// endpoint and a v2 problem on /2/users/me; http429 carries x-rate-limit-limit,
// x-rate-limit-remaining: 0 and x-rate-limit-reset (`now_unix` + the window).
EmuResponse fault_response(FaultMode mode, FaultEndpoint endpoint, std::int64_t now_unix);

}  // namespace perch::emulator
