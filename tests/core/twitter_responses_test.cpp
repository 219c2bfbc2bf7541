#include <catch2/catch.hpp>

#include <string>

#include "core/twitter_responses.h"

using perch::ErrorCode;
using perch::operator_hint;
using perch::parse_access_token_response;
using perch::parse_request_token_response;
using perch::parse_twitter_errors;
using perch::TwitterError;

namespace {

std::string request_error(std::string_view body) {
    const auto result = parse_request_token_response(body);
    INFO(body);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::provider_error);
    return result.error().message;
}

std::string access_error(std::string_view body) {
    const auto result = parse_access_token_response(body);
    INFO(body);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::provider_error);
    return result.error().message;
}

const std::string access_body =
    "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&"
    "oauth_token_secret=2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU&user_id=6253282&screen_name=twitterapi";

}  // namespace

TEST_CASE("A request token response from Twitter's docs parses", "[twitter_responses]") {
    const auto result = parse_request_token_response(
        "oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&"
        "oauth_token_secret=veNRnAWe6inFuo8o2u8SLLZLjolYDmDP7SzL0YfYI&oauth_callback_confirmed=true");
    REQUIRE(result.ok());
    CHECK(result.value().token == "NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0");
    CHECK(result.value().secret == "veNRnAWe6inFuo8o2u8SLLZLjolYDmDP7SzL0YfYI");
}

TEST_CASE("A request token response in any order, with extra parameters, parses", "[twitter_responses]") {
    const auto result =
        parse_request_token_response("oauth_callback_confirmed=true&x=1&oauth_token_secret=s&oauth_token=t");
    REQUIRE(result.ok());
    CHECK(result.value().token == "t");
    CHECK(result.value().secret == "s");
}

TEST_CASE("A request token response must confirm the callback exactly", "[twitter_responses]") {
    const std::string expected =
        "request token response does not confirm the callback (oauth_callback_confirmed is not true)";
    CHECK(request_error("oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=false") == expected);
    CHECK(request_error("oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=TRUE") == expected);
    CHECK(request_error("oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=") == expected);
    CHECK(request_error("oauth_token=t&oauth_token_secret=s") ==
          "request token response has no oauth_callback_confirmed");
    CHECK(request_error("oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=true&"
                        "oauth_callback_confirmed=true") ==
          "request token response repeats oauth_callback_confirmed");
}

TEST_CASE("A request token response needs one non-empty token and secret of token characters", "[twitter_responses]") {
    const std::string ok = "&oauth_callback_confirmed=true";
    CHECK(request_error("oauth_token_secret=s" + ok) == "request token response has no oauth_token");
    CHECK(request_error("oauth_token=t" + ok) == "request token response has no oauth_token_secret");
    CHECK(request_error("oauth_token=&oauth_token_secret=s" + ok) == "request token response has an empty oauth_token");
    CHECK(request_error("oauth_token=t&oauth_token_secret=" + ok) ==
          "request token response has an empty oauth_token_secret");
    CHECK(request_error("oauth_token=t&oauth_token=u&oauth_token_secret=s" + ok) ==
          "request token response repeats oauth_token");
    CHECK(request_error("oauth_token=a+b&oauth_token_secret=s" + ok) ==
          "request token response has an unusable oauth_token");
    CHECK(request_error("oauth_token=t&oauth_token_secret=%3Cs%3E" + ok) ==
          "request token response has an unusable oauth_token_secret");
    CHECK(request_error("oauth_token=" + std::string(257, 't') + "&oauth_token_secret=s" + ok) ==
          "request token response has an unusable oauth_token");
    CHECK(parse_request_token_response("oauth_token=" + std::string(256, 't') + "&oauth_token_secret=s" + ok).ok());
}

TEST_CASE("A request token response that is not a form is a provider error", "[twitter_responses]") {
    CHECK(request_error("") == "request token response has no oauth_callback_confirmed");
    CHECK(request_error("oauth_token=%ZZ") ==
          "request token response is not a form: parameter value: malformed percent-escape at byte 0");
    CHECK(request_error(std::string(10000, 'x')) == "request token response is not a form: query is longer than 8192 bytes");
    CHECK(request_error("{\"errors\":[{\"code\":32,\"message\":\"Could not authenticate you.\"}]}") ==
          "request token response has no oauth_callback_confirmed");
}

TEST_CASE("Error messages never repeat token values", "[twitter_responses]") {
    const std::string message = request_error("oauth_token=SECRETVALUE&oauth_token_secret=OTHERSECRET&"
                                              "oauth_callback_confirmed=nope");
    CHECK(message.find("SECRETVALUE") == std::string::npos);
    CHECK(message.find("OTHERSECRET") == std::string::npos);
}

