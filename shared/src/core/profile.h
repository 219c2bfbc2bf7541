// Mapping X's user object (v1.1 verify_credentials, or v2 /2/users/me) onto a
// registration profile.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace perch {

struct Profile {
    std::string user_id;    // decimal text: 64-bit ids do not survive a JS number
    std::string username;   // screen_name (v1.1) or username (v2)
    std::string full_name;  // name, as Twitter sent it
    std::string first_name; // name trimmed, up to the first run of whitespace
    std::string last_name;  // the rest after that run; empty for one word
    std::optional<double> timezone;  // v1.1 utc_offset in hours (-16200 s -> -4.5); null -> unknown (always, for v2)
    std::string picture;    // original-size https image URL
    std::string email;      // v1.1 email or v2 confirmed_email; empty when X did not supply one
};

// Accepts a v1.1 user object (required: id_str or id, screen_name, name), a v2
// user object (required: id as decimal text, username; optional name,
// profile_image_url, confirmed_email) and a v2 answer {"data":{user}}. Errors
// are missing_field / invalid_field / invalid_json, with a message naming the
// field; provider_error for an {"errors":[...]} answer without data.
Result<Profile> map_profile(std::string_view user_json);
Result<Profile> map_profile(const nlohmann::json& user);
// A std::string or a literal converts to both overloads above; these pick the text one.
inline Result<Profile> map_profile(const std::string& user_json) {
    return map_profile(std::string_view(user_json));
}
inline Result<Profile> map_profile(const char* user_json) {
    return map_profile(std::string_view(user_json));
}

// "…/abc_normal.jpg" -> "…/abc.jpg": removes _normal, _bigger or _mini from the
// end of the file name (before its extension) only, never elsewhere in the path.
std::string original_size_image(std::string_view url);

// Splits a trimmed name at its first run of (Unicode) whitespace.
void split_name(std::string_view full_name, std::string& first, std::string& last);

}  // namespace perch
