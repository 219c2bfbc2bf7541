#include "app/cookies.h"

#include "core/text.h"

namespace perch {
namespace {

// RFC 7230 tchar: what a cookie name may be made of.
bool is_token_char(char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

}  // namespace

bool is_cookie_value_text(std::string_view value) {
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') return false;
    }
    return true;
}

Result<std::vector<CookiePair>> parse_cookie_header(std::string_view header, const CookieLimits& limits) {
    if (header.size() > limits.max_header_bytes) {
        return Error{ErrorCode::too_long, "Cookie header is longer than allowed"};
    }
    std::vector<CookiePair> pairs;
    while (!header.empty()) {
        const std::size_t end = header.find(';');
        std::string_view item = header.substr(0, end);
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);

        item = trim(item);
        const std::size_t eq = item.find('=');
        if (item.empty() || eq == std::string_view::npos) continue;
        std::string_view name = trim(item.substr(0, eq));
        std::string_view value = trim(item.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        if (name.empty()) continue;
        if (pairs.size() == limits.max_pairs) {
            return Error{ErrorCode::too_many, "Cookie header has more pairs than allowed"};
        }
        pairs.push_back(CookiePair{std::string(name), std::string(value)});
    }
    return pairs;
}

std::vector<std::string> cookie_values(const std::vector<std::string>& headers, std::string_view name) {
    std::vector<std::string> values;
    for (const std::string& header : headers) {
        auto parsed = parse_cookie_header(header);
        if (!parsed) continue;
        for (CookiePair& pair : parsed.value()) {
            if (pair.name == name) values.push_back(std::move(pair.value));
        }
    }
    return values;
}

std::string build_set_cookie(std::string_view name, std::string_view value, const SetCookieOptions& options) {
    std::string out;
    out.reserve(name.size() + value.size() + 64);
    for (char c : name) {
        if (is_token_char(c)) out += c;  // precondition; never emit a header-splitting byte
    }
    out += '=';
    if (is_cookie_value_text(value)) out += value;
    if (!options.path.empty() && is_cookie_value_text(options.path)) {
        out += "; Path=";
        out += options.path;
    }
    if (options.max_age_seconds >= 0) {
        out += "; Max-Age=";
        out += std::to_string(options.max_age_seconds);
    }
    if (options.http_only) out += "; HttpOnly";
    if (options.secure || options.same_site == SameSite::none) out += "; Secure";
    switch (options.same_site) {
        case SameSite::lax: out += "; SameSite=Lax"; break;
        case SameSite::strict: out += "; SameSite=Strict"; break;
        case SameSite::none: out += "; SameSite=None"; break;
    }
    return out;
}

std::string build_clear_cookie(std::string_view name, const SetCookieOptions& options) {
    SetCookieOptions cleared = options;
    cleared.max_age_seconds = 0;
    return build_set_cookie(name, "", cleared);
}

}  // namespace perch
