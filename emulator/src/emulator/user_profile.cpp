#include "emulator/user_profile.h"

#include <cstdint>
#include <fstream>
#include <limits>

#include "core/json_input.h"

namespace perch::emulator {
namespace {

constexpr std::size_t max_user_file_bytes = 256 * 1024;

Result<std::uint64_t> parse_id_str(const std::string& text) {
    if (text.empty() || text.size() > 20)
        return Error{ErrorCode::invalid_field, "id_str must be 1 to 20 decimal digits"};
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return Error{ErrorCode::invalid_field, "id_str must be decimal digits only"};
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            return Error{ErrorCode::invalid_field, "id_str does not fit in 64 bits"};
        value = value * 10 + digit;
    }
    if (text.size() > 1 && text[0] == '0')
        return Error{ErrorCode::invalid_field, "id_str must not have leading zeros"};
    return value;
}

bool non_empty_string(const nlohmann::json& user, const char* field) {
    auto it = user.find(field);
    return it != user.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// nlohmann keeps ids above INT64_MAX as unsigned and the rest as signed.
bool id_matches(const nlohmann::json& id, std::uint64_t expected) {
    if (id.is_number_unsigned()) return id.get<std::uint64_t>() == expected;
    if (id.is_number_integer()) {
        const std::int64_t value = id.get<std::int64_t>();
        return value >= 0 && static_cast<std::uint64_t>(value) == expected;
    }
    return false;
}

}  // namespace

nlohmann::json default_user() {
    // Shaped after a real v1.1 verify_credentials answer. The id is above 2^53,
    // so a client that parses it as a double gets it wrong.
    return nlohmann::json{
        {"id", std::uint64_t{1452019283001737216ULL}},
        {"id_str", "1452019283001737216"},
        {"name", "Zoë Ångström-Ñúñez"},
        {"screen_name", "zoe_perch"},
        {"location", "Tromsø, Norge"},
        {"description", "Testing sign-ups with Perch 🐦 <b>not bold</b> & friends"},
        {"url", nullptr},
        {"entities", {{"description", {{"urls", nlohmann::json::array()}}}}},
        {"protected", false},
        {"followers_count", 42},
        {"friends_count", 7},
        {"listed_count", 0},
        {"created_at", "Sun Oct 24 07:12:45 +0000 2021"},
        {"favourites_count", 3},
        {"utc_offset", nullptr},
        {"time_zone", nullptr},
        {"geo_enabled", false},
        {"verified", false},
        {"statuses_count", 1},
        {"lang", nullptr},
        {"status",
         {{"created_at", "Mon Oct 25 09:30:00 +0000 2021"},
          {"id", std::uint64_t{1452587761234567168ULL}},
          {"id_str", "1452587761234567168"},
          {"text", "Hello from the Perch emulator"},
          {"truncated", false},
          {"entities",
           {{"hashtags", nlohmann::json::array()},
            {"symbols", nlohmann::json::array()},
            {"user_mentions", nlohmann::json::array()},
            {"urls", nlohmann::json::array()}}},
          {"source", "<a href=\"https://github.com\" rel=\"nofollow\">Perch</a>"},
          {"retweet_count", 0},
          {"favorite_count", 0},
          {"favorited", false},
          {"retweeted", false},
          {"lang", "en"}}},
        {"contributors_enabled", false},
        {"is_translator", false},
        {"is_translation_enabled", false},
        {"profile_background_color", "F5F8FA"},
        {"profile_background_image_url", nullptr},
        {"profile_background_image_url_https", nullptr},
        {"profile_background_tile", false},
        {"profile_image_url",
         "http://pbs.twimg.com/profile_images/1452019519052296193/Zq3v_normal.jpg"},
        {"profile_image_url_https",
         "https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v_normal.jpg"},
        {"profile_link_color", "1DA1F2"},
        {"profile_sidebar_border_color", "C0DEED"},
        {"profile_sidebar_fill_color", "DDEEF6"},
        {"profile_text_color", "333333"},
        {"profile_use_background_image", true},
        {"has_extended_profile", false},
        {"default_profile", true},
        {"default_profile_image", false},
        {"following", false},
        {"follow_request_sent", false},
        {"notifications", false},
        {"translator_type", "none"},
        {"withheld_in_countries", nlohmann::json::array()},
        {"suspended", false},
        {"needs_phone_verification", false},
        {"email", "zoe.angstrom@example.org"},
    };
}

Result<nlohmann::json> validate_user(nlohmann::json user) {
    if (!user.is_object()) return Error{ErrorCode::invalid_field, "the user must be a JSON object"};
    auto id_str = user.find("id_str");
    if (id_str == user.end() || !id_str->is_string())
        return Error{ErrorCode::missing_field, "id_str (a string of decimal digits) is required"};
    auto id = parse_id_str(id_str->get<std::string>());
    if (!id) return id.error();

    auto id_number = user.find("id");
    if (id_number == user.end()) {
        user["id"] = id.value();
    } else if (!id_matches(*id_number, id.value())) {
        return Error{ErrorCode::invalid_field, "id must be an integer equal to id_str"};
    }
    if (!non_empty_string(user, "screen_name"))
        return Error{ErrorCode::missing_field, "screen_name (a non-empty string) is required"};
    if (!non_empty_string(user, "name"))
        return Error{ErrorCode::missing_field, "name (a non-empty string) is required"};
    if (auto email = user.find("email"); email != user.end() && !email->is_string() && !email->is_null())
        return Error{ErrorCode::invalid_field, "email must be a string or null"};
    return user;
}

Result<nlohmann::json> load_user_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return Error{ErrorCode::missing_field, "cannot open " + path};
    std::string text;
    text.resize(max_user_file_bytes + 1);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
    if (text.size() > max_user_file_bytes)
        return Error{ErrorCode::too_long, path + " is larger than 256 KiB"};
    auto parsed = parse_json(text, JsonLimits{max_user_file_bytes, 32});
    if (!parsed) return Error{parsed.error().code, path + ": " + parsed.error().message};
    auto valid = validate_user(std::move(parsed.value()));
    if (!valid) return Error{valid.error().code, path + ": " + valid.error().message};
    return valid;
}

bool twitter_true(std::string_view value) {
    // Case-insensitive: clients send "True" (Python's str(True)) and Twitter accepts it.
    std::string lower(value.substr(0, 5));
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return value.size() <= 4 && (lower == "true" || lower == "t" || lower == "1");
}

std::string render_verify_credentials(const nlohmann::json& user,
                                      const VerifyCredentialsOptions& options) {
    nlohmann::json out = user;
    if (!options.include_email) out.erase("email");
    if (options.skip_status) out.erase("status");
    if (!options.include_entities) {
        out.erase("entities");
        if (auto status = out.find("status"); status != out.end() && status->is_object())
            status->erase("entities");
    }
    return out.dump();
}

}  // namespace perch::emulator
