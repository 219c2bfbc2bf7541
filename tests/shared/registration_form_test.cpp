#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "registration_form.h"

using perch::format_utc_offset;
using perch::prefill;
using perch::Profile;
using perch::RegistrationForm;
using perch::validate_registration;

namespace {

RegistrationForm valid_form() {
    RegistrationForm form;
    form.username = "ada_lovelace";
    form.first_name = "Ada";
    form.last_name = "King Lovelace";
    form.email = "ada@example.com";
    form.timezone = "Europe/London";
    return form;
}

// The message for one field, or "" when it passes.
std::string error_for(const RegistrationForm& form, const std::string& field) {
    for (const auto& error : validate_registration(form).errors) {
        if (error.field == field) return error.message;
    }
    return {};
}

std::vector<std::string> failing_fields(const RegistrationForm& form) {
    std::vector<std::string> fields;
    for (const auto& error : validate_registration(form).errors) fields.push_back(error.field);
    return fields;
}

std::string username_error(const std::string& value) {
    auto form = valid_form();
    form.username = value;
    return error_for(form, "username");
}
std::string first_name_error(const std::string& value) {
    auto form = valid_form();
    form.first_name = value;
    return error_for(form, "first_name");
}
std::string last_name_error(const std::string& value) {
    auto form = valid_form();
    form.last_name = value;
    return error_for(form, "last_name");
}
std::string email_error(const std::string& value) {
    auto form = valid_form();
    form.email = value;
    return error_for(form, "email");
}
std::string timezone_error(const std::string& value) {
    auto form = valid_form();
    form.timezone = value;
    return error_for(form, "timezone");
}

std::string repeat(const std::string& piece, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

const std::string bad_username = "Username may contain only letters, digits and underscores.";
const std::string bad_local = "The part of the email address before the @ is not valid.";
const std::string bad_domain = "The part of the email address after the @ is not a valid domain.";
const std::string bad_timezone = "Choose a time zone like Europe/Berlin, UTC or UTC+05:30.";

}  // namespace

TEST_CASE("A complete, well-formed form passes") {
    const auto validation = validate_registration(valid_form());
    CHECK(validation.ok());
    CHECK(validation.errors.empty());
}

TEST_CASE("Every failing field is reported at once, in form order") {
    const RegistrationForm empty;
    const auto validation = validate_registration(empty);
    REQUIRE_FALSE(validation.ok());
    REQUIRE(validation.errors.size() == 4);  // the last name is optional
    CHECK(validation.errors[0].field == "username");
    CHECK(validation.errors[0].message == "Enter a username.");
    CHECK(validation.errors[1].field == "first_name");
    CHECK(validation.errors[1].message == "Enter your first name.");
    CHECK(validation.errors[2].field == "email");
    CHECK(validation.errors[2].message == "Enter an email address.");
    CHECK(validation.errors[3].field == "timezone");
    CHECK(validation.errors[3].message == "Choose a time zone.");

    RegistrationForm all_bad{"a b", "A\nB", "\x01", "no-at-sign", "Mars/"};
    CHECK(failing_fields(all_bad) ==
          std::vector<std::string>{"username", "first_name", "last_name", "email", "timezone"});
}

TEST_CASE("A username is 1 to 30 letters, digits or underscores") {
    CHECK(username_error("a") == "");
    CHECK(username_error("_") == "");
    CHECK(username_error("TwitterDev") == "");
    CHECK(username_error("abcdefghijklmno") == "");  // Twitter's 15-character maximum
    CHECK(username_error(std::string(30, 'x')) == "");
    CHECK(username_error(std::string(31, 'x')) == "Username must be at most 30 characters.");
    CHECK(username_error("") == "Enter a username.");
    for (const char* bad : {"a b", " ada", "ada ", "ada-l", "ada.l", "@ada", "ad\xc3\xa1",
                            "\xef\xbc\xa1" /* fullwidth A */, "a\nb"}) {
        CAPTURE(bad);
        CHECK(username_error(bad) == bad_username);
    }
    CHECK(username_error(std::string("a\0b", 3)) == bad_username);
}

TEST_CASE("A first name is required and at most 100 code points") {
    CHECK(first_name_error("Ada") == "");
    CHECK(first_name_error("") == "Enter your first name.");
    CHECK(first_name_error("   ") == "Enter your first name.");
    CHECK(first_name_error("\xc2\xa0\xe3\x80\x80") == "Enter your first name.");
    CHECK(first_name_error(std::string(100, 'a')) == "");
    CHECK(first_name_error(std::string(101, 'a')) == "First name must be at most 100 characters.");
    // Code points, not bytes: 100 four-byte emoji pass.
    CHECK(first_name_error(repeat("\xf0\x9f\x90\xa6", 100)) == "");
    CHECK(first_name_error(repeat("\xf0\x9f\x90\xa6", 101)) ==
          "First name must be at most 100 characters.");
    CHECK(first_name_error(repeat("\xe5\xb1\xb1", 100)) == "");
}

TEST_CASE("A last name is optional with the same rules") {
    CHECK(last_name_error("") == "");
    CHECK(last_name_error("   ") == "");
    CHECK(last_name_error("King Lovelace") == "");
    CHECK(last_name_error(std::string(101, 'a')) == "Last name must be at most 100 characters.");
    CHECK(last_name_error("A\nB") == "Last name must be on one line, without control characters.");
    CHECK(last_name_error("\xff") == "Last name contains characters that are not valid text.");
}

TEST_CASE("Names in any script pass") {
    for (const char* name :
         {"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",                      // Arabic
          "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e",     // CJK with a space
          "Zoe\xcc\x88",                                           // combining diaeresis
          "\xf0\x9f\x90\xa6\xe2\x80\x8d\xf0\x9f\x94\xa5",          // emoji ZWJ sequence
          "O'Brien-Smith", "J. R. R.", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0",
          "\xe0\xa4\x85\xe0\xa4\xa8\xe0\xa5\x81",                  // Devanagari with a vowel sign
          "Ada\xc2\xa0Lovelace"}) {
        CAPTURE(name);
        CHECK(first_name_error(name) == "");
        CHECK(last_name_error(name) == "");
    }
}

TEST_CASE("Names must be valid UTF-8 on one line without control characters") {
    const std::string invalid = "First name contains characters that are not valid text.";
    for (const std::string& bad :
         {std::string("\xff"), std::string("Ad\xc3"), std::string("\xc0\xaf"),
          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
          std::string("\xe0\x80\xaf")}) {
        CAPTURE(bad);
        CHECK(first_name_error(bad) == invalid);
    }
    const std::string one_line = "First name must be on one line, without control characters.";
    for (const std::string& bad :
         {std::string("A\nB"), std::string("A\rB"), std::string("A\tB"), std::string("A\x7f"),
          std::string("A\x1b[31m"), std::string("A\0B", 3), std::string("A\xc2\x80"),
          std::string("A\xc2\x85" "B"), std::string("A\xc2\x9f"),
          std::string("A\xe2\x80\xa8" "B"), std::string("A\xe2\x80\xa9" "B")}) {
        CAPTURE(bad);
        CHECK(first_name_error(bad) == one_line);
    }
}

TEST_CASE("An email address is required and at most 254 bytes") {
    CHECK(email_error("") == "Enter an email address.");
    // 64 + 1 + (63 + 1 + 63 + 1 + 57 + 1 + 3) = 254 bytes.
    const std::string local(64, 'l');
    const std::string domain =
        std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(57, 'c') + ".com";
    REQUIRE((local + "@" + domain).size() == 254);
    CHECK(email_error(local + "@" + domain) == "");
    CHECK(email_error(local + "@c" + domain) == "Email address must be at most 254 characters.");
    CHECK(email_error(std::string(100000, 'a')) == "Email address must be at most 254 characters.");
}

TEST_CASE("An email address has exactly one @") {
    const std::string one_at = "Email address must contain one @, like name@example.com.";
    CHECK(email_error("ada.example.com") == one_at);
    CHECK(email_error("ada@@example.com") == one_at);
    CHECK(email_error("a@b@example.com") == one_at);
    CHECK(email_error("\"a@b\"@example.com") == one_at);
}

TEST_CASE("Common real-world addresses pass") {
    for (const std::string& email : std::vector<std::string>{
             "ada@example.com", "a@b.co", "ada.lovelace+perch@mail.example.co.uk",
          "o'brien@example.ie", "first_last-1@sub-domain.example.org", "x!#$%&*=?^`{|}~@ex.am",
          "user@123.example.com", "user@xn--bcher-kva.example",
          "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",  // 用户@例子.广告
          "j\xc3\xb6rg@b\xc3\xbc" "cher.de", "a.@example.com", std::string(64, 'a') + "@x.io"}) {
        CAPTURE(email);
        CHECK(email_error(email) == "");
    }
}

TEST_CASE("The local part is 1 to 64 bytes without spaces, quotes, commas or brackets") {
    CHECK(email_error("@example.com") == bad_local);
    CHECK(email_error(std::string(65, 'a') + "@example.com") == bad_local);
    for (const std::string& local :
         {std::string("a b"), std::string(" a"), std::string("a\t"), std::string("\"ada\""),
          std::string("a,b"), std::string("(a)"), std::string("<a>"), std::string("[a]"),
          std::string("a:b"), std::string("a;b"), std::string("a\\b"), std::string("a\x7f"),
          std::string("a\x01"), std::string("a\xc2\xa0" "b"), std::string("a\xe3\x80\x80"),
          std::string("a\xc2\x85"), std::string("\xff"), std::string("a\xe2\x80")}) {
        CAPTURE(local);
        CHECK(email_error(local + "@example.com") == bad_local);
    }
}

TEST_CASE("The domain has two or more labels of letters, digits and inner hyphens") {
    for (const std::string& domain :
         {std::string(""), std::string("localhost"), std::string("example."), std::string(".com"),
          std::string("example..com"), std::string("-example.com"), std::string("example-.com"),
          std::string("example.-com"), std::string("exa_mple.com"), std::string("exa mple.com"),
          std::string("example.com "), std::string("[127.0.0.1]"), std::string("127.0.0.1"),
          std::string("example.123"), std::string(64, 'a') + ".com", std::string("ex\xff.com"),
          std::string("ex\xe3\x80\x80.com"), std::string("example.com/x")}) {
        CAPTURE(domain);
        CHECK(email_error("ada@" + domain) == bad_domain);
    }
    CHECK(email_error("ada@" + std::string(63, 'a') + ".com") == "");
    CHECK(email_error("ada@example.c0m") == "");
    CHECK(email_error("ada@a-b.c") == "");
}

TEST_CASE("A time zone is UTC, a quarter-hour offset within -12:00..+14:00, or an IANA name") {
    for (const char* zone :
         {"UTC", "UTC+05:30", "UTC-04:30", "UTC+05:45", "UTC+14:00", "UTC-12:00", "UTC+00:00",
          "UTC-00:00", "UTC+12:45", "Europe/Berlin", "America/Argentina/Buenos_Aires",
          "America/Port-au-Prince", "Etc/GMT+5", "Etc/GMT-14", "Asia/Kolkata", "Etc/UTC"}) {
        CAPTURE(zone);
        CHECK(timezone_error(zone) == "");
    }
    CHECK(timezone_error("") == "Choose a time zone.");
    for (const std::string& zone :
         {std::string("utc"), std::string("GMT"), std::string("Berlin"), std::string("UTC+5"),
          std::string("UTC+05:20"), std::string("UTC+5:30"), std::string("UTC+05:3"),
          std::string("UTC+14:15"), std::string("UTC-12:15"), std::string("UTC-13:00"),
          std::string("UTC+15:00"), std::string("UTC+99:00"), std::string("UTC 05:30"),
          std::string("UTC+05:30 "), std::string("+05:30"), std::string("UTC+0a:30"),
          std::string("Europe/"), std::string("/Berlin"), std::string("Europe//Berlin"),
          std::string("Europe/Ber lin"), std::string("Europe/Berlin\n"),
          std::string("../etc/passwd"), std::string("Europe/Ber.lin"),
          std::string("Europe/Z\xc3\xbcrich"), std::string("Area/") + std::string(60, 'x')}) {
        CAPTURE(zone);
        CHECK(timezone_error(zone) == bad_timezone);
    }
    CHECK(timezone_error("Area/" + std::string(59, 'x')) == "");  // 64 bytes
}

TEST_CASE("Offsets are written as UTC±HH:MM rounded to minutes") {
    CHECK(format_utc_offset(0.0) == "UTC");
    CHECK(format_utc_offset(-0.0) == "UTC");
    CHECK(format_utc_offset(5.5) == "UTC+05:30");
    CHECK(format_utc_offset(-4.5) == "UTC-04:30");
    CHECK(format_utc_offset(5.75) == "UTC+05:45");
    CHECK(format_utc_offset(-10.0) == "UTC-10:00");
    CHECK(format_utc_offset(14.0) == "UTC+14:00");
    CHECK(format_utc_offset(-12.0) == "UTC-12:00");
    CHECK(format_utc_offset(1.0 / 3.0) == "UTC+00:20");
    CHECK(format_utc_offset(0.004) == "UTC");              // 0.24 minutes
    CHECK(format_utc_offset(-0.01) == "UTC-00:01");        // 0.6 minutes
    CHECK(format_utc_offset(18.0) == "UTC+18:00");
    CHECK(format_utc_offset(1e300) == "UTC+99:59");        // clamped, never garbage
    CHECK(format_utc_offset(-1e300) == "UTC-99:59");
    CHECK(format_utc_offset(std::numeric_limits<double>::quiet_NaN()) == "UTC");
    CHECK(format_utc_offset(std::numeric_limits<double>::infinity()) == "UTC");
}

TEST_CASE("Prefill copies the profile and writes a known offset") {
    Profile profile;
    profile.user_id = "12";
    profile.username = "ada";
    profile.full_name = "Ada King Lovelace";
    profile.first_name = "Ada";
    profile.last_name = "King Lovelace";
    profile.email = "ada@example.com";
    profile.timezone = -4.5;
    const auto form = prefill(profile);
    CHECK(form.username == "ada");
    CHECK(form.first_name == "Ada");
    CHECK(form.last_name == "King Lovelace");
    CHECK(form.email == "ada@example.com");
    CHECK(form.timezone == "UTC-04:30");
    CHECK(validate_registration(form).ok());

    profile.timezone = 0.0;
    CHECK(prefill(profile).timezone == "UTC");
    profile.timezone = 5.75;
    CHECK(prefill(profile).timezone == "UTC+05:45");
}

TEST_CASE("Prefill leaves the time zone empty for the page when it is unknown or not a form offset") {
    Profile profile;
    profile.username = "ada";
    profile.first_name = "Ada";
    CHECK(prefill(profile).timezone == "");
    for (double hours : {-13.0, 14.25, 18.0, -18.0, 1.0 / 3.0, 5.6}) {
        CAPTURE(hours);
        profile.timezone = hours;
        CHECK(prefill(profile).timezone == "");
    }
}

TEST_CASE("Prefill uses the username when the name has no first name") {
    Profile profile;
    profile.username = "ada_99";
    profile.full_name = "   ";
    const auto form = prefill(profile);
    CHECK(form.first_name == "ada_99");
    CHECK(form.last_name == "");
}

TEST_CASE("Prefill turns tabs and line breaks in names into spaces and drops other controls") {
    Profile profile;
    profile.username = "ada";
    profile.first_name = "A\x01" "da\x7f";
    profile.last_name = "King\tLove\xe2\x80\xa8lace\xc2\x85x\xc2\x9b\r\n";
    const auto form = prefill(profile);
    CHECK(form.first_name == "Ada");
    CHECK(form.last_name == "King Love lace x  ");
    CHECK(error_for(form, "first_name") == "");
    CHECK(error_for(form, "last_name") == "");

    profile.first_name = "\x01\x02";
    CHECK(prefill(profile).first_name == "ada");
    // Everything else is copied byte for byte, even bytes that are not UTF-8.
    profile.first_name = "Zoe\xcc\x88\xff";
    CHECK(prefill(profile).first_name == "Zoe\xcc\x88\xff");
}

namespace {

// Builds a verify_credentials-shaped user with what Twitter allows: screen
// names of 1-15 [A-Za-z0-9_], names of up to 50 characters in any script
// (possibly blank), offsets of real zones or null, and an email or none.
struct GeneratedUser {
    std::string json;
    bool has_email;
    bool has_offset;
};

GeneratedUser generate_user(std::mt19937& rng) {
    const auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    std::string screen_name;
    const std::size_t screen_length = 1 + pick(15);
    for (std::size_t i = 0; i < screen_length; ++i) screen_name += alphabet[pick(sizeof alphabet - 1)];

    static const std::vector<std::string> words = {
        "Ada", "Lovelace", "O'Brien", "Jean-Luc", "J.", "\\u00c9mile",
        "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", "\xd8\xa7\xd9\x84\xd8\xb9\xd9\x84\xd9\x8a",
        "\xe5\xb1\xb1\xe7\x94\xb0", "\xe5\xa4\xaa\xe9\x83\x8e", "\xf0\x9f\x90\xa6",
        "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", "Zoe\xcc\x88",
        "\xe0\xa4\x85\xe0\xa4\xa8\xe0\xa5\x81", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0", "x"};
    static const std::vector<std::string> spaces = {" ", "  ", "\\t", "\\u00a0", "\xe3\x80\x80",
                                                    "\xe2\x80\x83", " \\u00a0 "};
    std::string name;
    switch (pick(6)) {
        case 0: name = ""; break;
        case 1: name = spaces[pick(spaces.size())]; break;  // whitespace only
        default: {
            if (pick(2) == 0) name += spaces[pick(spaces.size())];
            const std::size_t count = 1 + pick(4);  // one word is common
            for (std::size_t i = 0; i < count; ++i) {
                if (i > 0) name += spaces[pick(spaces.size())];
                name += words[pick(words.size())];
            }
            if (pick(2) == 0) name += spaces[pick(spaces.size())];
        }
    }

    static const std::vector<const char*> offsets = {
        "-43200", "-36000", "-16200", "-12600", "0", "3600", "19800", "20700", "31500",
        "34200", "45900", "50400", "-9000", "39600", "null"};
    const char* offset = pick(3) == 0 ? nullptr : offsets[pick(offsets.size())];

    static const std::vector<std::string> emails = {
        "ada@example.com", "o'brien+tw@mail.example.co.uk",
        "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
        "x_y-z@sub.domain.io"};
    const std::size_t email_choice = pick(emails.size() + 2);

    std::string json = "{";
    if (pick(2) == 0) {
        json += "\"id_str\":\"" + std::to_string(rng()) + "\",\"id\":" + std::to_string(rng());
    } else {
        json += "\"id\":18446744073709551615";
    }
    json += ",\"screen_name\":\"" + screen_name + "\",\"name\":\"" + name + "\"";
    bool has_offset = false;
    if (offset != nullptr) {
        json += std::string(",\"utc_offset\":") + offset;
        has_offset = std::string(offset) != "null";
    }
    bool has_email = false;
    if (email_choice < emails.size()) {
        json += ",\"email\":\"" + emails[email_choice] + "\"";
        has_email = true;
    } else if (email_choice == emails.size()) {
        json += ",\"email\":null";
    }
    json += ",\"profile_image_url_https\":\"https://pbs.twimg.com/profile_images/1/p_normal.jpg\"}";
    return {json, has_email, has_offset};
}

}  // namespace

TEST_CASE("A form pre-filled from any valid Twitter profile passes except what Twitter did not supply") {
    std::mt19937 rng(20240601);  // fixed: the same profiles on every run and platform
    std::size_t checked = 0;
    std::size_t fully_valid = 0;
    for (int i = 0; i < 2000; ++i) {
        const auto user = generate_user(rng);
        CAPTURE(user.json);
        const auto profile = perch::map_profile(user.json);
        INFO((profile.ok() ? std::string() : profile.error().message));
        REQUIRE(profile.ok());

        std::vector<std::string> expected;
        if (!user.has_email) expected.push_back("email");
        if (!user.has_offset) expected.push_back("timezone");
        const auto form = prefill(profile.value());
        CHECK(failing_fields(form) == expected);
        ++checked;
        if (expected.empty()) ++fully_valid;
    }
    CHECK(checked == 2000);
    CHECK(fully_valid > 200);  // the generator really exercises the all-valid case
}
