#include "emulator/users_me.h"

#include <algorithm>
#include <array>

#include "core/query.h"
#include "emulator/twitter_error.h"

namespace perch::emulator {
namespace {

// X's documented user.fields, in its own (alphabetical) order.
constexpr std::array<std::string_view, 26> known_user_fields = {
    "affiliation", "confirmed_email", "connection_status", "created_at", "description", "entities", "id",
    "is_identity_verified", "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id",
    "profile_banner_url", "profile_image_url", "protected", "public_metrics", "receives_your_dm",
    "subscription", "subscription_type", "url", "username", "verified", "verified_followers_count",
    "verified_type", "withheld"};

EmuResponse invalid_request(const std::string& parameter, const std::string& value, std::string message) {
    nlohmann::ordered_json error;
    error["parameters"][parameter] = nlohmann::ordered_json::array({value});
    error["message"] = message;
    nlohmann::ordered_json body;
    body["errors"] = nlohmann::ordered_json::array({error});
    body["title"] = "Invalid Request";
    body["detail"] = "One or more parameters to your request was invalid.";
    body["type"] = "https://api.twitter.com/2/problems/invalid-request";
    EmuResponse response;
    response.status = 400;
    response.body = body.dump();
    response.reason = "users/me: " + std::move(message);
    return response;
}

std::string field_list() {
    std::string list;
    for (std::string_view field : known_user_fields) list += (list.empty() ? "" : ",") + std::string(field);
    return list;
}

bool has_field(const std::vector<std::string>& fields, std::string_view field) {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
}

void copy_if_present(const nlohmann::json& from, const char* from_key, nlohmann::ordered_json& to,
                     const char* to_key) {
    auto it = from.find(from_key);
    if (it != from.end() && !it->is_null()) to[to_key] = *it;
}

}  // namespace

std::variant<UsersMeQuery, EmuResponse> parse_users_me_query(std::string_view text) {
    auto parsed = parse_query(text);
    if (!parsed) return invalid_request("query", printable_excerpt(text), "The query string is malformed");
    UsersMeQuery query;
    for (const Param& param : parsed.value()) {
        // Client input goes back quoted in JSON: printable ASCII only.
        const std::string name = printable_excerpt(param.name);
        const std::string value = printable_excerpt(param.value);
        const bool known = param.name == "user.fields" || param.name == "expansions" || param.name == "tweet.fields";
        if (!known)
            return invalid_request(name, value,
                                   "The query parameter [" + name + "] is not one of [expansions,tweet.fields,"
                                   "user.fields]");
        if (count_params(parsed.value(), param.name) > 1)
            return invalid_request(name, value, "The query parameter [" + name + "] may be given only once");
        if (param.name != "user.fields") continue;
        std::string_view rest = param.value;
        while (!rest.empty()) {
            const std::string field(rest.substr(0, rest.find(',')));
            rest.remove_prefix(std::min(rest.size(), field.size() + 1));
            if (std::find(known_user_fields.begin(), known_user_fields.end(), field) == known_user_fields.end()) {
                const std::string shown = printable_excerpt(field);
                return invalid_request("user.fields", shown,
                                       "The `user.fields` query parameter value [" + shown + "] is not one of [" +
                                           field_list() + "]");
            }
            if (!has_field(query.user_fields, field)) query.user_fields.push_back(field);
        }
    }
    return query;
}

EmuResponse users_me_response(const nlohmann::json& user, const UsersMeQuery& query, const UsersMeCaller& caller) {
    if (!caller.oauth1 && (!has_scope(caller.scopes, "tweet.read") || !has_scope(caller.scopes, "users.read")))
        return x_problem(403, "Forbidden", "Forbidden", "users/me needs tweet.read and users.read");
    if (has_field(query.user_fields, "confirmed_email") && (caller.oauth1 || !has_scope(caller.scopes, "users.email")))
        return x_problem(403, "Forbidden", "Missing required OAuth2 scopes: users.email",
                         "confirmed_email asked for without users.email");
    nlohmann::ordered_json body;
    body["data"] = v2_user(user, query.user_fields);
    EmuResponse response;
    response.body = body.dump();
    return response;
}

nlohmann::ordered_json v2_user(const nlohmann::json& user, const std::vector<std::string>& fields) {
    nlohmann::ordered_json out;
    out["id"] = user.value("id_str", "");
    out["name"] = user.value("name", "");
    out["username"] = user.value("screen_name", "");
    for (const std::string& field : fields) {
        if (field == "profile_image_url") copy_if_present(user, "profile_image_url_https", out, "profile_image_url");
        else if (field == "confirmed_email") copy_if_present(user, "email", out, "confirmed_email");
        else if (field == "description" || field == "location" || field == "protected" || field == "verified")
            copy_if_present(user, field.c_str(), out, field.c_str());
        else if (field == "url") {
            // X answers "" for an account without a URL.
            auto url = user.find("url");
            out["url"] = url != user.end() && url->is_string() ? url->get<std::string>() : std::string();
        }
        else if (field == "created_at") {
            const std::string created = v2_created_at(user.value("created_at", ""));
            if (!created.empty()) out["created_at"] = created;
        } else if (field == "public_metrics") {
            out["public_metrics"] = {{"followers_count", user.value("followers_count", 0)},
                                     {"following_count", user.value("friends_count", 0)},
                                     {"tweet_count", user.value("statuses_count", 0)},
                                     {"listed_count", user.value("listed_count", 0)},
                                     {"like_count", user.value("favourites_count", 0)}};
        }
    }
    return out;
}

std::string v2_created_at(std::string_view text) {
    // "Www Mmm DD HH:MM:SS +0000 YYYY"
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (text.size() != 30 || text.substr(19, 7) != " +0000 ") return {};
    const std::size_t month = months.find(text.substr(4, 3));
    if (month == std::string_view::npos || month % 3 != 0) return {};
    const std::string mm = (month / 3 + 1 < 10 ? "0" : "") + std::to_string(month / 3 + 1);
    const std::string result = std::string(text.substr(26, 4)) + "-" + mm + "-" + std::string(text.substr(8, 2)) +
                               "T" + std::string(text.substr(11, 8)) + ".000Z";
    for (std::size_t i : {0u, 1u, 2u, 3u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u})
        if (result[i] < '0' || result[i] > '9') return {};
    if (result[13] != ':' || result[16] != ':') return {};
    return result;
}

}  // namespace perch::emulator
