// map_profile (implemented in shared/src/core/profile.cpp) on arbitrary text: never
// crashes or throws, errors are the documented kinds, and a mapped profile
// keeps the promises the page relies on.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "core/percent_encoding.h"
#include "core/profile.h"

namespace {

bool is_decimal(const std::string& text) {
    if (text.empty()) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool starts_with_http(const std::string& url) {
    std::string scheme = url.substr(0, url.find("://") == std::string::npos ? 0 : url.find("://"));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return scheme == "http" || scheme == "https";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto result = perch::map_profile(input);
    if (!result.ok()) {
        const auto code = result.error().code;
        // provider_error: X's {"errors":[...]} answer without data.
        PERCH_FUZZ_CHECK(code == perch::ErrorCode::invalid_json || code == perch::ErrorCode::too_long ||
                         code == perch::ErrorCode::missing_field || code == perch::ErrorCode::invalid_field ||
                         code == perch::ErrorCode::provider_error);
        PERCH_FUZZ_CHECK(!result.error().message.empty());
        return 0;
    }
    const perch::Profile& profile = result.value();
    PERCH_FUZZ_CHECK(is_decimal(profile.user_id));
    PERCH_FUZZ_CHECK(profile.user_id.size() <= 20);
    if (profile.timezone) {
        PERCH_FUZZ_CHECK(std::isfinite(*profile.timezone));
        PERCH_FUZZ_CHECK(std::fabs(*profile.timezone) <= 18.0);
    }
    if (profile.first_name.empty()) PERCH_FUZZ_CHECK(profile.last_name.empty());
    // URL schemes are case-insensitive, and map_profile keeps the URL as sent.
    PERCH_FUZZ_CHECK(profile.picture.empty() || starts_with_http(profile.picture));
    // Everything came out of valid JSON strings, so it is valid UTF-8.
    for (const std::string* text : {&profile.username, &profile.full_name, &profile.first_name,
                                    &profile.last_name, &profile.picture, &profile.email}) {
        PERCH_FUZZ_CHECK(perch::is_valid_utf8(*text));
    }
    // Splitting is a function of the full name alone.
    std::string first, last;
    perch::split_name(profile.full_name, first, last);
    PERCH_FUZZ_CHECK(first == profile.first_name && last == profile.last_name);
    return 0;
}
