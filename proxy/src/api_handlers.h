// The JSON API's routes: start and exchange a Twitter sign-in, and the health
// check, plus the session helpers every route shares. Each is a plain
// function of a request and the context.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "account_store.h"
#include "callback.h"
#include "flow_cookies.h"
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

// Shared by both protocols' start and exchange routes.

// A provider failure as the person sees it; the operator's detail goes to
// context.log. error -> 502 provider_error, timeout -> 504 provider_timeout,
// grant_refused -> 400 grant_refused, rate_limited -> 503
// provider_rate_limited with Retry-After.
ApiError provider_error(AppContext& context, std::string_view step, const ProviderFailure& failure);

// A callback outcome other than approved as its 400 error.
ApiError callback_error(CallbackOutcome outcome);

// 409 replayed.
ApiError replayed();

// This browser's flow of `protocol` whose id is `token` (compared in constant
// time), or null.
const BrowserFlow* find_flow(const BrowserFlows& flows, FlowProtocol protocol, std::string_view token);

// `result`, also clearing `flow`'s cookie when there is a flow.
RouteResult forgetting(const BrowserFlow* flow, const AppContext& context, RouteResult result);

// The session for the person the provider identified: 200 {"status":"new",
// "twitter_user"} or {"status":"signed_in","user"} with its cookie, or 503 busy.
RouteResult start_session(AppContext& context, TwitterIdentity identity, const std::optional<Account>& account,
                          const FlowKey& key, const std::optional<std::string>& previous_session);

// Adds `flow`'s new cookie to `response`, clearing this browser's oldest
// flows beyond config.max_flows_per_session.
void add_flow_cookies(const HttpRequest& request, const AppContext& context, const PendingFlow& flow,
                      HttpResponse& response);

// POST /api/twitter/start  (body: empty or {})
// With config.protocol oauth2 this is oauth2_start_route (app/oauth2_handlers.h).
//   429 rate_limited (Retry-After) before anything else, when the client is over its limit;
//   200 {"authorize_url","oauth_token"} + a new flow cookie (flow_cookies.h) holding
//       the sealed flow: the server keeps nothing for it. The browser's oldest
//       flows beyond config.max_flows_per_session are cleared (Max-Age=0);
//   502 provider_error / 504 provider_timeout (with a stable message; the
//   provider's detail goes to context.log).
// A start that is refused never calls the provider.
RouteResult start_route(const HttpRequest& request, AppContext& context);

// POST /api/twitter/exchange  {"callback_query": "<location.search>"}
// With config.protocol oauth2 this is oauth2_exchange_route (app/oauth2_handlers.h).
// Finds this browser's flow (flow cookie) for the callback's oauth_token (or
// `denied` value), in this order:
//   429 rate_limited (Retry-After) when the client is over its limit;
//   400 invalid_json | missing_field | invalid_field for the body;
//   400 no_session when the browser holds no flow at all (and its session
//       did not come from this callback);
//   400 denied | malformed | missing_params | token_mismatch from the
//       callback check against that flow (callback.h), token_mismatch when it
//       is not one of this browser's flows;
//   409 replayed when this browser's session came from this callback, or the
//       flow was already exchanged (ConsumedFlows: once across the process);
//   410 expired when the flow outlived config.flow_ttl;
//   then, once per flow and never retried: 502 provider_error; 504 provider_timeout;
//   500 internal (account store); 503 busy (the session store is full);
//   200 {"status":"new","twitter_user":{...}} or, when the Twitter id already
//       has an account (its stored tokens are replaced by the new ones),
//       200 {"status":"signed_in","user":{...}}; a new session (a session the
//       browser had before ends) and its cookie.
// Denied, replayed, expired and every answer after the provider was asked
// also clear the flow's cookie. Nothing before the provider calls reaches it.
RouteResult exchange_route(const HttpRequest& request, AppContext& context);

// GET /healthz -> 200 {"status":"ok"}
RouteResult healthz_route(const HttpRequest& request, AppContext& context);

// The route table: these, and the account routes of account_handlers.h.
std::vector<Route> api_routes();

}  // namespace perch