TEST_CASE("An access token response from Twitter's docs parses", "[twitter_responses]") {
    const auto result = parse_access_token_response(access_body);
    REQUIRE(result.ok());
    CHECK(result.value().token == "6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY");
    CHECK(result.value().secret == "2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU");
    CHECK(result.value().user_id == "6253282");
    CHECK(result.value().screen_name == "twitterapi");
}

TEST_CASE("An access token response keeps 64-bit user ids as exact text", "[twitter_responses]") {
    const auto result = parse_access_token_response(
        "oauth_token=t&oauth_token_secret=s&user_id=18446744073709551615&screen_name=a_B_9");
    REQUIRE(result.ok());
    CHECK(result.value().user_id == "18446744073709551615");
    CHECK(result.value().screen_name == "a_B_9");
}

TEST_CASE("An access token response needs a decimal user id", "[twitter_responses]") {
    const std::string base = "oauth_token=t&oauth_token_secret=s&screen_name=x&user_id=";
    const std::string expected = "access token response has a user_id that is not a decimal id";
    for (const char* id : {"", "-1", "12a", "1.5", "0", "007", "123456789012345678901", "%EF%BC%91"}) {
        INFO(id);
        CHECK(access_error(base + id) == expected);
    }
    CHECK(access_error("oauth_token=t&oauth_token_secret=s&screen_name=x") == "access token response has no user_id");
    CHECK(access_error(base + "1&user_id=1") == "access token response repeats user_id");
}

TEST_CASE("An access token response needs a plain screen name", "[twitter_responses]") {
    const std::string base = "oauth_token=t&oauth_token_secret=s&user_id=1&screen_name=";
    const std::string expected = "access token response has an unusable screen_name";
    for (std::string name : {std::string(), std::string("a b"), std::string("a-b"), std::string("%3Cb%3E"),
                             std::string("caf%C3%A9"), std::string(51, 'n')}) {
        INFO(name);
        CHECK(access_error(base + name) == expected);
    }
    CHECK(parse_access_token_response(base + std::string(50, 'n')).ok());
    CHECK(access_error("oauth_token=t&oauth_token_secret=s&user_id=1") == "access token response has no screen_name");
}

TEST_CASE("An access token response needs a token and secret", "[twitter_responses]") {
    CHECK(access_error("oauth_token_secret=s&user_id=1&screen_name=x") == "access token response has no oauth_token");
    CHECK(access_error("oauth_token=t&user_id=1&screen_name=x") == "access token response has no oauth_token_secret");
    CHECK(access_error("oauth_token=t%2F&oauth_token_secret=s&user_id=1&screen_name=x") ==
          "access token response has an unusable oauth_token");
    CHECK(access_error(access_body + "&oauth_token_secret=again") == "access token response repeats oauth_token_secret");
    CHECK(access_error("") == "access token response has no oauth_token");
}

TEST_CASE("Twitter's JSON error body yields each code and message", "[twitter_responses]") {
    const auto errors = parse_twitter_errors(
        "{\"errors\":[{\"code\":32,\"message\":\"Could not authenticate you.\"},"
        "{\"message\":\"Timestamp out of bounds.\",\"code\":135}]}");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].code == 32);
    CHECK(errors[0].message == "Could not authenticate you.");
    CHECK(errors[1].code == 135);
    CHECK(errors[1].message == "Timestamp out of bounds.");
}

TEST_CASE("A JSON error with a single error string yields code 0", "[twitter_responses]") {
    const auto errors = parse_twitter_errors("{\"error\":\"Not authorized.\",\"request\":\"/1.1/x.json\"}");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == 0);
    CHECK(errors[0].message == "Not authorized.");
}

TEST_CASE("JSON error entries with odd codes keep their message and get code 0", "[twitter_responses]") {
    const auto errors = parse_twitter_errors(
        "{\"errors\":[{\"code\":-5,\"message\":\"neg\"},{\"code\":3.5,\"message\":\"frac\"},"
        "{\"code\":\"32\",\"message\":\"text\"},{\"code\":99999999999,\"message\":\"big\"},"
        "{\"code\":2147483647},7,{\"message\":5}]}");
    REQUIRE(errors.size() == 5);
    CHECK(errors[0].code == 0);
    CHECK(errors[0].message == "neg");
    CHECK(errors[1].code == 0);
    CHECK(errors[2].code == 0);
    CHECK(errors[3].code == 0);
    CHECK(errors[3].message == "big");
    CHECK(errors[4].code == 2147483647);
    CHECK(errors[4].message == "");
}

TEST_CASE("At most ten JSON errors are kept", "[twitter_responses]") {
    std::string body = "{\"errors\":[";
    for (int i = 1; i <= 12; ++i) body += (i > 1 ? "," : "") + std::string("{\"code\":") + std::to_string(i) + "}";
    body += "]}";
    const auto errors = parse_twitter_errors(body);
    REQUIRE(errors.size() == 10);
    CHECK(errors[9].code == 10);
}

