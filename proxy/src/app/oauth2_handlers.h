// The sign-in routes when the proxy speaks OAuth 2.0 with PKCE to X
// (config.protocol oauth2): the same paths and JSON API as OAuth 1.0a's.
#pragma once

#include "app/routes.h"

namespace perch {

// POST /api/twitter/start  (body: empty or {})
//   429 rate_limited before anything else;
//   200 {"authorize_url","state"}: a new state (256 bits) and PKCE
//       code_verifier, sealed together in a new flow cookie (flow_cookies.h);
//       the verifier never leaves the proxy otherwise. Nothing is asked of X.
RouteResult oauth2_start_route(const HttpRequest& request, AppContext& context);

// POST /api/twitter/exchange  {"callback_query": "<location.search>"}
// The callback's state finds this browser's flow; then, in this order:
//   429 rate_limited; 400 invalid_json | missing_field | invalid_field;
//   400 malformed (callback.h), then X's error: 400 denied (access_denied,
//       the flow is forgotten) or 400 provider_refused (any other; X's
//       error and error_description go to the operator's log only);
//   400 no_session (no flow in this browser), missing_params, token_mismatch;
//   409 replayed (this browser's session came from this callback, or the flow
//       was exchanged already); 410 expired;
//   then, once per flow and never retried, the code at X's token endpoint:
//   400 grant_refused (X refused the code: expired, used, PKCE mismatch);
//   502 provider_error (X refused the client, a grant without tweet.read and
//       users.read, 5xx, garbage); 504 provider_timeout; 503
//       provider_rate_limited with Retry-After (X's 429); then /2/users/me
//       (with confirmed_email when users.email was granted), the same errors;
//   500 internal; 503 busy;
//   200 {"status":"new","twitter_user":{X's v2 user}} or {"status":"signed_in","user"}.
RouteResult oauth2_exchange_route(const HttpRequest& request, AppContext& context);

}  // namespace perch
