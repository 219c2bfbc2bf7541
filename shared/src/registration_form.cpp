#include "registration_form.h"

#include <cmath>
#include <cstdlib>

// The rules here are written out for people in docs/registration-form.md;
// keep the two in step.

namespace perch {
namespace {

constexpr std::size_t max_username_chars = 30;
constexpr std::size_t max_name_code_points = 100;
constexpr std::size_t max_email_bytes = 254;
constexpr std::size_t max_email_local_bytes = 64;
constexpr std::size_t max_domain_label_bytes = 63;
constexpr std::size_t max_timezone_name_bytes = 64;
constexpr long min_offset_minutes = -12 * 60;
constexpr long max_offset_minutes = 14 * 60;

// One code point at `i`, strictly: no overlongs, no surrogates, nothing above
// U+10FFFF. A malformed sequence is {0, 1, false}.
struct CodePoint {
    char32_t value;
    std::size_t length;
    bool valid;
};

CodePoint decode_utf8(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
        return i + k < s.size() && byte(i + k) >= lo && byte(i + k) <= hi;
    };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return {b0, 1, true};
    if (b0 >= 0xC2 && b0 <= 0xDF && cont(1, 0x80, 0xBF)) {
        return {((b0 & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu), 2, true};
    }
    if (b0 >= 0xE0 && b0 <= 0xEF &&
        cont(1, b0 == 0xE0 ? 0xA0 : 0x80, b0 == 0xED ? 0x9F : 0xBF) && cont(2, 0x80, 0xBF)) {
        return {((b0 & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu), 3,
                true};
    }
    if (b0 >= 0xF0 && b0 <= 0xF4 &&
        cont(1, b0 == 0xF0 ? 0x90 : 0x80, b0 == 0xF4 ? 0x8F : 0xBF) && cont(2, 0x80, 0xBF) &&
        cont(3, 0x80, 0xBF)) {
        return {((b0 & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) |
                    ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu),
                4, true};
    }
    return {0, 1, false};
}

// Visits each code point; false at the first malformed sequence.
template <typename Visit>
bool for_each_code_point(std::string_view s, Visit visit) {
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint cp = decode_utf8(s, i);
        if (!cp.valid) return false;
        visit(cp.value);
        i += cp.length;
    }
    return true;
}

// Unicode's White_Space property.
bool is_unicode_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// C0, DEL, C1, and the two Unicode line breaks (C0/C1 hold the others).
bool is_control_or_line_break(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

std::string check_username(std::string_view value) {
    if (value.empty()) return "Enter a username.";
    for (char c : value) {
        if (!is_ascii_alnum(c) && c != '_') {
            return "Username may contain only letters, digits and underscores.";
        }
    }
    if (value.size() > max_username_chars) return "Username must be at most 30 characters.";
    return {};
}

// `when_blank` is the message for an empty or all-whitespace value; empty for
// an optional field.
std::string check_name(std::string_view value, const std::string& label,
                       const char* when_blank) {
    bool blank = true;
    bool control = false;
    std::size_t code_points = 0;
    const bool utf8 = for_each_code_point(value, [&](char32_t c) {
        blank = blank && is_unicode_space(c);
        control = control || is_control_or_line_break(c);
        ++code_points;
    });
    if (utf8 && blank && *when_blank != '\0') return when_blank;
    if (!utf8) return label + " contains characters that are not valid text.";
    if (control) return label + " must be on one line, without control characters.";
    if (code_points > max_name_code_points) return label + " must be at most 100 characters.";
    return {};
}

// One character of an email local part: printable ASCII apart from the
// specials that only appear in quoted local parts, or any non-ASCII letter.
bool is_local_part_char(char32_t c) {
    if (c < 0x80) {
        return c > 0x20 && c < 0x7F &&
               std::string_view("\"(),:;<>[\\]").find(static_cast<char>(c)) ==
                   std::string_view::npos;
    }
    return !is_control_or_line_break(c) && !is_unicode_space(c);
}

bool is_valid_local_part(std::string_view local) {
    if (local.empty() || local.size() > max_email_local_bytes) return false;
    bool ok = true;
    return for_each_code_point(local, [&](char32_t c) { ok = ok && is_local_part_char(c); }) && ok;
}

// Letters, digits and hyphens (or non-ASCII, for internationalised names),
// not starting or ending with a hyphen.
bool is_valid_domain_label(std::string_view label) {
    if (label.empty() || label.size() > max_domain_label_bytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    bool ok = true;
    const bool utf8 = for_each_code_point(label, [&](char32_t c) {
        if (c < 0x80) {
            ok = ok && (is_ascii_alnum(static_cast<char>(c)) || c == '-');
        } else {
            ok = ok && !is_control_or_line_break(c) && !is_unicode_space(c);
        }
    });
    return utf8 && ok;
}

bool is_valid_domain(std::string_view domain) {
    std::size_t labels = 0;
    std::string_view last;
    std::size_t begin = 0;
    while (true) {
        const auto dot = domain.find('.', begin);
        last = domain.substr(begin, dot == std::string_view::npos ? std::string_view::npos
                                                                   : dot - begin);
        if (!is_valid_domain_label(last)) return false;
        ++labels;
        if (dot == std::string_view::npos) break;
        begin = dot + 1;
    }
    bool all_digits = true;
    for (char c : last) all_digits = all_digits && is_ascii_digit(c);
    return labels >= 2 && !all_digits;
}

std::string check_email(std::string_view value) {
    if (value.empty()) return "Enter an email address.";
    if (value.size() > max_email_bytes) return "Email address must be at most 254 characters.";
    const auto at = value.find('@');
    if (at == std::string_view::npos || value.find('@', at + 1) != std::string_view::npos) {
        return "Email address must contain one @, like name@example.com.";
    }
    if (!is_valid_local_part(value.substr(0, at))) {
        return "The part of the email address before the @ is not valid.";
    }
    if (!is_valid_domain(value.substr(at + 1))) {
        return "The part of the email address after the @ is not a valid domain.";
    }
    return {};
}

// "UTC+05:30": sign, two-digit hours, a quarter-hour, within -12:00..+14:00.
bool is_valid_utc_offset(std::string_view value) {
    if (value.size() != 9 || value.substr(0, 3) != "UTC" || value[6] != ':') return false;
    if (value[3] != '+' && value[3] != '-') return false;
    for (std::size_t i : {4, 5, 7, 8}) {
        if (!is_ascii_digit(value[i])) return false;
    }
    const long hours = (value[4] - '0') * 10 + (value[5] - '0');
    const long minutes = (value[7] - '0') * 10 + (value[8] - '0');
    if (minutes % 15 != 0) return false;
    const long total = (value[3] == '-' ? -1 : 1) * (hours * 60 + minutes);
    return total >= min_offset_minutes && total <= max_offset_minutes;
}

// IANA-shaped: Area/Location[/More], each part of letters, digits, _ + -.
bool is_valid_timezone_name(std::string_view value) {
    if (value.size() > max_timezone_name_bytes) return false;
    std::size_t parts = 0;
    std::size_t part_length = 0;
    for (char c : value) {
        if (c == '/') {
            if (part_length == 0) return false;
            ++parts;
            part_length = 0;
        } else if (is_ascii_alnum(c) || c == '_' || c == '+' || c == '-') {
            ++part_length;
        } else {
            return false;
        }
    }
    if (part_length == 0) return false;
    return parts + 1 >= 2;
}

std::string check_timezone(std::string_view value) {
    if (value.empty()) return "Choose a time zone.";
    if (value == "UTC" || is_valid_utc_offset(value) || is_valid_timezone_name(value)) return {};
    return "Choose a time zone like Europe/Berlin, UTC or UTC+05:30.";
}

// A name as the form accepts it: tabs and line breaks inside it become
// spaces, other control characters (never part of a name) are dropped, and
// everything else, malformed bytes included, is kept as it is.
std::string form_safe_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        const CodePoint cp = decode_utf8(name, i);
        if (cp.valid && is_control_or_line_break(cp.value)) {
            if (is_unicode_space(cp.value)) out += ' ';
        } else {
            out.append(name.substr(i, cp.length));
        }
        i += cp.length;
    }
    return out;
}

// The minutes east of UTC that a form offset can hold, if `hours` is one.
bool fits_form_offset(double hours) {
    if (!std::isfinite(hours)) return false;
    const double minutes = std::round(hours * 60.0);
    return minutes >= min_offset_minutes && minutes <= max_offset_minutes &&
           std::fmod(minutes, 15.0) == 0.0;
}

}  // namespace

RegistrationForm prefill(const Profile& profile) {
    RegistrationForm form;
    form.username = profile.username;
    form.first_name = form_safe_name(profile.first_name);
    form.last_name = form_safe_name(profile.last_name);
    // Twitter allows a blank name; the screen name is a fine first name then.
    if (form.first_name.empty()) form.first_name = profile.username;
    form.email = profile.email;
    // Unknown, or not an offset the form accepts: leave it for the page to
    // fill with the browser's own zone.
    if (profile.timezone && fits_form_offset(*profile.timezone)) {
        form.timezone = format_utc_offset(*profile.timezone);
    }
    return form;
}

Validation validate_registration(const RegistrationForm& form) {
    Validation result;
    const auto add = [&](const char* field, std::string message) {
        if (!message.empty()) result.errors.push_back(FieldError{field, std::move(message)});
    };
    add("username", check_username(form.username));
    add("first_name", check_name(form.first_name, "First name", "Enter your first name."));
    add("last_name", check_name(form.last_name, "Last name", ""));
    add("email", check_email(form.email));
    add("timezone", check_timezone(form.timezone));
    return result;
}

std::string format_utc_offset(double hours) {
    // Beyond two-digit hours is no time zone; clamp so the shape always holds.
    constexpr double max_minutes = 99 * 60 + 59;
    double minutes = std::isfinite(hours) ? std::round(hours * 60.0) : 0.0;
    if (minutes > max_minutes) minutes = max_minutes;
    if (minutes < -max_minutes) minutes = -max_minutes;
    const long total = static_cast<long>(minutes);
    if (total == 0) return "UTC";
    const long magnitude = std::labs(total);
    const long hh = magnitude / 60;
    const long mm = magnitude % 60;
    std::string text = total < 0 ? "UTC-" : "UTC+";
    text += static_cast<char>('0' + hh / 10);
    text += static_cast<char>('0' + hh % 10);
    text += ':';
    text += static_cast<char>('0' + mm / 10);
    text += static_cast<char>('0' + mm % 10);
    return text;
}

}  // namespace perch
