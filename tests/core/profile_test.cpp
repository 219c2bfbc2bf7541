#include <catch2/catch.hpp>

#include <string>

#include "core/profile.h"

using perch::ErrorCode;
using perch::map_profile;
using perch::original_size_image;
using perch::Profile;

namespace {

// The shape verify_credentials answers with (include_email=true), trimmed.
const char* const full_user = R"({
  "id": 2244994945,
  "id_str": "2244994945",
  "name": "Twitter Dev",
  "screen_name": "TwitterDev",
  "location": "127.0.0.1",
  "description": "The voice of the X Dev team",
  "url": "https://t.co/3ZX3TNiZCY",
  "entities": {"url": {"urls": [{"url": "https://t.co/3ZX3TNiZCY", "indices": [0, 23]}]}},
  "protected": false,
  "followers_count": 513958,
  "created_at": "Sat Dec 14 04:35:55 +0000 2013",
  "utc_offset": null,
  "time_zone": null,
  "verified": true,
  "status": {"id_str": "1", "text": "hello", "entities": {"hashtags": []}},
  "profile_image_url": "http://pbs.twimg.com/profile_images/880136122604507136/xHrnqf1T_normal.jpg",
  "profile_image_url_https": "https://pbs.twimg.com/profile_images/880136122604507136/xHrnqf1T_normal.jpg",
  "default_profile_image": false,
  "email": "dev@example.com"
})";

std::string user_with(const std::string& fields) {
    return "{\"id_str\":\"12\",\"screen_name\":\"ada\",\"name\":\"Ada Lovelace\"" +
           (fields.empty() ? std::string() : "," + fields) + "}";
}

Profile mapped(const std::string& json_text) {
    auto result = map_profile(json_text);
    INFO(json_text);
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    return result.value();
}

void check_error(const std::string& json_text, ErrorCode code, const std::string& message) {
    auto result = map_profile(json_text);
    INFO(json_text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == code);
    CHECK(result.error().message == message);
}

std::pair<std::string, std::string> split(std::string_view name) {
    std::string first = "stale";
    std::string last = "stale";
    perch::split_name(name, first, last);
    return {first, last};
}

}  // namespace

TEST_CASE("A full verify_credentials user maps onto the profile") {
    const Profile p = mapped(full_user);
    CHECK(p.user_id == "2244994945");
    CHECK(p.username == "TwitterDev");
    CHECK(p.full_name == "Twitter Dev");
    CHECK(p.first_name == "Twitter");
    CHECK(p.last_name == "Dev");
    CHECK_FALSE(p.timezone.has_value());
    CHECK(p.picture == "https://pbs.twimg.com/profile_images/880136122604507136/xHrnqf1T.jpg");
    CHECK(p.email == "dev@example.com");
}

TEST_CASE("The JSON text overload reports parse errors") {
    auto bad = map_profile("{\"id_str\":");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::invalid_json);
    CHECK(bad.error().message == "JSON is not valid (error at byte 11)");

    check_error("", ErrorCode::invalid_json, "JSON is empty");
    check_error("[1]", ErrorCode::invalid_json, "user object is not a JSON object");
    check_error("\"user\"", ErrorCode::invalid_json, "user object is not a JSON object");
    check_error(std::string(100000, '['), ErrorCode::invalid_json,
                "JSON is nested deeper than 32 levels");
    check_error(std::string(2 * 1024 * 1024, ' '), ErrorCode::too_long,
                "JSON is longer than 1048576 bytes");
}

