#include "app/route_support.h"

#include <utility>
#include <vector>

#include "app/cookies.h"
#include "app/rate_limiter.h"
#include "base/log.h"
#include "core/api_types.h"
#include "core/json_input.h"

namespace perch {

ApiError request_body_error(const Error& error) {
    if (error.code == ErrorCode::too_long) return ApiError{413, "too_large", "The request body is too large."};
    return ApiError{400, std::string(to_string(error.code)), error.message};
}

std::optional<ApiError> check_empty_body(const std::string& body) {
    if (body.empty()) return std::nullopt;
    auto parsed = parse_json(body, JsonLimits{api::max_request_body, 4});
    if (!parsed) return request_body_error(parsed.error());
    if (!parsed.value().is_object()) return ApiError{400, "invalid_json", "The body must be a JSON object."};
    if (!parsed.value().empty()) return ApiError{400, "invalid_field", "This request takes no fields."};
    return std::nullopt;
}

ApiError not_authenticated() {
    return ApiError{401, "not_authenticated", "Sign in with Twitter first."};
}

StoreResult<std::optional<std::string>> current_session_id(const HttpRequest& request, const ProxyConfig& config,
                                                           SessionStore& sessions) {
    std::vector<std::string> headers;
    const auto range = request.headers.equal_range("cookie");
    for (auto it = range.first; it != range.second; ++it) headers.push_back(it->second);
    for (std::string& value : cookie_values(headers, session_cookie_name(config))) {
        if (!is_session_id_text(value)) continue;
        auto live = sessions.touch(value);
        if (!live) return live.error();
        if (live.value()) return std::optional<std::string>(std::move(value));
    }
    return std::optional<std::string>();
}

ApiError store_unavailable(AppContext& context, std::string_view step, const StoreUnavailable& failure) {
    if (context.log != nullptr) context.log->error("store unavailable at " + std::string(step) + ": " + failure.message);
    return ApiError{503, "unavailable", "Sign-in is briefly unavailable. Please try again in a moment."};
}

std::string session_cookie(const ProxyConfig& config, const std::string& session_id) {
    SetCookieOptions options;
    options.secure = config.secure_cookies;
    options.max_age_seconds = config.session_max_age.count();
    return build_set_cookie(session_cookie_name(config), session_id, options);
}

std::string expired_session_cookie(const ProxyConfig& config) {
    SetCookieOptions options;
    options.secure = config.secure_cookies;
    return build_clear_cookie(session_cookie_name(config), options);
}

std::optional<ApiError> check_rate_limit(const HttpRequest& request, AppContext& context, RequestLimiter* limiter) {
    if (limiter == nullptr) return std::nullopt;
    auto checked = limiter->check(
        client_key(request.remote_addr, request.header("x-forwarded-for"), context.config.trust_forwarded_for));
    if (!checked) return store_unavailable(context, "rate limit", checked.error());
    const RateDecision& decision = checked.value();
    if (decision.allowed) return std::nullopt;
    const std::string seconds = std::to_string(decision.retry_after.count());
    return ApiError{429, "rate_limited",
                    "Too many sign-in requests from this address; try again in " + seconds + " s.",
                    {{"Retry-After", seconds}}};
}

ApiError account_store_failure(AppContext& context, std::string_view step, const AccountError& error) {
    if (context.log != nullptr) {
        context.log->error("account store failed at " + std::string(step) + " (" +
                           std::string(to_string(error.kind)) + "): " + error.message);
    }
    // A database server that cannot be reached is passing, not a fault of ours.
    if (error.kind == AccountErrorKind::unavailable) {
        return ApiError{503, "unavailable", "Your account could not be reached just now. Please try again."};
    }
    return ApiError{500, "internal", "Your account could not be reached just now. Please try again."};
}

}  // namespace perch
