#include "core/callback.h"

#include <algorithm>

#include "core/constant_time.h"
#include "core/query.h"

namespace perch {
namespace {

CallbackResult outcome_only(CallbackOutcome outcome) { return CallbackResult{outcome, {}, {}}; }

// A present value must look like a token; absent or empty values are judged
// later as missing, not malformed.
bool acceptable(const std::optional<std::string>& value) {
    return !value || value->empty() || (value->size() <= max_token_length && is_token_text(*value));
}

}  // namespace

std::string_view to_string(CallbackOutcome outcome) {
    switch (outcome) {
        case CallbackOutcome::approved: return "approved";
        case CallbackOutcome::denied: return "denied";
        case CallbackOutcome::no_session: return "no_session";
        case CallbackOutcome::missing_params: return "missing_params";
        case CallbackOutcome::token_mismatch: return "token_mismatch";
        case CallbackOutcome::malformed: return "malformed";
    }
    return "malformed";
}

bool is_token_text(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
    });
}

CallbackResult verify_callback(std::string_view search, std::string_view expected_token) {
    const auto parsed = parse_query(search);
    if (!parsed) return outcome_only(CallbackOutcome::malformed);
    const Params& params = parsed.value();

    for (std::string_view name : {"oauth_token", "oauth_verifier", "denied"}) {
        if (count_params(params, name) > 1) return outcome_only(CallbackOutcome::malformed);
    }
    const auto token = find_param(params, "oauth_token");
    const auto verifier = find_param(params, "oauth_verifier");
    const auto denied = find_param(params, "denied");
    if (!acceptable(token) || !acceptable(verifier) || !acceptable(denied)) {
        return outcome_only(CallbackOutcome::malformed);
    }

    if (denied) return outcome_only(CallbackOutcome::denied);
    if (expected_token.empty()) return outcome_only(CallbackOutcome::no_session);
    if (!token || token->empty() || !verifier || verifier->empty()) {
        return outcome_only(CallbackOutcome::missing_params);
    }
    if (!constant_time_equal(*token, expected_token)) {
        return outcome_only(CallbackOutcome::token_mismatch);
    }
    return CallbackResult{CallbackOutcome::approved, *token, *verifier};
}

}  // namespace perch
