// The JSON API's routes: start and exchange a Twitter sign-in, and the health
// check, and the route table. Each is a plain function of a request and the
// context; what the routes share is in route_support.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/route_support.h"
#include "app/routes.h"

namespace perch {

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
