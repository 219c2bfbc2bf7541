#include <catch2/catch.hpp>

#include <string>

#include "core/profile.h"

using perch::ErrorCode;
using perch::map_profile;
using perch::Profile;

namespace {

// GET /2/users/me?user.fields=id,name,username,profile_image_url,confirmed_email
const char* const v2_answer = R"({"data":{"id":"2244994945","name":"X  Dev Team","username":"XDevelopers",
  "profile_image_url":"https://pbs.twimg.com/profile_images/1/abc_normal.jpg",
  "confirmed_email":"dev@example.com"}})";

Profile mapped(const std::string& text) {
    auto result = map_profile(text);
    INFO(text);
    REQUIRE(result.ok());
    return result.value();
}

void check_error(const std::string& text, ErrorCode code, const std::string& message) {
    auto result = map_profile(text);
    INFO(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == code);
    CHECK(result.error().message == message);
}

}  // namespace

TEST_CASE("A v2 answer maps onto the profile: exact id, split name, original picture, confirmed email") {
    const Profile profile = mapped(v2_answer);
    CHECK(profile.user_id == "2244994945");
    CHECK(profile.username == "XDevelopers");
    CHECK(profile.full_name == "X  Dev Team");
    CHECK(profile.first_name == "X");
    CHECK(profile.last_name == "Dev Team");
    CHECK(profile.picture == "https://pbs.twimg.com/profile_images/1/abc.jpg");
    CHECK(profile.email == "dev@example.com");
    CHECK_FALSE(profile.timezone.has_value());
}

TEST_CASE("A v2 user object and its answer map to the same profile as the v1.1 object") {
    const Profile from_data = mapped(v2_answer);
    const Profile from_user = mapped(R"({"id":"2244994945","name":"X  Dev Team","username":"XDevelopers",
      "profile_image_url":"https://pbs.twimg.com/profile_images/1/abc_normal.jpg","confirmed_email":"dev@example.com"})");
    const Profile from_v1 = mapped(R"({"id_str":"2244994945","name":"X  Dev Team","screen_name":"XDevelopers",
      "profile_image_url_https":"https://pbs.twimg.com/profile_images/1/abc_normal.jpg","email":"dev@example.com"})");
    for (const Profile* other : {&from_user, &from_v1}) {
        CHECK(other->user_id == from_data.user_id);
        CHECK(other->username == from_data.username);
        CHECK(other->first_name == from_data.first_name);
        CHECK(other->last_name == from_data.last_name);
        CHECK(other->picture == from_data.picture);
        CHECK(other->email == from_data.email);
        CHECK(other->timezone == from_data.timezone);
    }
}

TEST_CASE("A 64-bit v2 id stays exact text, and no email means an empty one") {
    const Profile profile = mapped(R"({"data":{"id":"18446744073709551615","name":"A","username":"a"}})");
    CHECK(profile.user_id == "18446744073709551615");
    CHECK(profile.email.empty());
    CHECK(profile.picture.empty());
    CHECK(mapped(R"({"data":{"id":"1","username":"a"}})").full_name.empty());
}

TEST_CASE("v2 errors, a data that is not an object, a missing id or username, an id not digits are refused") {
    check_error(R"({"errors":[{"title":"Unauthorized","detail":"Unauthorized","type":"about:blank","status":401}]})",
                ErrorCode::provider_error, "X answered with an error: Unauthorized");
    check_error(R"({"errors":[]})", ErrorCode::provider_error, "X answered with an error");
    check_error(R"({"data":[1]})", ErrorCode::invalid_field, "the answer's data is not a user object");
    check_error(R"({"data":"x"})", ErrorCode::invalid_field, "the answer's data is not a user object");
    check_error(R"({"data":{"name":"A","username":"a"}})", ErrorCode::missing_field, "user object has no id");
    check_error(R"({"data":{"id":"1","name":"A"}})", ErrorCode::missing_field, "user object has no username");
    check_error(R"({"data":{"id":"1","username":""}})", ErrorCode::invalid_field, "user object has an empty username");
    for (const char* id : {"\"12a\"", "\"-1\"", "\"012\"", "\"\"", "\"18446744073709551616\""}) {
        CAPTURE(id);
        check_error(std::string(R"({"data":{"id":)") + id + R"(,"username":"a"}})", ErrorCode::invalid_field,
                    "user object has an id that is not a decimal user id");
    }
    check_error(R"({"data":{"id":12,"username":"a"}})", ErrorCode::invalid_field,
                "user object has a id that is not a string");
}
