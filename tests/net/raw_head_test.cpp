#include <catch2/catch.hpp>

#include "net/raw_head.h"

using namespace perch;

TEST_CASE("Raw headers keep percent-encoding exactly as sent") {
    auto headers = parse_raw_headers(
        "POST /oauth/request_token HTTP/1.1\r\n"
        "Host: 127.0.0.1:8081\r\n"
        "Authorization: OAuth oauth_callback=\"http%3A%2F%2Fx%2F\"\r\n"
        "\r\n");
    REQUIRE(headers.has_value());
    CHECK(headers->find("authorization")->second == "OAuth oauth_callback=\"http%3A%2F%2Fx%2F\"");
    CHECK(headers->find("host")->second == "127.0.0.1:8081");
}

TEST_CASE("Raw header names are lower-cased, values trimmed, repeats kept") {
    auto headers = parse_raw_headers("GET / HTTP/1.1\r\nX-Thing: \t a b \t\r\nx-thing:c\r\n\r\n");
    REQUIRE(headers.has_value());
    CHECK(headers->count("x-thing") == 2);
    auto range = headers->equal_range("x-thing");
    CHECK(range.first->second == "a b");
    CHECK(std::next(range.first)->second == "c");
}

TEST_CASE("Bare LF line endings are accepted") {
    auto headers = parse_raw_headers("GET / HTTP/1.1\nHost: a\n\n");
    REQUIRE(headers.has_value());
    CHECK(headers->find("host")->second == "a");
}

TEST_CASE("Folded lines, missing colons, bad names, control bytes and cut heads are refused") {
    CHECK_FALSE(parse_raw_headers("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n").has_value());
    CHECK_FALSE(parse_raw_headers("GET / HTTP/1.1\r\nNoColon\r\n\r\n").has_value());
    CHECK_FALSE(parse_raw_headers("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n").has_value());
    CHECK_FALSE(parse_raw_headers("GET / HTTP/1.1\r\n: x\r\n\r\n").has_value());
    CHECK_FALSE(parse_raw_headers(std::string("GET / HTTP/1.1\r\nA: x\x01y\r\n\r\n")).has_value());
    CHECK_FALSE(parse_raw_headers("GET / HTTP/1.1\r\nA: b\r\n").has_value());
}

TEST_CASE("Bytes after the empty line are not headers") {
    auto headers = parse_raw_headers("POST / HTTP/1.1\r\nA: b\r\n\r\nnot: a header");
    REQUIRE(headers.has_value());
    CHECK(headers->size() == 1);
}
