// The JSON API's account routes: register the Twitter identity the
// proxy established, read the signed-in account, sign out. Plain functions of
// a request and the context, like the routes in api_handlers.h.
#pragma once

#include <string_view>

#include "app/route_support.h"
#include "app/routes.h"
#include "store/account_store.h"

namespace perch {

// POST /api/register  {"username","first_name","last_name","email","timezone"}
// Only those five fields: the Twitter id, tokens and picture come from the
// identity the proxy itself established during the exchange, never the browser.
//   201 {"user":{...}} + the rotated session's cookie (the session is signed in);
//   401 not_authenticated (no live session, or no Twitter identity in it);
//   400 invalid_json | missing_field | invalid_field (unknown fields too);
//   413 too_large; 422 invalid with "fields": {name: message};
//   409 already_registered | username_taken; 500 internal (storage, logged).
RouteResult register_route(const HttpRequest& request, AppContext& context);

// The account the request's session cookie is signed in to (its idle timer
// refreshed). Errors: 401 not_authenticated (no live session, or one holding
// only an X identity), 503 unavailable, 500 internal; `step` names the route in
// the log.
Result<Account, ApiError> signed_in_account(const HttpRequest& request, AppContext& context, std::string_view step);

// GET /api/me -> 200 {"user":{...}} | 401 not_authenticated
RouteResult me_route(const HttpRequest& request, AppContext& context);

// DELETE /api/me (body empty or {}) -> 204 and an expired cookie: the signed-in
// account, its stored tokens and OAuth 2.0 grant are deleted in one transaction
// (with account.deleted in the webhook outbox when webhooks are on) and the
// session is destroyed; the person's next sign-in is a new sign-up.
// 401 not_authenticated without an account; 503 unavailable; 500 internal.
RouteResult delete_me_route(const HttpRequest& request, AppContext& context);

// POST /api/logout (body empty or {}) -> 204 and an expired cookie. The session,
// if there is one, is destroyed server-side; without one it is still 204.
RouteResult logout_route(const HttpRequest& request, AppContext& context);

}  // namespace perch
