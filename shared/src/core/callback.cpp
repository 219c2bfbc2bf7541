#include "core/callback.h"

#include <algorithm>
#include <initializer_list>

#include "core/constant_time.h"
#include "core/query.h"

namespace perch {
namespace {

CallbackResult outcome_only(CallbackOutcome outcome, CallbackShape shape = CallbackShape::oauth1) {
    CallbackResult result{outcome, {}, {}, shape, {}, {}, {}, {}};
    return result;
}

// A present value must look like a token; absent or empty values are judged
// later as missing, not malformed.
bool acceptable(const std::optional<std::string>& value) {
    return !value || value->empty() || (value->size() <= max_token_length && is_token_text(*value));
}

bool acceptable_token(const std::optional<std::string>& value, std::size_t max_length) {
    return !value || value->empty() || (value->size() <= max_length && is_token_text(*value));
}

// RFC 6749's error codes are words like invalid_scope; anything else is not X.
bool acceptable_error(const std::optional<std::string>& value) {
    return !value || (value->size() <= max_error_length &&
                      std::all_of(value->begin(), value->end(), [](char c) {
                          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                 c == '_' || c == '-' || c == '.';
                      }));
}

bool acceptable_description(const std::optional<std::string>& value) {
    return !value || (value->size() <= max_error_description_length &&
                      std::none_of(value->begin(), value->end(), [](char c) {
                          const auto byte = static_cast<unsigned char>(c);
                          return byte < 0x20 || byte == 0x7f;
                      }));
}

CallbackResult verify_oauth2_callback(const Params& params, std::string_view expected_state) {
    const auto shape = CallbackShape::oauth2;
    for (std::string_view name : {"state", "code", "error", "error_description"}) {
        if (count_params(params, name) > 1) return outcome_only(CallbackOutcome::malformed, shape);
    }
    const auto state = find_param(params, "state");
    const auto code = find_param(params, "code");
    const auto error = find_param(params, "error");
    const auto description = find_param(params, "error_description");
    if (!acceptable_token(state, max_state_length) || !acceptable_token(code, max_code_length) ||
        !acceptable_error(error) || !acceptable_description(description)) {
        return outcome_only(CallbackOutcome::malformed, shape);
    }

    if (error) {
        CallbackResult result = outcome_only(
            *error == "access_denied" ? CallbackOutcome::denied : CallbackOutcome::provider_refused, shape);
        result.error = *error;
        result.error_description = description.value_or("");
        return result;
    }
    if (expected_state.empty()) return outcome_only(CallbackOutcome::no_session, shape);
    if (!state || state->empty() || !code || code->empty()) {
        return outcome_only(CallbackOutcome::missing_params, shape);
    }
    if (!constant_time_equal(*state, expected_state)) return outcome_only(CallbackOutcome::token_mismatch, shape);
    CallbackResult result = outcome_only(CallbackOutcome::approved, shape);
    result.state = *state;
    result.code = *code;
    return result;
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
        case CallbackOutcome::provider_refused: return "provider_refused";
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
    const auto present = [&params](std::initializer_list<std::string_view> names) {
        return std::any_of(names.begin(), names.end(),
                           [&params](std::string_view name) { return count_params(params, name) > 0; });
    };
    if (!present({"oauth_token", "oauth_verifier", "denied"}) &&
        present({"state", "code", "error", "error_description"})) {
        return verify_oauth2_callback(params, expected_token);
    }

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
    return CallbackResult{CallbackOutcome::approved, *token, *verifier, CallbackShape::oauth1, {}, {}, {}, {}};
}

}  // namespace perch
