#include "core/registration_form.h"

#include <cmath>
#include <cstdlib>

#include "core/timezone_names.h"
#include "core/unicode_text.h"

// The rules here are written out for people in docs/registration-form.md;
// keep the two in step.

namespace perch {
namespace {

constexpr std::size_t max_username_chars = 30;
constexpr std::size_t max_name_code_points = 100;
constexpr std::size_t max_email_bytes = 254;
constexpr std::size_t max_email_local_bytes = 64;
constexpr std::size_t max_domain_label_bytes = 63;
constexpr long min_offset_minutes = -12 * 60;
constexpr long max_offset_minutes = 14 * 60;

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

// What a name field says when the value is missing or shows nothing.
struct NameField {
    const char* label;           // "First name"
    const char* when_blank;      // empty or only whitespace; "" when optional
    const char* when_invisible;  // only invisible characters, some not whitespace
};

constexpr NameField first_name_field{"First name", "Enter your first name.",
                                     "Enter your first name."};
constexpr NameField last_name_field{"Last name", "",
                                    "Last name must be empty or contain visible characters."};

struct NameScan {
    bool utf8 = true;
    bool blank = true;      // only White_Space
    bool invisible = true;  // only invisible characters (White_Space included)
    bool control = false;
    bool bidi_control = false;
    std::size_t code_points = 0;
};

NameScan scan_name(std::string_view value) {
    NameScan scan;
    scan.utf8 = for_each_code_point(value, [&](char32_t c) {
        scan.blank = scan.blank && is_white_space(c);
        scan.invisible = scan.invisible && is_invisible(c);
        scan.control = scan.control || is_control_or_line_break(c);
        scan.bidi_control = scan.bidi_control || is_bidi_control(c);
        ++scan.code_points;
    });
    return scan;
}

// Invisible characters inside a name are kept (Persian and Indic names need
// ZWNJ/ZWJ between letters, emoji sequences need ZWJ); a name that is nothing
// but them is refused, because it looks empty yet passes any check that
// trims whitespace. Bidi controls are refused anywhere: they make the name
// display in an order other than the one stored.
std::string check_name(std::string_view value, const NameField& field) {
    const NameScan scan = scan_name(value);
    const std::string label = field.label;
    if (!scan.utf8) return label + " contains characters that are not valid text.";
    if (scan.blank && *field.when_blank != '\0') return field.when_blank;
    if (scan.control) return label + " must be on one line, without control characters.";
    if (scan.bidi_control) return label + " must not contain hidden text-direction characters.";
    if (scan.invisible && !scan.blank) return field.when_invisible;
    if (scan.code_points > max_name_code_points) return label + " must be at most 100 characters.";
    return {};
}

const char* const bad_local_part = "The part of the email address before the @ is not valid.";
const char* const bad_domain = "The part of the email address after the @ is not a valid domain.";

// One character of an email local part: printable ASCII apart from the
// specials that only appear in quoted local parts, or any non-ASCII letter.
bool is_local_part_char(char32_t c) {
    if (c < 0x80) {
        return c > 0x20 && c < 0x7F &&
               std::string_view("\"(),:;<>[\\]").find(static_cast<char>(c)) ==
                   std::string_view::npos;
    }
    return !is_control_or_line_break(c) && !is_white_space(c);
}

// Non-ASCII local parts (RFC 6531) stay allowed, but not invisible ones:
// an address is an identifier, and a zero-width or bidi character would make
// two different addresses look the same.
std::string check_local_part(std::string_view local) {
    if (local.empty() || local.size() > max_email_local_bytes) return bad_local_part;
    bool allowed = true;
    bool hidden = false;
    const bool utf8 = for_each_code_point(local, [&](char32_t c) {
        allowed = allowed && is_local_part_char(c);
        hidden = hidden || is_invisible(c);
    });
    if (!utf8 || !allowed) return bad_local_part;
    if (hidden) {
        return "The part of the email address before the @ must not contain invisible "
               "characters.";
    }
    return {};
}

// An LDH label (RFC 1123): ASCII letters, digits and inner hyphens; an
// A-label ("xn--...") is one too.
bool is_ldh_label(std::string_view label) {
    if (label.empty() || label.size() > max_domain_label_bytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
        if (!is_ascii_alnum(c) && c != '-') return false;
    }
    return true;
}

// The 254-byte limit on the address keeps a domain within DNS's 253.
bool is_valid_domain(std::string_view domain) {
    std::size_t labels = 0;
    std::string_view last;
    std::size_t begin = 0;
    while (true) {
        const auto dot = domain.find('.', begin);
        last = domain.substr(begin, dot == std::string_view::npos ? std::string_view::npos
                                                                   : dot - begin);
        if (!is_ldh_label(last)) return false;
        ++labels;
        if (dot == std::string_view::npos) break;
        begin = dot + 1;
    }
    bool all_digits = true;
    for (char c : last) all_digits = all_digits && is_ascii_digit(c);
    return labels >= 2 && !all_digits;
}

// The domain must be ASCII, as HTML's input type=email wants: a Unicode
// domain can hide look-alikes (fullwidth letters, zero-width characters)
// that its ASCII (xn--) form shows plainly.
std::string check_domain(std::string_view domain) {
    for (char c : domain) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return "The part of the email address after the @ must be ASCII: use the xn-- form of a "
                   "Unicode domain.";
        }
    }
    return is_valid_domain(domain) ? std::string() : bad_domain;
}

std::string check_email(std::string_view value) {
    if (value.empty()) return "Enter an email address.";
    if (value.size() > max_email_bytes) return "Email address must be at most 254 characters.";
    const auto at = value.find('@');
    if (at == std::string_view::npos || value.find('@', at + 1) != std::string_view::npos) {
        return "Email address must contain one @, like name@example.com.";
    }
    std::string message = check_local_part(value.substr(0, at));
    if (message.empty()) message = check_domain(value.substr(at + 1));
    return message;
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

std::string check_timezone(std::string_view value) {
    if (value.empty()) return "Choose a time zone.";
    if (is_valid_utc_offset(value) || is_iana_timezone_name(value)) return {};
    return "Choose a time zone like Europe/Berlin, UTC or UTC+05:30.";
}

// A name as the form accepts it: tabs and line breaks inside it become
// spaces, other control characters and bidi controls (never part of a name,
// and the form refuses them) are dropped, and a name left with nothing
// visible is empty. Everything else, malformed bytes included, is kept as it
// is. The person sees the result in the form before it is stored.
std::string form_safe_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    bool visible = false;
    for (std::size_t i = 0; i < name.size();) {
        const CodePoint cp = decode_utf8(name, i);
        if (cp.valid && is_control_or_line_break(cp.value)) {
            if (is_white_space(cp.value)) out += ' ';
        } else if (!cp.valid || !is_bidi_control(cp.value)) {
            visible = visible || !cp.valid || !is_invisible(cp.value);
            out.append(name.substr(i, cp.length));
        }
        i += cp.length;
    }
    if (!visible) out.clear();
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
    // Twitter allows a blank (or invisible) name; the screen name is a fine
    // first name then.
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
    add("first_name", check_name(form.first_name, first_name_field));
    add("last_name", check_name(form.last_name, last_name_field));
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
