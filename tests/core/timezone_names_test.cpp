#include <catch2/catch.hpp>

#include <string>

#include "core/timezone_names.h"

using perch::is_iana_timezone_name;
using perch::timezone_data::PackedNames;

namespace {

constexpr char three[] = "Africa/Accra\0" "Europe/Berlin\0" "UTC\0";
constexpr PackedNames three_names(three);
static_assert(three_names.well_formed() && three_names.count() == 3);
static_assert(three_names.contains("Europe/Berlin") && !three_names.contains("Europe"));

}  // namespace

TEST_CASE("Packed names find every member and nothing else") {
    for (const char* name : {"Africa/Accra", "Europe/Berlin", "UTC"}) {
        CAPTURE(name);
        CHECK(three_names.contains(name));
    }
    for (const char* name : {"", "A", "Africa", "Africa/Accra2", "Europe/Berlin\n", "UTD", "Z"}) {
        CAPTURE(name);
        CHECK_FALSE(three_names.contains(name));
    }
    CHECK_FALSE(three_names.contains(std::string("UTC\0", 4)));
}

TEST_CASE("Packed names that are unsorted, repeated, empty or unterminated are not well formed") {
    static constexpr char unsorted[] = "b\0" "a\0";
    static constexpr char repeated[] = "a\0" "a\0";
    static constexpr char empty_name[] = "a\0" "\0" "b\0";
    static constexpr char unterminated[] = "a\0" "b";
    static constexpr char nothing[] = "";
    CHECK_FALSE(PackedNames(unsorted).well_formed());
    CHECK_FALSE(PackedNames(repeated).well_formed());
    CHECK_FALSE(PackedNames(empty_name).well_formed());
    CHECK_FALSE(PackedNames(unterminated).well_formed());
    CHECK_FALSE(PackedNames(nothing).well_formed());
    CHECK(PackedNames("a\0" "b\0").well_formed());
    CHECK(PackedNames("a\0" "b\0").count() == 2);
}

TEST_CASE("Bisection finds every name of a longer list, at any position") {
    static constexpr char names[] = "a\0" "ab\0" "abc\0" "b\0" "ba\0" "c\0" "cc\0" "ccc\0" "d\0";
    constexpr PackedNames packed(names);
    static_assert(packed.well_formed() && packed.count() == 9);
    for (const char* name : {"a", "ab", "abc", "b", "ba", "c", "cc", "ccc", "d"}) {
        CAPTURE(name);
        CHECK(packed.contains(name));
    }
    for (const char* name : {"", "aa", "abcd", "bb", "bA", "cccc", "e", "0", "\x7f"}) {
        CAPTURE(name);
        CHECK_FALSE(packed.contains(name));
    }
}

TEST_CASE("The tz database's zones and links are known, with their exact case") {
    for (const char* name :
         {"Africa/Abidjan", "America/Argentina/Buenos_Aires", "America/Buenos_Aires",
          "Asia/Calcutta", "Asia/Kolkata", "Europe/Kyiv", "Europe/Kiev", "UTC", "Etc/UTC",
          "Etc/GMT+5", "Etc/GMT-14", "GMT", "US/Eastern", "Zulu", "Pacific/Kanton"}) {
        CAPTURE(name);
        CHECK(is_iana_timezone_name(name));
    }
    for (const char* name : {"utc", "Etc/GMT+13", "Factory", "Europe", "a/b/c/d/e/f/g",
                             "Asia/Calcutta/", "Europe/Berlin ", ""}) {
        CAPTURE(name);
        CHECK_FALSE(is_iana_timezone_name(name));
    }
}
