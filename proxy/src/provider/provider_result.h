// What every provider call returns, whichever protocol made it: OAuth 1.0a
// (provider/twitter_client.h) and OAuth 2.0 (provider/oauth2_client.h) share
// the failure kinds the routes map to JSON errors, and the verified user.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace perch {

// Why a provider call failed, in the terms the API reports.
struct ProviderFailure {
    enum class Kind {
        error,          // provider answered with an error or an unusable body -> 502 provider_error
        timeout,        // no answer in time -> 504 provider_timeout
        grant_refused,  // OAuth 2.0: X refused the code (expired, used, PKCE) -> 400 grant_refused
        rate_limited,   // X answered 429 -> 503 with Retry-After
    };
    Kind kind;
    std::string message;  // for operators and the JSON error: never a secret or token
    long long retry_after_seconds = 0;  // rate_limited: from x-rate-limit-reset, at least 1
};

// Defence in depth: a provider that echoes what we sent must not make us
// repeat a credential (a secret, token, code or verifier) in a message that
// reaches logs. A message containing any non-empty `credentials` is replaced
// whole.
ProviderFailure scrubbed(ProviderFailure failure, std::initializer_list<std::string_view> credentials);

template <typename T>
using ProviderResult = Result<T, ProviderFailure>;

struct VerifiedUser {
    nlohmann::json user;  // the provider's user object, as received (v1.1, or v2's `data`)
    std::string user_id;  // its id_str (v2: id)
};

}  // namespace perch
