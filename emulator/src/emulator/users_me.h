// GET /2/users/me: the signed-in user as X's API v2 returns it.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/http_message.h"
#include "emulator/oauth2/oauth2_params.h"

namespace perch::emulator {

struct UsersMeQuery {
    std::vector<std::string> user_fields;  // as asked, duplicates dropped
};

// Accepts user.fields (X's documented user fields, comma-separated),
// expansions and tweet.fields (read, otherwise ignored), each at most once.
// Anything else is X's 400 "Invalid Request" problem naming the parameter.
std::variant<UsersMeQuery, EmuResponse> parse_users_me_query(std::string_view query);

// Who is asking: an OAuth 2.0 bearer token with its scopes, or an OAuth 1.0a
// user-context signature (which carries no scopes and never an email).
struct UsersMeCaller {
    bool oauth1 = false;
    Scopes scopes;
};

// The answer for `caller`: 403 {"title":"Forbidden",…,"detail":"Forbidden"}
// without tweet.read and users.read; 403 "Missing required OAuth2 scopes:
// users.email" when confirmed_email is asked for without that scope (always,
// for OAuth 1.0a); else 200 {"data":{id,name,username,+asked fields}}.
EmuResponse users_me_response(const nlohmann::json& user, const UsersMeQuery& query, const UsersMeCaller& caller);

// The v1.1-shaped user as a v2 user object with `fields` (id, name and
// username always). Fields the user has no value for are left out, as X does.
nlohmann::ordered_json v2_user(const nlohmann::json& user, const std::vector<std::string>& fields);

// "Sun Oct 24 07:12:45 +0000 2021" -> "2021-10-24T07:12:45.000Z"; empty if not that shape.
std::string v2_created_at(std::string_view v1_created_at);

}  // namespace perch::emulator
