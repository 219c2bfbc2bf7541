#include <catch2/catch.hpp>

#include <string>

#include "core/api_types.h"

using perch::ErrorCode;
using namespace perch::api;

namespace {

const std::string full_form =
    R"({"username":"ada","first_name":"Ada","last_name":"King Lovelace",)"
    R"("email":"ada@example.com","timezone":"Europe/London"})";

template <typename T>
void check_error(const perch::Result<T>& result, ErrorCode code, const std::string& message) {
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == code);
    CHECK(result.error().message == message);
}

User sample_user() {
    User user;
    user.twitter_id = "18446744073709551615";
    user.username = "ada";
    user.first_name = "Ada";
    user.last_name = "\xe5\xb1\xb1\xe7\x94\xb0";
    user.email = "ada@example.com";
    user.timezone = "UTC-04:30";
    user.picture = "https://pbs.twimg.com/profile_images/1/a.jpg";
    user.created_at = "2026-01-02T03:04:05Z";
    user.last_sign_in_at = "2026-01-03T03:04:05Z";
    return user;
}

}  // namespace

TEST_CASE("A start response is written and read back as the same shape") {
    const StartResponse start{"https://api.twitter.com/oauth/authenticate?oauth_token=abc", "abc"};
    const auto json = to_json(start);
    CHECK(json.dump() ==
          R"({"authorize_url":"https://api.twitter.com/oauth/authenticate?oauth_token=abc","oauth_token":"abc"})");
    auto parsed = parse_start_response(json.dump());
    REQUIRE(parsed.ok());
    CHECK(parsed.value().authorize_url == start.authorize_url);
    CHECK(parsed.value().oauth_token == "abc");
}

TEST_CASE("A start response must carry both strings") {
    check_error(parse_start_response(R"({"oauth_token":"abc"})"), ErrorCode::missing_field,
                "missing field \"authorize_url\"");
    check_error(parse_start_response(R"({"authorize_url":"https://x/","oauth_token":null})"),
                ErrorCode::missing_field, "missing field \"oauth_token\"");
    check_error(parse_start_response(R"({"authorize_url":"https://x/","oauth_token":1})"),
                ErrorCode::invalid_field, "field \"oauth_token\" must be a string");
    check_error(parse_start_response("[]"), ErrorCode::invalid_json,
                "response body is not a JSON object");
    check_error(parse_start_response("{"), ErrorCode::invalid_json,
                "JSON is not valid (error at byte 2)");
    // A newer proxy may add fields; the page ignores them.
    auto extra = parse_start_response(R"({"authorize_url":"u","oauth_token":"t","later":1})");
    REQUIRE(extra.ok());
    CHECK(extra.value().authorize_url == "u");
}

TEST_CASE("An error body has code and message, and fields only when there are some") {
    CHECK(to_json(ErrorBody{"token_mismatch", "The sign-in did not match.", {}}).dump() ==
          R"({"error":{"code":"token_mismatch","message":"The sign-in did not match."}})");
    const ErrorBody invalid{"invalid",
                            "Check the highlighted fields.",
                            {{"email", "Enter an email address."},
                             {"username", "Enter a username."}}};
    CHECK(to_json(invalid).dump() ==
          R"({"error":{"code":"invalid","fields":{"email":"Enter an email address.","username":"Enter a username."},"message":"Check the highlighted fields."}})");

    auto parsed = parse_error_body(to_json(invalid).dump());
    REQUIRE(parsed.ok());
    CHECK(parsed.value().code == "invalid");
    CHECK(parsed.value().message == "Check the highlighted fields.");
    CHECK(parsed.value().fields == invalid.fields);

    auto plain = parse_error_body(R"({"error":{"code":"x","message":"y","fields":null}})");
    REQUIRE(plain.ok());
    CHECK(plain.value().fields.empty());
}

TEST_CASE("A malformed error body says which part is wrong") {
    check_error(parse_error_body("{}"), ErrorCode::missing_field, "missing field \"error\"");
    check_error(parse_error_body(R"({"error":"boom"})"), ErrorCode::invalid_field,
                "field \"error\" must be an object");
    check_error(parse_error_body(R"({"error":{"message":"m"}})"), ErrorCode::missing_field,
                "missing field \"error.code\"");
    check_error(parse_error_body(R"({"error":{"code":"c","message":false}})"),
                ErrorCode::invalid_field, "field \"error.message\" must be a string");
    check_error(parse_error_body(R"({"error":{"code":"c","message":"m","fields":[]}})"),
                ErrorCode::invalid_field, "field \"error.fields\" must be an object");
    check_error(parse_error_body(R"({"error":{"code":"c","message":"m","fields":{"email":7}}})"),
                ErrorCode::invalid_field, "field \"error.fields.email\" must be a string");
    check_error(parse_error_body("Bad Gateway"), ErrorCode::invalid_json,
                "JSON is not valid (error at byte 1)");
}

TEST_CASE("A user is written with exactly its nine fields and never a token") {
    const auto json = to_json(sample_user());
    CHECK(json.dump() ==
          "{\"created_at\":\"2026-01-02T03:04:05Z\",\"email\":\"ada@example.com\","
          "\"first_name\":\"Ada\",\"last_name\":\"\xe5\xb1\xb1\xe7\x94\xb0\","
          "\"last_sign_in_at\":\"2026-01-03T03:04:05Z\","
          "\"picture\":\"https://pbs.twimg.com/profile_images/1/a.jpg\","
          "\"timezone\":\"UTC-04:30\",\"twitter_id\":\"18446744073709551615\","
          "\"username\":\"ada\"}");
    CHECK(json.size() == 9);
    for (const auto& item : json.items()) {
        CAPTURE(item.key());
        CHECK(item.key().find("token") == std::string::npos);
        CHECK(item.key().find("secret") == std::string::npos);
    }
}

TEST_CASE("A user reads back from its JSON unchanged") {
    const User user = sample_user();
    auto parsed = parse_user(to_json(user));
    REQUIRE(parsed.ok());
    const User& back = parsed.value();
    CHECK(back.twitter_id == user.twitter_id);
    CHECK(back.username == user.username);
    CHECK(back.first_name == user.first_name);
    CHECK(back.last_name == user.last_name);
    CHECK(back.email == user.email);
    CHECK(back.timezone == user.timezone);
    CHECK(back.picture == user.picture);
    CHECK(back.created_at == user.created_at);
    CHECK(back.last_sign_in_at == user.last_sign_in_at);
}

TEST_CASE("A user missing a field or with a non-string field is refused") {
    auto json = to_json(sample_user());
    json.erase("picture");
    check_error(parse_user(json), ErrorCode::missing_field, "missing field \"picture\"");
    json = to_json(sample_user());
    json["twitter_id"] = 18446744073709551615ULL;  // ids are text, never numbers
    check_error(parse_user(json), ErrorCode::invalid_field,
                "field \"twitter_id\" must be a string");
    check_error(parse_user(nlohmann::json::array()), ErrorCode::invalid_json,
                "user is not a JSON object");
}

TEST_CASE("A registration form is written with its five fields") {
    const perch::RegistrationForm form{"ada", "Ada", "", "ada@example.com", "UTC+05:45"};
    CHECK(to_json(form).dump() ==
          R"({"email":"ada@example.com","first_name":"Ada","last_name":"","timezone":"UTC+05:45","username":"ada"})");
    auto parsed = parse_registration_request(to_json(form).dump());
    REQUIRE(parsed.ok());
    CHECK(parsed.value().username == "ada");
    CHECK(parsed.value().first_name == "Ada");
    CHECK(parsed.value().last_name == "");
    CHECK(parsed.value().email == "ada@example.com");
    CHECK(parsed.value().timezone == "UTC+05:45");
}

TEST_CASE("A registration request needs all five fields as strings") {
    auto parsed = parse_registration_request(full_form);
    REQUIRE(parsed.ok());
    CHECK(parsed.value().last_name == "King Lovelace");

    check_error(
        parse_registration_request(R"({"username":"ada","first_name":"Ada","email":"a@b.co","timezone":"UTC"})"),
        ErrorCode::missing_field, "missing field \"last_name\"");
    check_error(
        parse_registration_request(R"({"username":"ada","first_name":"Ada","last_name":null,"email":"a@b.co","timezone":"UTC"})"),
        ErrorCode::missing_field, "missing field \"last_name\"");
    check_error(
        parse_registration_request(R"({"username":["ada"],"first_name":"Ada","last_name":"","email":"a@b.co","timezone":"UTC"})"),
        ErrorCode::invalid_field, "field \"username\" must be a string");
    check_error(
        parse_registration_request(R"({"username":"ada","first_name":"Ada","last_name":"","email":"a@b.co","timezone":-4.5})"),
        ErrorCode::invalid_field, "field \"timezone\" must be a string");
    // The first problem in form order is the one reported.
    check_error(parse_registration_request("{}"), ErrorCode::missing_field,
                "missing field \"username\"");
}

TEST_CASE("Unknown request fields are refused by name") {
    check_error(parse_registration_request(
                    R"({"username":"ada","first_name":"Ada","last_name":"","email":"a@b.co","timezone":"UTC","is_admin":true})"),
                ErrorCode::invalid_field, "unknown field \"is_admin\"");
    check_error(parse_exchange_request(R"({"callback_query":"?a=1","oauth_token_secret":"s"})"),
                ErrorCode::invalid_field, "unknown field \"oauth_token_secret\"");
    // Hostile names are echoed only as short printable ASCII.
    check_error(parse_exchange_request("{\"a\\\"b\\n\xe5\xb1\xb1\":1}"), ErrorCode::invalid_field,
                "unknown field \"a?b????\"");
    check_error(parse_exchange_request("{\"" + std::string(1000, 'x') + "\":1}"),
                ErrorCode::invalid_field,
                "unknown field \"" + std::string(40, 'x') + "...\"");
}

TEST_CASE("An exchange request carries the callback query") {
    auto parsed = parse_exchange_request(
        R"({"callback_query":"?oauth_token=abc&oauth_verifier=xyz"})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().callback_query == "?oauth_token=abc&oauth_verifier=xyz");
    // Empty is a string: whether it is a usable callback is for verify_callback to say.
    CHECK(parse_exchange_request(R"({"callback_query":""})").ok());

    check_error(parse_exchange_request("{}"), ErrorCode::missing_field,
                "missing field \"callback_query\"");
    check_error(parse_exchange_request(R"({"callback_query":{"oauth_token":"abc"}})"),
                ErrorCode::invalid_field, "field \"callback_query\" must be a string");
}

TEST_CASE("Request bodies must be one JSON object within the size limit") {
    check_error(parse_exchange_request(""), ErrorCode::invalid_json, "JSON is empty");
    check_error(parse_exchange_request("[]"), ErrorCode::invalid_json,
                "request body is not a JSON object");
    check_error(parse_exchange_request("\"?a=1\""), ErrorCode::invalid_json,
                "request body is not a JSON object");
    check_error(parse_exchange_request("callback_query=x"), ErrorCode::invalid_json,
                "JSON is not valid (error at byte 1)");
    check_error(parse_exchange_request(R"({"callback_query":"a","callback_query":"b"})"),
                ErrorCode::invalid_json, "JSON has a duplicate object key");
    check_error(parse_exchange_request("{\"callback_query\":\"\xff\"}"), ErrorCode::invalid_json,
                "JSON is not valid (error at byte 20)");
    check_error(parse_exchange_request(std::string(100000, '[')), ErrorCode::too_long,
                "request body is longer than 16384 bytes");
    check_error(parse_exchange_request(std::string(1000, '[')), ErrorCode::invalid_json,
                "JSON is nested deeper than 4 levels");

    // Exactly at the limit is fine; one byte more is not.
    const std::string prefix = R"({"callback_query":")";
    std::string at_limit = prefix + std::string(max_request_body - prefix.size() - 2, 'q') + "\"}";
    REQUIRE(at_limit.size() == max_request_body);
    auto parsed = parse_exchange_request(at_limit);
    REQUIRE(parsed.ok());
    CHECK(parsed.value().callback_query.size() == max_request_body - prefix.size() - 2);
    check_error(parse_exchange_request(at_limit + " "), ErrorCode::too_long,
                "request body is longer than 16384 bytes");
}

TEST_CASE("Unicode field values pass through requests byte for byte") {
    const std::string arabic = "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf";
    auto parsed = parse_registration_request(
        R"({"username":"ada","first_name":")" + arabic +
        R"(","last_name":"\u5c71\u7530","email":"a@b.co","timezone":"UTC"})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().first_name == arabic);
    CHECK(parsed.value().last_name == "\xe5\xb1\xb1\xe7\x94\xb0");
}
