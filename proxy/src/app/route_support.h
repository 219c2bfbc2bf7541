// What the JSON API's routes share: the session cookie, the strict empty body,
// the per-client rate limit and the answer for a failed account store call.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/routes.h"
#include "store/account_store.h"

namespace perch {

// The session cookie's name: `__Host-perch_session` for an https public origin
// (browsers then refuse that name from a sibling subdomain or without Secure
// and Path=/, so no other host can plant or shadow it), `perch_session` on
// plain-http development origins, where browsers refuse __Host- cookies.
inline std::string_view session_cookie_name(const ProxyConfig& config) {
    return config.secure_cookies ? "__Host-perch_session" : "perch_session";
}

// The live session named by the request's session cookie(s), refreshing its
// idle timer. Several cookies of that name (one tossed by a sibling host on
// http) are each tried in order; malformed values are never looked up.
StoreResult<std::optional<std::string>> current_session_id(const HttpRequest& request, const ProxyConfig& config,
                                                           SessionStore& sessions);

// 401 not_authenticated: no live session, or not the kind of session the route needs.
ApiError not_authenticated();

// 503 "unavailable" for a shared store (Redis, PostgreSQL) that did not
// answer, after logging which one failed at which step (the message names the
// server with its password masked, never a secret).
ApiError store_unavailable(AppContext& context, std::string_view step, const StoreUnavailable& failure);

// Set-Cookie for a session id: HttpOnly; SameSite=Lax; Path=/; Secure for an
// https public origin; Max-Age = the session's absolute lifetime.
std::string session_cookie(const ProxyConfig& config, const std::string& session_id);

// Set-Cookie that makes the browser forget its session cookie (Max-Age=0).
std::string expired_session_cookie(const ProxyConfig& config);

// A request body the core's strict parsers refused: 413 too_large, otherwise
// 400 with the parser's code (invalid_json, missing_field, invalid_field).
ApiError request_body_error(const Error& error);

// For routes that take no parameters: the body must be empty or {}.
std::optional<ApiError> check_empty_body(const std::string& body);

// When `limiter` refuses this request's client (rate_limiter.h's client_key:
// the connection's address, or X-Forwarded-For's last entry when
// config.trust_forwarded_for): 429 rate_limited with Retry-After. Null: no limit.
std::optional<ApiError> check_rate_limit(const HttpRequest& request, AppContext& context, RequestLimiter* limiter);

// 500 internal for a failed account store call; the store's message (which
// names no token, key or form value) goes to the log only.
ApiError account_store_failure(AppContext& context, std::string_view step, const AccountError& error);

}  // namespace perch
