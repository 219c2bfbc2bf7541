#include "core/profile.h"

#include <array>
#include <cstdint>

#include "core/json_input.h"
#include "core/unicode_text.h"
#include "core/text.h"

namespace perch {
namespace {

using json = nlohmann::json;

// Twitter's utc_offset can only be a real zone's offset; anything beyond this
// is not one, and the page falls back to the browser's zone instead.
constexpr std::int64_t max_utc_offset_seconds = 18 * 3600;
constexpr std::size_t max_picture_url_bytes = 2048;

// A user id is the canonical decimal text of an unsigned 64-bit number: one
// spelling per account, so "0123" cannot become a second account for 123.
bool is_canonical_user_id(std::string_view text) {
    if (text.empty() || text.size() > 20) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    if (text.size() > 1 && text[0] == '0') return false;
    return text.size() < 20 || text <= "18446744073709551615";
}

// An absolute http(s) URL with a host, in printable ASCII without the
// characters a URL never holds unescaped: safe to put in an <img src>.
bool is_usable_picture_url(std::string_view url) {
    if (url.size() > max_picture_url_bytes) return false;
    std::size_t rest = 0;
    if (istarts_with(url, "https://")) {
        rest = 8;
    } else if (istarts_with(url, "http://")) {
        rest = 7;
    } else {
        return false;
    }
    if (rest == url.size() || url[rest] == '/' || url[rest] == '?' || url[rest] == '#') {
        return false;  // no host
    }
    for (char c : url) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b >= 0x7F) return false;
        if (std::string_view("\"<>\\^`{|}").find(c) != std::string_view::npos) return false;
    }
    return true;
}

const json* find_present(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

Result<std::string> read_user_id(const json& user) {
    if (const json* id_str = find_present(user, "id_str")) {
        const auto* text = id_str->get_ptr<const std::string*>();
        if (text == nullptr) {
            return Error{ErrorCode::invalid_field, "user object has an id_str that is not a string"};
        }
        if (!is_canonical_user_id(*text)) {
            return Error{ErrorCode::invalid_field,
                         "user object has an id_str that is not a decimal user id"};
        }
        return *text;
    }
    if (const json* id = find_present(user, "id")) {
        // nlohmann keeps integers exactly; one beyond uint64 arrives as a double.
        if (const auto* u = id->get_ptr<const json::number_unsigned_t*>()) {
            return std::to_string(*u);
        }
        if (const auto* s = id->get_ptr<const json::number_integer_t*>(); s != nullptr && *s >= 0) {
            return std::to_string(*s);
        }
        return Error{ErrorCode::invalid_field,
                     "user object has an id that is not a non-negative integer"};
    }
    return Error{ErrorCode::missing_field, "user object has no id_str or id"};
}

Result<std::string> read_required_string(const json& user, const char* name) {
    const json* field = find_present(user, name);
    if (field == nullptr) {
        return Error{ErrorCode::missing_field, std::string("user object has no ") + name};
    }
    const auto* text = field->get_ptr<const std::string*>();
    if (text == nullptr) {
        return Error{ErrorCode::invalid_field,
                     std::string("user object has a ") + name + " that is not a string"};
    }
    return *text;
}

// Absent, null, or anything but a whole number of seconds within ±18 h is
// unknown: the time zone is a convenience the page can supply itself, so an
// odd value must not block a sign-up.
std::optional<double> read_timezone(const json& user) {
    const json* offset = find_present(user, "utc_offset");
    if (offset == nullptr) return std::nullopt;
    std::int64_t seconds = 0;
    if (const auto* u = offset->get_ptr<const json::number_unsigned_t*>()) {
        if (*u > static_cast<std::uint64_t>(max_utc_offset_seconds)) return std::nullopt;
        seconds = static_cast<std::int64_t>(*u);
    } else if (const auto* s = offset->get_ptr<const json::number_integer_t*>()) {
        seconds = *s;
    } else {
        return std::nullopt;
    }
    if (seconds < -max_utc_offset_seconds || seconds > max_utc_offset_seconds) return std::nullopt;
    return static_cast<double>(seconds) / 3600.0;
}

std::string read_picture(const json& user) {
    for (const char* name : {"profile_image_url_https", "profile_image_url"}) {
        const json* field = find_present(user, name);
        if (field == nullptr) continue;
        const auto* url = field->get_ptr<const std::string*>();
        if (url != nullptr && is_usable_picture_url(*url)) return original_size_image(*url);
    }
    return {};
}

std::string read_email(const json& user, const char* name) {
    const json* field = find_present(user, name);
    if (field == nullptr) return {};
    const auto* text = field->get_ptr<const std::string*>();
    return text != nullptr ? *text : std::string();
}

// The first of X's {"errors":[...]} entries, described for a message.
std::string describe_errors(const json& errors) {
    std::string text = "X answered with an error";
    if (!errors.is_array() || errors.empty() || !errors.front().is_object()) return text;
    for (const char* name : {"detail", "message", "title"}) {
        const json* field = find_present(errors.front(), name);
        if (field != nullptr && field->is_string()) {
            return text + ": " + field->get<std::string>().substr(0, 200);
        }
    }
    return text;
}

// A v2 user object: id (decimal text), username, name, profile_image_url,
// confirmed_email. v2 has no time zone: the page uses the browser's.
Result<Profile> map_v2_user(const json& user) {
    Profile profile;
    auto user_id = read_required_string(user, "id");
    if (!user_id.ok()) return user_id.error();
    if (!is_canonical_user_id(user_id.value())) {
        return Error{ErrorCode::invalid_field, "user object has an id that is not a decimal user id"};
    }
    profile.user_id = std::move(user_id).value();

    auto username = read_required_string(user, "username");
    if (!username.ok()) return username.error();
    if (username.value().empty()) return Error{ErrorCode::invalid_field, "user object has an empty username"};
    profile.username = std::move(username).value();

    if (find_present(user, "name") != nullptr) {
        auto name = read_required_string(user, "name");
        if (!name.ok()) return name.error();
        profile.full_name = std::move(name).value();
        split_name(profile.full_name, profile.first_name, profile.last_name);
    }
    profile.picture = read_picture(user);
    profile.email = read_email(user, "confirmed_email");
    return profile;
}

}  // namespace

