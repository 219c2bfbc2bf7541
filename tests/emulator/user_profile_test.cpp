#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "emulator/user_profile.h"

using namespace perch::emulator;
using nlohmann::json;

TEST_CASE("The default user has a 64-bit id that matches id_str exactly") {
    const json user = default_user();
    CHECK(user.at("id_str") == "1452019283001737216");
    CHECK(user.at("id").get<std::uint64_t>() == 1452019283001737216ULL);
    CHECK(user.dump().find("\"id\":1452019283001737216,") != std::string::npos);
    CHECK(validate_user(user).ok());
}

TEST_CASE("The default user exercises profile mapping") {
    const json user = default_user();
    CHECK(user.at("name") == "Zo\u00eb \u00c5ngstr\u00f6m-\u00d1\u00fa\u00f1ez");
    const std::string image = user.at("profile_image_url_https");
    CHECK(image.rfind("https://", 0) == 0);
    CHECK(image.size() > 11);
    CHECK(image.substr(image.size() - 11) == "_normal.jpg");
    CHECK(user.at("utc_offset").is_null());
    CHECK(user.at("email") == "zoe.angstrom@example.org");
    CHECK(user.at("screen_name") == "zoe_perch");
}

TEST_CASE("verify_credentials includes the email only with include_email") {
    const json user = default_user();
    CHECK(json::parse(render_verify_credentials(user, {})).count("email") == 0);
    VerifyCredentialsOptions options;
    options.include_email = true;
    CHECK(json::parse(render_verify_credentials(user, options)).at("email") == "zoe.angstrom@example.org");
}

TEST_CASE("verify_credentials drops status with skip_status and entities without include_entities") {
    const json user = default_user();
    const json full = json::parse(render_verify_credentials(user, {}));
    CHECK(full.count("status") == 1);
    CHECK(full.count("entities") == 1);
    CHECK(full.at("status").count("entities") == 1);

    VerifyCredentialsOptions no_entities;
    no_entities.include_entities = false;
    const json lean = json::parse(render_verify_credentials(user, no_entities));
    CHECK(lean.count("entities") == 0);
    CHECK(lean.at("status").count("entities") == 0);

    VerifyCredentialsOptions skip;
    skip.skip_status = true;
    CHECK(json::parse(render_verify_credentials(user, skip)).count("status") == 0);
}

TEST_CASE("Twitter's boolean parameters accept true, t and 1 in any case") {
    for (const char* yes : {"true", "True", "TRUE", "t", "T", "1"}) CHECK(twitter_true(yes));
    for (const char* no : {"false", "False", "0", "", "yes", "truee", "2"}) CHECK_FALSE(twitter_true(no));
}

TEST_CASE("A user without id_str, or with an id that disagrees, is refused with the field named") {
    CHECK(validate_user(json::array()).error().message == "the user must be a JSON object");
    CHECK(validate_user(json{{"id", 1}, {"screen_name", "a"}, {"name", "A"}}).error().message ==
          "id_str (a string of decimal digits) is required");
    CHECK(validate_user(json{{"id_str", "12"}, {"id", 13}, {"screen_name", "a"}, {"name", "A"}}).error().message ==
          "id must be an integer equal to id_str");
    CHECK(validate_user(json{{"id_str", "12"}, {"id", 12.0}, {"screen_name", "a"}, {"name", "A"}}).error().message ==
          "id must be an integer equal to id_str");
    CHECK(validate_user(json{{"id_str", "1x"}, {"screen_name", "a"}, {"name", "A"}}).error().message ==
          "id_str must be decimal digits only");
    CHECK(validate_user(json{{"id_str", "012"}, {"screen_name", "a"}, {"name", "A"}}).error().message ==
          "id_str must not have leading zeros");
    CHECK(validate_user(json{{"id_str", "18446744073709551616"}, {"screen_name", "a"}, {"name", "A"}})
              .error()
              .message == "id_str does not fit in 64 bits");
    CHECK(validate_user(json{{"id_str", "12"}, {"name", "A"}}).error().message ==
          "screen_name (a non-empty string) is required");
    CHECK(validate_user(json{{"id_str", "12"}, {"screen_name", "a"}, {"name", ""}}).error().message ==
          "name (a non-empty string) is required");
    CHECK(validate_user(json{{"id_str", "12"}, {"screen_name", "a"}, {"name", "A"}, {"email", 5}}).error().message ==
          "email must be a string or null");
}

TEST_CASE("A user without id gets it from id_str, above 2^63 too") {
    auto user = validate_user(json{{"id_str", "18446744073709551615"}, {"screen_name", "a"}, {"name", "A"}});
    REQUIRE(user.ok());
    CHECK(user.value().dump().find("\"id\":18446744073709551615") != std::string::npos);
}

TEST_CASE("A user file is read, validated and reported in one line") {
    const std::string path = "perch_emulator_user_test.json";
    {
        std::ofstream file(path);
        file << R"({"id_str":"42","screen_name":"ann","name":"Ann Lee"})";
    }
    auto user = load_user_file(path);
    REQUIRE(user.ok());
    CHECK(user.value().at("id") == 42);

    {
        std::ofstream file(path);
        file << R"({"id_str":"42","screen_name":"ann"})";
    }
    CHECK(load_user_file(path).error().message == path + ": name (a non-empty string) is required");

    {
        std::ofstream file(path);
        file << "{not json";
    }
    CHECK(load_user_file(path).error().message.rfind(path + ": ", 0) == 0);
    std::remove(path.c_str());
    CHECK(load_user_file(path).error().message == "cannot open " + path);
}
