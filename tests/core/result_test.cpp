#include <catch2/catch.hpp>

#include "core/result.h"

using perch::ErrorCode;
using perch::Result;

TEST_CASE("A result holds either a value or an error") {
    Result<int> good = 42;
    REQUIRE(good.ok());
    CHECK(good.value() == 42);

    Result<int> bad(ErrorCode::too_long, "query is longer than 8192 bytes");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::too_long);
    CHECK(bad.error().message == "query is longer than 8192 bytes");
}

TEST_CASE("Error codes have stable snake_case names for JSON bodies") {
    CHECK(perch::to_string(ErrorCode::invalid_encoding) == "invalid_encoding");
    CHECK(perch::to_string(ErrorCode::too_many) == "too_many");
    CHECK(perch::to_string(ErrorCode::invalid_json) == "invalid_json");
    CHECK(perch::to_string(ErrorCode::provider_error) == "provider_error");
}