Result<Profile> map_profile(const nlohmann::json& user) {
    if (!user.is_object()) {
        return Error{ErrorCode::invalid_json, "user object is not a JSON object"};
    }
    // A v2 answer: {"data":{user}} (with "errors" only for partial answers),
    // or just {"errors":[...]} when X refused.
    if (const json* data = find_present(user, "data")) {
        if (!data->is_object()) return Error{ErrorCode::invalid_field, "the answer's data is not a user object"};
        return map_v2_user(*data);
    }
    if (const json* errors = find_present(user, "errors")) {
        return Error{ErrorCode::provider_error, describe_errors(*errors)};
    }
    if (find_present(user, "screen_name") == nullptr && find_present(user, "username") != nullptr) {
        return map_v2_user(user);
    }
    Profile profile;

    auto user_id = read_user_id(user);
    if (!user_id.ok()) return user_id.error();
    profile.user_id = std::move(user_id).value();

    auto username = read_required_string(user, "screen_name");
    if (!username.ok()) return username.error();
    if (username.value().empty()) {
        return Error{ErrorCode::invalid_field, "user object has an empty screen_name"};
    }
    profile.username = std::move(username).value();

    auto name = read_required_string(user, "name");
    if (!name.ok()) return name.error();
    profile.full_name = std::move(name).value();
    split_name(profile.full_name, profile.first_name, profile.last_name);

    profile.timezone = read_timezone(user);
    profile.picture = read_picture(user);
    profile.email = read_email(user, "email");
    return profile;
}

Result<Profile> map_profile(std::string_view user_json) {
    auto parsed = parse_json(user_json);
    if (!parsed.ok()) return parsed.error();
    return map_profile(parsed.value());
}

std::string original_size_image(std::string_view url) {
    // The path starts after "scheme://authority"; without a scheme the whole
    // text is a path.
    std::size_t path_begin = 0;
    const auto scheme_end = url.find("://");
    if (scheme_end != std::string_view::npos && scheme_end < url.find_first_of("/?#")) {
        path_begin = url.find_first_of("/?#", scheme_end + 3);
        if (path_begin == std::string_view::npos) return std::string(url);
    }
    auto path_end = url.find_first_of("?#", path_begin);
    if (path_end == std::string_view::npos) path_end = url.size();

    const auto path = url.substr(path_begin, path_end - path_begin);
    const auto last_slash = path.rfind('/');
    const auto name_begin = path_begin + (last_slash == std::string_view::npos ? 0 : last_slash + 1);
    const auto name = url.substr(name_begin, path_end - name_begin);
    const auto dot = name.rfind('.');
    const auto stem = name.substr(0, dot == std::string_view::npos ? name.size() : dot);

    for (std::string_view suffix : {"_normal", "_bigger", "_mini"}) {
        if (stem.size() > suffix.size() &&
            stem.substr(stem.size() - suffix.size()) == suffix) {
            const auto cut = name_begin + stem.size() - suffix.size();
            std::string result(url.substr(0, cut));
            result += url.substr(name_begin + stem.size());
            return result;
        }
    }
    return std::string(url);
}

void split_name(std::string_view full_name, std::string& first, std::string& last) {
    // Byte offsets of the trimmed name and of the first run of spaces inside it.
    std::size_t begin = full_name.size();
    std::size_t end = 0;
    std::size_t run_begin = std::string_view::npos;
    std::size_t run_end = std::string_view::npos;
    for (std::size_t i = 0; i < full_name.size();) {
        const CodePoint cp = decode_utf8(full_name, i);
        const bool space = is_white_space(cp.value);  // a malformed byte decodes to 0: not space
        if (!space) {
            if (begin == full_name.size()) begin = i;
            if (run_begin != std::string_view::npos && run_end == std::string_view::npos) {
                run_end = i;
            }
            end = i + cp.length;
        } else if (begin != full_name.size() && run_begin == std::string_view::npos) {
            run_begin = i;
        }
        i += cp.length;
    }
    if (begin >= end) {  // empty or only spaces
        first.clear();
        last.clear();
        return;
    }
    if (run_end == std::string_view::npos) {  // one word (trailing spaces only)
        first.assign(full_name.substr(begin, end - begin));
        last.clear();
        return;
    }
    first.assign(full_name.substr(begin, run_begin - begin));
    last.assign(full_name.substr(run_end, end - run_end));
}

}  // namespace perch
