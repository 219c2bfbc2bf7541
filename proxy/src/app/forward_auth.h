// GET /api/auth: the answer a reverse proxy's auth subrequest asks for
// (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth) before it
// lets a request through to the site's own backend.
#pragma once

#include <string_view>

#include "app/routes.h"

namespace perch {

// True when `value` is non-empty and every byte is printable ASCII (0x20-0x7E):
// nothing in it can end a header line or be re-encoded on the way.
bool is_header_safe(std::string_view value);

// GET /api/auth (HEAD too)
//   204, no body, with X-Perch-User-Id (the X id), X-Perch-Username and
//       X-Perch-Email (only when the stored email is non-empty printable ASCII)
//       for a session signed in to an account; the call refreshes the
//       session's idle timer and never rotates its id;
//   401 not_authenticated otherwise (no cookie, ended session, or an X
//       identity that has not registered yet);
//   503 unavailable (a shared store did not answer), 500 internal (the
//       account store failed), both logged.
RouteResult forward_auth_route(const HttpRequest& request, AppContext& context);

}  // namespace perch
