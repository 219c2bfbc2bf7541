// The JSON API's request bodies (shared/src/core/api_types.cpp): what the browser,
// or anyone, POSTs to /api/twitter/exchange and /api/register. Never crashes or
// throws; what parses is a flat set of strings within the body limit and reads
// back unchanged from its own JSON; validate_registration then only passes
// what docs/registration-form.md allows. The response parsers (start, error
// body) get the same bytes for free.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/api_types.h"
#include "fuzz_check.h"
#include "core/percent_encoding.h"
#include "core/registration_form.h"

namespace {

using perch::ErrorCode;
using perch::RegistrationForm;
namespace api = perch::api;

// Request errors are answered to the stranger: short printable ASCII, where a
// field name is quoted at most 40 bytes of it.
bool is_plain_message(const std::string& message) {
    if (message.empty() || message.size() > 100) return false;
    for (char c : message) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

void check_request_error(const perch::Error& error, std::string_view body) {
    PERCH_FUZZ_CHECK(error.code == ErrorCode::invalid_json || error.code == ErrorCode::too_long ||
                     error.code == ErrorCode::invalid_field || error.code == ErrorCode::missing_field);
    PERCH_FUZZ_CHECK((error.code == ErrorCode::too_long) == (body.size() > api::max_request_body));
    PERCH_FUZZ_CHECK(is_plain_message(error.message));
    // The proxy wraps it in an error body; that must write (no throw on
    // invalid UTF-8) and read back as the same code and message.
    const api::ErrorBody answer{std::string(perch::to_string(error.code)), error.message, {}};
    const auto again = api::parse_error_body(api::to_json(answer).dump());
    PERCH_FUZZ_CHECK(again.ok());
    PERCH_FUZZ_CHECK(again.value().code == answer.code && again.value().message == answer.message);
    PERCH_FUZZ_CHECK(again.value().fields.empty());
}

// A field that came out of the body: valid UTF-8 and no longer than the body
// (every JSON escape is at least as long as what it stands for).
bool is_field_text(const std::string& value, std::string_view body) {
    return perch::is_valid_utf8(value) && value.size() <= body.size() && body.size() <= api::max_request_body;
}

// Whitespace around a JSON text is insignificant: the same body padded with
// spaces to exactly the limit must read the same, and one byte more is too long.
std::string padded_to(std::string_view body, std::size_t length) {
    std::string padded(body);
    padded.append(length - body.size(), ' ');
    return padded;
}

bool same_form(const RegistrationForm& a, const RegistrationForm& b) {
    return a.username == b.username && a.first_name == b.first_name && a.last_name == b.last_name &&
           a.email == b.email && a.timezone == b.timezone;
}

void check_too_long(const perch::Error& error) {
    PERCH_FUZZ_CHECK(error.code == ErrorCode::too_long);
    PERCH_FUZZ_CHECK(is_plain_message(error.message));
}

// ---- validate_registration: every accepted field within the documented rules.

bool is_control_or_line_break(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

// Code points of valid UTF-8 (checked by the caller), without a decoder of
// the core's: continuation bytes are the ones of the form 10xxxxxx.
template <typename Visit>
void each_code_point(const std::string& text, Visit visit) {
    for (std::size_t i = 0; i < text.size();) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        const std::size_t length = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
        char32_t c = length == 1 ? b0 : length == 2 ? (b0 & 0x1F) : length == 3 ? (b0 & 0x0F) : (b0 & 0x07);
        for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        visit(c);
        i += length;
    }
}

bool is_bidi_control(char32_t c) {
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

// Some of what draws nothing: spaces, zero-width characters, the Hangul
// fillers, the braille blank (the docs list the whole set).
bool is_known_invisible(char32_t c) {
    return c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200D) || c == 0x202F ||
           c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF || c == 0xAD || c == 0x180E ||
           c == 0x3164 || c == 0x115F || c == 0x1160 || c == 0xFFA0 || c == 0x2800;
}

bool is_plain_space(char32_t c) {
    return c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

void check_name(const std::string& name, bool required) {
    PERCH_FUZZ_CHECK(perch::is_valid_utf8(name));
    std::size_t code_points = 0;
    bool blank = true;
    bool invisible = true;
    each_code_point(name, [&](char32_t c) {
        PERCH_FUZZ_CHECK(!is_control_or_line_break(c));
        PERCH_FUZZ_CHECK(!is_bidi_control(c));
        blank = blank && is_plain_space(c);
        invisible = invisible && is_known_invisible(c);
        ++code_points;
    });
    PERCH_FUZZ_CHECK(code_points <= 100);
    if (required) PERCH_FUZZ_CHECK(!blank && !invisible);
    // An optional name may be empty or spaces, but not only other invisibles.
    if (!required) PERCH_FUZZ_CHECK(blank || !invisible);
}

bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void check_email(const std::string& email) {
    PERCH_FUZZ_CHECK(perch::is_valid_utf8(email));
    PERCH_FUZZ_CHECK(!email.empty() && email.size() <= 254);
    const std::size_t at = email.find('@');
    PERCH_FUZZ_CHECK(at != std::string::npos && at > 0 && at <= 64);
    PERCH_FUZZ_CHECK(email.find('@', at + 1) == std::string::npos);
    // Nothing that could break out of a header, a quoted string or markup.
    for (char c : email) {
        const auto u = static_cast<unsigned char>(c);
        PERCH_FUZZ_CHECK(u > 0x20 && u != 0x7F);
        PERCH_FUZZ_CHECK(std::string_view("\"(),:;<>[\\]").find(c) == std::string_view::npos);
    }
    each_code_point(email, [](char32_t c) { PERCH_FUZZ_CHECK(!is_control_or_line_break(c)); });
    each_code_point(email.substr(0, at), [](char32_t c) {
        PERCH_FUZZ_CHECK(!is_bidi_control(c) && !is_known_invisible(c));
    });
    // The domain: ASCII LDH labels only.
    const std::string domain = email.substr(at + 1);
    PERCH_FUZZ_CHECK(domain.find('.') != std::string::npos);
    PERCH_FUZZ_CHECK(domain.front() != '.' && domain.back() != '.' && domain.find("..") == std::string::npos);
    for (char c : domain) PERCH_FUZZ_CHECK(is_ascii_alnum(c) || c == '-' || c == '.');
}

void check_timezone(const std::string& timezone) {
    PERCH_FUZZ_CHECK(!timezone.empty() && timezone.size() <= 64);
    if (timezone.rfind("UTC", 0) == 0 && timezone.find('/') == std::string::npos) {
        // "UTC" or "UTC+HH:MM" / "UTC-HH:MM" on a quarter hour in -12:00..+14:00.
        if (timezone.size() == 3) return;
        PERCH_FUZZ_CHECK(timezone.size() == 9 && (timezone[3] == '+' || timezone[3] == '-') && timezone[6] == ':');
        for (std::size_t i : {4, 5, 7, 8}) PERCH_FUZZ_CHECK(timezone[i] >= '0' && timezone[i] <= '9');
        const int hours = (timezone[4] - '0') * 10 + (timezone[5] - '0');
        const int minutes = (timezone[7] - '0') * 10 + (timezone[8] - '0');
        PERCH_FUZZ_CHECK(minutes % 15 == 0);
        const int total = (timezone[3] == '-' ? -1 : 1) * (hours * 60 + minutes);
        PERCH_FUZZ_CHECK(total >= -12 * 60 && total <= 14 * 60);
        return;
    }
    // A tz database name: "GMT", "Europe/Berlin" or at most
    // "America/Argentina/Buenos_Aires", non-empty parts of letters, digits, _ + -.
    std::size_t parts = 1;
    std::size_t length = 0;
    for (char c : timezone) {
        if (c == '/') {
            PERCH_FUZZ_CHECK(length > 0);
            ++parts;
            length = 0;
        } else {
            PERCH_FUZZ_CHECK(is_ascii_alnum(c) || c == '_' || c == '+' || c == '-');
            ++length;
        }
    }
    PERCH_FUZZ_CHECK(length > 0 && parts <= 3 && timezone.size() <= 32);
}

void check_validation(const RegistrationForm& form) {
    const perch::Validation validation = perch::validate_registration(form);
    // One message per failing field, in form order.
    const char* const order[] = {"username", "first_name", "last_name", "email", "timezone"};
    std::size_t next = 0;
    bool failed[5] = {false, false, false, false, false};
    for (const perch::FieldError& error : validation.errors) {
        while (next < 5 && error.field != order[next]) ++next;
        PERCH_FUZZ_CHECK(next < 5);
        PERCH_FUZZ_CHECK(is_plain_message(error.message));
        failed[next] = true;
        ++next;
    }
    if (!failed[0]) {
        PERCH_FUZZ_CHECK(!form.username.empty() && form.username.size() <= 30);
        for (char c : form.username) PERCH_FUZZ_CHECK(is_ascii_alnum(c) || c == '_');
    }
    if (!failed[1]) check_name(form.first_name, true);
    if (!failed[2]) check_name(form.last_name, false);
    if (!failed[3]) check_email(form.email);
    if (!failed[4]) check_timezone(form.timezone);

    // Each field is judged on its own: a valid form keeps any failing field's
    // message when only that field is swapped in.
    const RegistrationForm good{"jack", "Jack", "Dorsey", "jack@example.com", "Europe/Berlin"};
    PERCH_FUZZ_CHECK(perch::validate_registration(good).ok());
    RegistrationForm one = good;
    one.email = form.email;
    PERCH_FUZZ_CHECK(perch::validate_registration(one).ok() == !failed[3]);
    one = good;
    one.first_name = form.first_name;
    PERCH_FUZZ_CHECK(perch::validate_registration(one).ok() == !failed[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    const auto exchange = api::parse_exchange_request(body);
    if (exchange.ok()) {
        const std::string& query = exchange.value().callback_query;
        PERCH_FUZZ_CHECK(is_field_text(query, body));
        // The page writes {"callback_query": location.search}: read back the same.
        const auto again = api::parse_exchange_request(nlohmann::json{{"callback_query", query}}.dump());
        PERCH_FUZZ_CHECK(again.ok() && again.value().callback_query == query);
        const auto at_limit = api::parse_exchange_request(padded_to(body, api::max_request_body));
        PERCH_FUZZ_CHECK(at_limit.ok() && at_limit.value().callback_query == query);
        const auto over = api::parse_exchange_request(padded_to(body, api::max_request_body + 1));
        PERCH_FUZZ_CHECK(!over.ok());
        check_too_long(over.error());
    } else {
        check_request_error(exchange.error(), body);
    }

    const auto registration = api::parse_registration_request(body);
    if (registration.ok()) {
        const RegistrationForm& form = registration.value();
        for (const std::string* field : {&form.username, &form.first_name, &form.last_name, &form.email,
                                         &form.timezone}) {
            PERCH_FUZZ_CHECK(is_field_text(*field, body));
        }
        // Only one of the two shapes can match one body (their fields differ).
        PERCH_FUZZ_CHECK(!exchange.ok());
        const std::string written = api::to_json(form).dump();
        PERCH_FUZZ_CHECK(written.size() <= body.size());
        const auto again = api::parse_registration_request(written);
        PERCH_FUZZ_CHECK(again.ok() && same_form(again.value(), form));
        const auto at_limit = api::parse_registration_request(padded_to(body, api::max_request_body));
        PERCH_FUZZ_CHECK(at_limit.ok() && same_form(at_limit.value(), form));
        const auto over = api::parse_registration_request(padded_to(body, api::max_request_body + 1));
        PERCH_FUZZ_CHECK(!over.ok());
        check_too_long(over.error());
        check_validation(form);
    } else {
        check_request_error(registration.error(), body);
    }

    // The page's readers of the proxy's answers: no throw, and what they
    // accept writes back to an equal reading.
    const auto start = api::parse_start_response(body);
    if (start.ok()) {
        const auto again = api::parse_start_response(api::to_json(start.value()).dump());
        PERCH_FUZZ_CHECK(again.ok() && again.value().authorize_url == start.value().authorize_url &&
                         again.value().oauth_token == start.value().oauth_token);
    }
    const auto error_body = api::parse_error_body(body);
    if (error_body.ok()) {
        const auto again = api::parse_error_body(api::to_json(error_body.value()).dump());
        PERCH_FUZZ_CHECK(again.ok() && again.value().code == error_body.value().code &&
                         again.value().message == error_body.value().message &&
                         again.value().fields == error_body.value().fields);
    }
    return 0;
}
