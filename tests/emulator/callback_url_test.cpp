#include <catch2/catch.hpp>

#include "emulator/callback_url.h"

using namespace perch::emulator;

TEST_CASE("oob and absolute http(s) callbacks are accepted when no allow-list is set") {
    CHECK(check_callback("oob", {}) == CallbackCheck::ok);
    CHECK(check_callback("http://127.0.0.1:8080/signup/callback", {}) == CallbackCheck::ok);
    CHECK(check_callback("https://example.org/cb?x=1", {}) == CallbackCheck::ok);
    CHECK(check_callback("HTTPS://Example.org/cb", {}) == CallbackCheck::ok);
}

TEST_CASE("Callbacks that are not absolute http(s) URLs are malformed") {
    CHECK(check_callback("", {}) == CallbackCheck::malformed);
    CHECK(check_callback("OOB", {}) == CallbackCheck::malformed);
    CHECK(check_callback("/signup/callback", {}) == CallbackCheck::malformed);
    CHECK(check_callback("javascript:alert(1)", {}) == CallbackCheck::malformed);
    CHECK(check_callback("ftp://example.org/", {}) == CallbackCheck::malformed);
    CHECK(check_callback("http://user@example.org/", {}) == CallbackCheck::malformed);
    CHECK(check_callback("http://example.org/cb#frag", {}) == CallbackCheck::malformed);
    CHECK(check_callback("http://exa mple.org/", {}) == CallbackCheck::malformed);
    CHECK(check_callback("http:///path", {}) == CallbackCheck::malformed);
    CHECK(check_callback("http://example.org/\r\nSet-Cookie: x", {}) == CallbackCheck::malformed);
    CHECK(check_callback(std::string(3000, 'a'), {}) == CallbackCheck::malformed);
}

TEST_CASE("With an allow-list only listed callbacks pass, whatever their query") {
    const std::vector<std::string> allowed = {"http://127.0.0.1:8080/signup/callback"};
    CHECK(check_callback("http://127.0.0.1:8080/signup/callback", allowed) == CallbackCheck::ok);
    CHECK(check_callback("http://127.0.0.1:8080/signup/callback?flow=2", allowed) == CallbackCheck::ok);
    CHECK(check_callback("http://127.0.0.1:8080/signup/callback2", allowed) == CallbackCheck::not_approved);
    CHECK(check_callback("http://127.0.0.1:9090/signup/callback", allowed) == CallbackCheck::not_approved);
    CHECK(check_callback("oob", allowed) == CallbackCheck::ok);
}

TEST_CASE("The callback origin is scheme and authority, lower-case scheme") {
    CHECK(callback_origin("http://127.0.0.1:8080/signup/callback?x=1") == "http://127.0.0.1:8080");
    CHECK(callback_origin("HTTPS://Example.org") == "https://Example.org");
    CHECK(callback_origin("oob").empty());
}

TEST_CASE("Redirect parameters are appended to the callback's own query") {
    CHECK(callback_redirect("http://h/cb", {{"oauth_token", "t"}, {"oauth_verifier", "v"}}) ==
          "http://h/cb?oauth_token=t&oauth_verifier=v");
    CHECK(callback_redirect("http://h/cb?flow=a", {{"denied", "t"}}) == "http://h/cb?flow=a&denied=t");
    CHECK(callback_redirect("http://h/cb?", {{"denied", "t"}}) == "http://h/cb?denied=t");
    CHECK(callback_redirect("http://h/cb?x=1&", {{"denied", "t/+"}}) == "http://h/cb?x=1&denied=t%2F%2B");
}
