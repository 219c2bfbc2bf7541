// The JSON API's routes (issue 3): start and exchange a Twitter sign-in, and
// the health check, plus the session helpers every route shares. Each is a plain function of a request and the context.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "routes.h"

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
std::optional<std::string> current_session_id(const HttpRequest& request, const ProxyConfig& config,
                                              SessionStore& sessions);

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
std::optional<ApiError> check_rate_limit(const HttpRequest& request, const AppContext& context, RateLimiter* limiter);

// POST /api/twitter/start  (body: empty or {})
//   429 rate_limited (Retry-After) before anything else, when the client is over its limit;
//   200 {"authorize_url","oauth_token"} + the cookie when a session was created;
//   503 busy when the store is full; 502 provider_error / 504 provider_timeout
//   (with a stable message; the provider's detail goes to context.log).
RouteResult start_route(const HttpRequest& request, AppContext& context);

// POST /api/twitter/exchange  {"callback_query": "<location.search>"}
//   429 rate_limited (Retry-After) before anything else, when the client is over its limit;
//   200 {"status":"new","twitter_user":{...}} + the rotated session's cookie;
//   200 {"status":"signed_in","user":{...}} when the Twitter id already has an
//       account: its stored tokens are replaced by the new ones and the session
//       is signed in (rotated again);
//   400 denied | no_session | missing_params | token_mismatch | malformed |
//       invalid_json | missing_field | invalid_field; 409 replayed; 410 expired;
//   502 provider_error; 504 provider_timeout; 500 internal (account store).
// Replays and mismatches are refused before any provider call.
RouteResult exchange_route(const HttpRequest& request, AppContext& context);

// GET /healthz -> 200 {"status":"ok"}
RouteResult healthz_route(const HttpRequest& request, AppContext& context);

// The route table: these, and the account routes of account_handlers.h.
std::vector<Route> api_routes();

}  // namespace perch