TEST_CASE("The user id comes from id_str as canonical decimal digits") {
    CHECK(mapped(R"({"id_str":"0","screen_name":"a","name":"A"})").user_id == "0");
    CHECK(mapped(R"({"id_str":"18446744073709551615","screen_name":"a","name":"A"})").user_id ==
          "18446744073709551615");
    // id_str wins over a disagreeing id: it is the one that survives JavaScript.
    CHECK(mapped(R"({"id_str":"7","id":8,"screen_name":"a","name":"A"})").user_id == "7");

    const std::string not_decimal = "user object has an id_str that is not a decimal user id";
    for (const char* id : {"", "12a", "-1", "+1", " 1", "1 ", "1.0", "0123", "00",
                           "18446744073709551616", "99999999999999999999",
                           "123456789012345678901", "\xd9\xa1\xd9\xa2"}) {
        CAPTURE(id);
        check_error(std::string(R"({"id_str":")") + id + R"(","screen_name":"a","name":"A"})",
                    ErrorCode::invalid_field, not_decimal);
    }
    check_error(R"({"id_str":12,"screen_name":"a","name":"A"})", ErrorCode::invalid_field,
                "user object has an id_str that is not a string");
}

TEST_CASE("Without id_str the user id is the exact integer text of id") {
    CHECK(mapped(R"({"id":12,"screen_name":"a","name":"A"})").user_id == "12");
    CHECK(mapped(R"({"id_str":null,"id":0,"screen_name":"a","name":"A"})").user_id == "0");
    // Beyond 2^53 a double would round this; nlohmann keeps it as uint64.
    CHECK(mapped(R"({"id":1234567890123456789,"screen_name":"a","name":"A"})").user_id ==
          "1234567890123456789");
    CHECK(mapped(R"({"id":18446744073709551615,"screen_name":"a","name":"A"})").user_id ==
          "18446744073709551615");

    const std::string not_integer = "user object has an id that is not a non-negative integer";
    for (const char* id : {"18446744073709551616", "1.0", "1e3", "-1", "\"12\"", "true", "[1]",
                           "{}"}) {
        CAPTURE(id);
        check_error(std::string(R"({"id":)") + id + R"(,"screen_name":"a","name":"A"})",
                    ErrorCode::invalid_field, not_integer);
    }
}

TEST_CASE("A signed integer id built in code maps when not negative") {
    nlohmann::json user = {{"screen_name", "a"}, {"name", "A"}};
    user["id"] = static_cast<std::int64_t>(42);
    REQUIRE(user["id"].is_number_integer());
    auto result = map_profile(user);
    REQUIRE(result.ok());
    CHECK(result.value().user_id == "42");
}

TEST_CASE("Missing or mistyped required fields name the field") {
    check_error(R"({"screen_name":"a","name":"A"})", ErrorCode::missing_field,
                "user object has no id_str or id");
    check_error(R"({"id_str":null,"id":null,"screen_name":"a","name":"A"})",
                ErrorCode::missing_field, "user object has no id_str or id");
    check_error(R"({"id_str":"1","name":"A"})", ErrorCode::missing_field,
                "user object has no screen_name");
    check_error(R"({"id_str":"1","screen_name":null,"name":"A"})", ErrorCode::missing_field,
                "user object has no screen_name");
    check_error(R"({"id_str":"1","screen_name":5,"name":"A"})", ErrorCode::invalid_field,
                "user object has a screen_name that is not a string");
    check_error(R"({"id_str":"1","screen_name":"","name":"A"})", ErrorCode::invalid_field,
                "user object has an empty screen_name");
    check_error(R"({"id_str":"1","screen_name":"a"})", ErrorCode::missing_field,
                "user object has no name");
    check_error(R"({"id_str":"1","screen_name":"a","name":["A"]})", ErrorCode::invalid_field,
                "user object has a name that is not a string");
}

TEST_CASE("Names are trimmed and split at the first run of whitespace") {
    CHECK(split("Ada Lovelace") == std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("  Ada   King Lovelace ") ==
          std::make_pair(std::string("Ada"), std::string("King Lovelace")));
    CHECK(split("Ada") == std::make_pair(std::string("Ada"), std::string()));
    CHECK(split(" Ada\t") == std::make_pair(std::string("Ada"), std::string()));
    CHECK(split("") == std::make_pair(std::string(), std::string()));
    CHECK(split(" \t\n ") == std::make_pair(std::string(), std::string()));
    CHECK(split("Ada\nLovelace") == std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("a b  c   d") == std::make_pair(std::string("a"), std::string("b  c   d")));
}

TEST_CASE("Unicode whitespace trims and splits names too") {
    // U+00A0, U+2003, U+3000, U+202F, U+2028, U+1680, U+0085.
    CHECK(split("\xc2\xa0" "Ada\xc2\xa0Lovelace\xc2\xa0") ==
          std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("Ada\xe2\x80\x83\xe3\x80\x80King Lovelace\xe3\x80\x80") ==
          std::make_pair(std::string("Ada"), std::string("King Lovelace")));
    CHECK(split("Ada\xe2\x80\xafLovelace") ==
          std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("Ada\xe2\x80\xa8Lovelace") ==
          std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("Ada\xe1\x9a\x80Lovelace") ==
          std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("Ada\xc2\x85Lovelace") ==
          std::make_pair(std::string("Ada"), std::string("Lovelace")));
    CHECK(split("\xe3\x80\x80\xe2\x80\x8a") == std::make_pair(std::string(), std::string()));
    // U+200B ZERO WIDTH SPACE is not White_Space: it stays inside the word.
    CHECK(split("Ada\xe2\x80\x8bLovelace") ==
          std::make_pair(std::string("Ada\xe2\x80\x8bLovelace"), std::string()));
}

TEST_CASE("Names in any script survive byte for byte") {
    const std::string arabic_first = "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf";              // محمد
    const std::string arabic_last = "\xd8\xa7\xd9\x84\xd8\xb9\xd9\x84\xd9\x8a";         // العلي
    CHECK(split(arabic_first + " " + arabic_last) == std::make_pair(arabic_first, arabic_last));

    const std::string cjk = "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e";  // 山田太郎
    CHECK(split(cjk) == std::make_pair(cjk, std::string()));
    CHECK(split("\xe5\xb1\xb1\xe7\x94\xb0\xe3\x80\x80\xe5\xa4\xaa\xe9\x83\x8e") ==
          std::make_pair(std::string("\xe5\xb1\xb1\xe7\x94\xb0"),
                         std::string("\xe5\xa4\xaa\xe9\x83\x8e")));

    const std::string emoji = "\xf0\x9f\x90\xa6\xe2\x80\x8d\xf0\x9f\x94\xa5";  // bird ZWJ fire
    const std::string combining = "Zoe\xcc\x88";                                   // Zoë, decomposed
    CHECK(split(emoji + " " + combining) == std::make_pair(emoji, combining));

    const Profile p = mapped("{\"id_str\":\"1\",\"screen_name\":\"a\",\"name\":\" " + combining +
                             "\\u00a0" + arabic_last + " \"}");
    CHECK(p.full_name == " " + combining + "\xc2\xa0" + arabic_last + " ");
    CHECK(p.first_name == combining);
    CHECK(p.last_name == arabic_last);
}

TEST_CASE("Malformed UTF-8 given to split_name is kept, not dropped") {
    CHECK(split("\xff" "a \xc3") == std::make_pair(std::string("\xff" "a"), std::string("\xc3")));
    // A truncated U+00A0 is not a space.
    CHECK(split("a\xc2 b") == std::make_pair(std::string("a\xc2"), std::string("b")));
}

TEST_CASE("utc_offset seconds become hours, fractional where needed") {
    CHECK(mapped(user_with("\"utc_offset\":-16200")).timezone == -4.5);
    CHECK(mapped(user_with("\"utc_offset\":19800")).timezone == 5.5);
    CHECK(mapped(user_with("\"utc_offset\":20700")).timezone == 5.75);
    CHECK(mapped(user_with("\"utc_offset\":-36000")).timezone == -10.0);
    CHECK(mapped(user_with("\"utc_offset\":0")).timezone == 0.0);
    CHECK(mapped(user_with("\"utc_offset\":64800")).timezone == 18.0);
    CHECK(mapped(user_with("\"utc_offset\":-64800")).timezone == -18.0);
    CHECK(mapped(user_with("\"utc_offset\":45900")).timezone == 12.75);
}

TEST_CASE("A null, absent or unusable utc_offset is unknown rather than an error") {
    CHECK_FALSE(mapped(user_with("")).timezone.has_value());
    CHECK_FALSE(mapped(user_with("\"utc_offset\":null")).timezone.has_value());
    for (const char* offset : {"64801", "-64801", "3600.5", "3600.0", "\"3600\"", "true", "[]",
                               "18446744073709551615", "-9223372036854775808"}) {
        CAPTURE(offset);
        CHECK_FALSE(mapped(user_with(std::string("\"utc_offset\":") + offset)).timezone.has_value());
    }
}

TEST_CASE("The picture prefers the https URL and is the original size") {
    CHECK(mapped(user_with(R"("profile_image_url_https":"https://pbs.twimg.com/profile_images/1/a_normal.jpg","profile_image_url":"http://pbs.twimg.com/profile_images/1/b_normal.jpg")"))
              .picture == "https://pbs.twimg.com/profile_images/1/a.jpg");
    CHECK(mapped(user_with(R"("profile_image_url":"http://pbs.twimg.com/profile_images/1/b_bigger.png")"))
              .picture == "http://pbs.twimg.com/profile_images/1/b.png");
    CHECK(mapped(user_with(R"("profile_image_url_https":null,"profile_image_url":"http://x/c_mini.gif")"))
              .picture == "http://x/c.gif");
}

TEST_CASE("A picture that is not an http(s) URL is dropped") {
    CHECK(mapped(user_with("")).picture.empty());
    for (const char* url : {R"x("javascript:alert(1)")x", R"("data:image/png;base64,AAAA")",
                            R"("//pbs.twimg.com/a.jpg")", R"("ftp://x/a.jpg")", R"("https://")",
                            R"("https:///a.jpg")", R"("https://x/a b.jpg")",
                            R"("https://x/a\".jpg")", R"("https://x/<script>")", R"(42)",
                            R"({})"}) {
        CAPTURE(url);
        CHECK(mapped(user_with(std::string("\"profile_image_url_https\":") + url)).picture.empty());
    }
    CHECK(mapped(user_with("\"profile_image_url_https\":\"https://x/" + std::string(2100, 'a') +
                           ".jpg\""))
              .picture.empty());
    // An unusable https URL falls back to a usable plain one.
    CHECK(mapped(user_with(R"("profile_image_url_https":"javascript:x","profile_image_url":"http://x/a_normal.jpg")"))
              .picture == "http://x/a.jpg");
    // The scheme is matched without regard to case.
    CHECK(mapped(user_with(R"("profile_image_url_https":"HTTPS://x/a_normal.jpg")")).picture ==
          "HTTPS://x/a.jpg");
}

TEST_CASE("The size suffix is removed only from the end of the file name") {
    CHECK(original_size_image("https://pbs.twimg.com/profile_images/1/a_normal.jpg") ==
          "https://pbs.twimg.com/profile_images/1/a.jpg");
    CHECK(original_size_image("https://pbs.twimg.com/profile_images/1/a_bigger.jpeg") ==
          "https://pbs.twimg.com/profile_images/1/a.jpeg");
    CHECK(original_size_image("https://pbs.twimg.com/profile_images/1/a_mini.png") ==
          "https://pbs.twimg.com/profile_images/1/a.png");
    CHECK(original_size_image("https://pbs.twimg.com/profile_images/1/a_normal") ==
          "https://pbs.twimg.com/profile_images/1/a");
    CHECK(original_size_image("https://x/_normal_dir/b_bigger.png") == "https://x/_normal_dir/b.png");
    CHECK(original_size_image("https://x/a_normal/b.png") == "https://x/a_normal/b.png");
    CHECK(original_size_image("https://x/a_normal.jpg?size=1&x=_mini") ==
          "https://x/a.jpg?size=1&x=_mini");
    CHECK(original_size_image("https://x/a_normal.jpg#frag") == "https://x/a.jpg#frag");
    CHECK(original_size_image("https://x/a_normal?x=1") == "https://x/a?x=1");
}

TEST_CASE("Names that merely contain a size word are left alone") {
    CHECK(original_size_image("https://x/a_normalized.jpg") == "https://x/a_normalized.jpg");
    CHECK(original_size_image("https://x/a_normal_1.jpg") == "https://x/a_normal_1.jpg");
    CHECK(original_size_image("https://x/a-normal.jpg") == "https://x/a-normal.jpg");
    CHECK(original_size_image("https://x/a_NORMAL.jpg") == "https://x/a_NORMAL.jpg");
    CHECK(original_size_image("https://x/_normal.jpg") == "https://x/_normal.jpg");
    CHECK(original_size_image("https://x/a.jpg_normal.png") == "https://x/a.jpg.png");
    // Only one suffix is removed.
    CHECK(original_size_image("https://x/a_mini_normal.jpg") == "https://x/a_mini.jpg");
}

TEST_CASE("URLs without a file name are returned unchanged") {
    CHECK(original_size_image("") == "");
    CHECK(original_size_image("https://x_normal.jpg") == "https://x_normal.jpg");
    CHECK(original_size_image("https://host_normal") == "https://host_normal");
    CHECK(original_size_image("https://x/") == "https://x/");
    CHECK(original_size_image("https://x/dir_normal/") == "https://x/dir_normal/");
    CHECK(original_size_image("https://x?a_normal.jpg") == "https://x?a_normal.jpg");
    CHECK(original_size_image("https://x/?a_normal.jpg") == "https://x/?a_normal.jpg");
    // Without a scheme the whole text is a path.
    CHECK(original_size_image("a_normal.jpg") == "a.jpg");
    CHECK(original_size_image("/p/a_bigger.jpg") == "/p/a.jpg");
}

TEST_CASE("The email is kept when present and a string") {
    CHECK(mapped(user_with(R"("email":"ada@example.com")")).email == "ada@example.com");
    CHECK(mapped(user_with(R"("email":null)")).email.empty());
    CHECK(mapped(user_with(R"("email":7)")).email.empty());
    CHECK(mapped(user_with("")).email.empty());
}
