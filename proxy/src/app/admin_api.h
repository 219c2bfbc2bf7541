// The admin listener (PERCH_ADMIN_LISTEN): the site's own backend asks for a
// registered person's X credentials, to call X's API as them.
//   GET /v1/accounts/{x_id}/credentials   Authorization: Bearer <PERCH_ADMIN_TOKEN>
//   200 {"protocol":"oauth2","access_token","expires_at"}   (renewed first when
//       it expires within 60 s; expires_at RFC 3339 UTC, null when X gave none)
//   200 {"protocol":"oauth1","token","token_secret"}
//   401 not_authenticated (no or another bearer), 404 not_found (no such
//   account or route), 405, 409 reauthorization_required (X refused the
//   refresh: the person must sign in again), 502/503/504 X failed.
// Never served on the public listener. Each request is logged with the
// account and the outcome, never a token.
#pragma once

#include <string>

#include "app/grant_refresher.h"
#include "base/clock.h"
#include "net/http_types.h"
#include "provider/oauth2_client.h"
#include "store/account_store.h"

namespace perch {

class Log;

class AdminApi {
public:
    // `token` is the bearer secret; `oauth2` may be null (OAuth 1.0a proxy).
    AdminApi(std::string token, AccountStore& accounts, OAuth2Client* oauth2, const Clock& clock, Log* log);

    // Never throws; every answer is JSON with Cache-Control: no-store.
    HttpResponse handle(const HttpRequest& request);

private:
    HttpResponse credentials(const std::string& twitter_id);
    HttpResponse oauth2_credentials(const std::string& twitter_id);
    void note(const std::string& twitter_id, const std::string& outcome) const;

    std::string token_;
    AccountStore& accounts_;
    GrantRefresher refresher_;
    Log* log_;
};

// The account id in "/v1/accounts/{x_id}/credentials" (1 to 64 digits), or "".
std::string credentials_path_id(const std::string& path);

}  // namespace perch
