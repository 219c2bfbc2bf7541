// Pre-filling the form from a mapped Twitter profile, and the offsets it writes.
#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/profile.h"
#include "core/registration_form.h"
#include "registration_form_helpers.h"

using perch::format_utc_offset;
using perch::prefill;
using perch::Profile;
using perch::RegistrationForm;
using perch::validate_registration;
using perch::testing::error_for;
using perch::testing::failing_fields;

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

TEST_CASE("Prefill drops bidi controls and empties a name with nothing visible") {
    Profile profile;
    profile.username = "ada";
    profile.first_name = "\xe2\x80\xae" "Ada\xe2\x80\x8f";
    profile.last_name = "\xe2\x81\xa6King\xe2\x81\xa9 \xd8\x9cLovelace";
    auto form = prefill(profile);
    CHECK(form.first_name == "Ada");
    CHECK(form.last_name == "King Lovelace");
    CHECK(validate_registration(RegistrationForm{form.username, form.first_name, form.last_name,
                                                 "ada@example.com", "UTC"})
              .ok());

    // Twitter's "blank name" trick: a Hangul filler or a zero-width space.
    profile.first_name = "\xe3\x85\xa4";
    profile.last_name = "\xe2\x80\x8b\xe2\xa0\x80";
    form = prefill(profile);
    CHECK(form.first_name == "ada");
    CHECK(form.last_name == "");
    profile.first_name = "\xe2\x80\xae";  // nothing left once the control is gone
    CHECK(prefill(profile).first_name == "ada");

    // Invisible characters between visible letters are part of the name.
    profile.first_name = "\xd8\xb9\xd9\x84\xdb\x8c\xe2\x80\x8c\xd8\xa7\xda\xa9\xd8\xa8\xd8\xb1";
    CHECK(prefill(profile).first_name == profile.first_name);
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
        "\xe0\xa4\x85\xe0\xa4\xa8\xe0\xa5\x81", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0", "x",
        // Invisible-only words and bidi controls: Twitter allows both in a name.
        "\\u3164", "\xe2\x80\x8b\\u200b", "\\u202e" "Ada", "Ada\\u200f", "\\u2066x\\u2069",
        "\xd8\xb9\xd9\x84\xdb\x8c\\u200c\xd8\xa7\xda\xa9\xd8\xa8\xd8\xb1"};
    static const std::vector<std::string> spaces = {" ", "  ", "\\t", "\\u00a0", "\xe3\x80\x80",
                                                    "\xe2\x80\x83", " \\u00a0 "};
    std::string name;
    switch (pick(7)) {
        case 0: name = ""; break;
        case 1: name = spaces[pick(spaces.size())]; break;  // whitespace only
        case 2: name = "\\u3164\\u200b\\u2800"; break;        // only invisible characters
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
        "\xe7\x94\xa8\xe6\x88\xb7@xn--fsqu00a.xn--4rr70v", "x_y-z@sub.domain.io"};
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
