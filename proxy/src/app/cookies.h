// The Cookie request header (strict, bounded) and Set-Cookie response values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace perch {

struct CookiePair {
    std::string name;
    std::string value;
};

struct CookieLimits {
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_pairs = 64;
};

// Parses `name=value; name2=value2` (RFC 6265 §5.4). Pairs without '=' are
// skipped (browsers allow them; they are not ours). Surrounding whitespace and
// a double-quoted value are trimmed. Exceeding a limit is an error, never a
// truncation: too_long / too_many. Duplicates are kept in order, because a
// tossed cookie from a sibling host can shadow ours.
Result<std::vector<CookiePair>> parse_cookie_header(std::string_view header,
                                                    const CookieLimits& limits = {});

// Every value of `name` across all Cookie headers, in order; a header over the
// limits contributes nothing.
std::vector<std::string> cookie_values(const std::vector<std::string>& headers, std::string_view name);

enum class SameSite { lax, strict, none };

struct SetCookieOptions {
    std::string path = "/";
    bool http_only = true;
    bool secure = false;
    SameSite same_site = SameSite::lax;
    std::int64_t max_age_seconds = -1;  // < 0: a browser-session cookie (no Max-Age)
};

// `name=value; Path=/; Max-Age=N; HttpOnly; Secure; SameSite=Lax`.
// Precondition: name is a token and value holds only cookie-octets (the
// session ids we make are URL-safe Base64, so they do).
std::string build_set_cookie(std::string_view name, std::string_view value,
                             const SetCookieOptions& options);

// A Set-Cookie that makes the browser forget `name` (Max-Age=0, empty value).
std::string build_clear_cookie(std::string_view name, const SetCookieOptions& options);

// RFC 6265 cookie-octet: printable ASCII except space, '"', ',', ';' and '\'.
bool is_cookie_value_text(std::string_view value);

}  // namespace perch