TEST_CASE("Twitter's XML error body yields the code attribute and text", "[twitter_responses]") {
    const auto errors = parse_twitter_errors(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error code=\"415\">Callback URL not approved "
        "for this client application. Approved callback URLs can be adjusted in your application "
        "settings</error>\n</errors>\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == 415);
    CHECK(errors[0].message ==
          "Callback URL not approved for this client application. Approved callback URLs can be adjusted "
          "in your application settings");
}

TEST_CASE("XML errors decode entities and allow several or no codes", "[twitter_responses]") {
    const auto errors = parse_twitter_errors(
        "<hash><errors><error code=\"417\">Desktop applications only support the oauth_callback value "
        "&apos;oob&apos; &amp; more</error><error>no code &lt;here&gt;</error>"
        "<error code=\"x\">bad code</error></errors></hash>");
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].code == 417);
    CHECK(errors[0].message == "Desktop applications only support the oauth_callback value 'oob' & more");
    CHECK(errors[1].code == 0);
    CHECK(errors[1].message == "no code <here>");
    CHECK(errors[2].code == 0);
}

TEST_CASE("XML without error elements falls back to plain text", "[twitter_responses]") {
    const auto errors = parse_twitter_errors("<html><body>Over capacity</body></html>");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == 0);
    CHECK(errors[0].message == "<html><body>Over capacity</body></html>");
    CHECK(parse_twitter_errors("<errors><error code=\"1\">unterminated").at(0).message ==
          "<errors><error code=\"1\">unterminated");
}

TEST_CASE("A plain text body becomes one printable, bounded message", "[twitter_responses]") {
    auto errors = parse_twitter_errors("Failed to validate oauth signature and token\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == 0);
    CHECK(errors[0].message == "Failed to validate oauth signature and token");

    errors = parse_twitter_errors("  line one\r\n\tline\x01two caf\xC3\xA9 \xFF end  ");
    CHECK(errors[0].message == "line one line?two caf? ? end");
}

TEST_CASE("Long messages are cut to 200 characters ending in an ellipsis", "[twitter_responses]") {
    CHECK(parse_twitter_errors(std::string(200, 'a')).at(0).message == std::string(200, 'a'));
    CHECK(parse_twitter_errors(std::string(201, 'a')).at(0).message == std::string(197, 'a') + "...");
    CHECK(parse_twitter_errors(std::string(1 << 20, 'b')).at(0).message == std::string(197, 'b') + "...");
    const auto json = parse_twitter_errors("{\"errors\":[{\"code\":1,\"message\":\"" + std::string(500, 'm') + "\"}]}");
    CHECK(json.at(0).message == std::string(197, 'm') + "...");
}

TEST_CASE("An empty body still yields one entry", "[twitter_responses]") {
    for (const char* body : {"", "   \r\n", "{}", "[]", "{\"errors\":[]}", "null"}) {
        const auto errors = parse_twitter_errors(body);
        INFO(body);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].code == 0);
    }
    CHECK(parse_twitter_errors("").at(0).message == "(empty response)");
    CHECK(parse_twitter_errors("{}").at(0).message == "{}");
    CHECK(parse_twitter_errors("{\"errors\":[]}").at(0).message == "{\"errors\":[]}");
}

TEST_CASE("Broken, deep or huge JSON never throws and falls back to text", "[twitter_responses]") {
    CHECK(parse_twitter_errors("{\"errors\":[{\"code\":32,").at(0).message == "{\"errors\":[{\"code\":32,");
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const auto errors = parse_twitter_errors(deep);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == std::string(197, '[') + "...");
    const std::string huge = "{\"errors\":[{\"code\":32,\"message\":\"" + std::string(70000, 'x') + "\"}]}";
    CHECK(parse_twitter_errors(huge).at(0).code == 0);
}

TEST_CASE("Operator hints cover the codes an operator can fix", "[twitter_responses]") {
    CHECK(operator_hint(32) ==
          "Twitter could not authenticate the request (bad signature or credentials): check the consumer key "
          "and secret, and that the server clock is correct.");
    CHECK(operator_hint(89) == "The token is invalid or expired: start the sign-in again.");
    CHECK(operator_hint(135) == "The request timestamp is out of bounds: sync the server clock (NTP).");
    CHECK(operator_hint(415) ==
          "The callback URL is not approved for this app: register PERCH_CALLBACK_URL as a callback URL in the "
          "Twitter developer portal.");
    CHECK(operator_hint(417) ==
          "Twitter treats this app as a desktop application, which only supports oauth_callback=oob: set a "
          "callback URL in the app settings.");
    CHECK(operator_hint(0).empty());
    CHECK(operator_hint(88).empty());
    CHECK(operator_hint(-1).empty());
}
