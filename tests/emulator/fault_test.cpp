#include <catch2/catch.hpp>

#include "emulator/fault.h"

using namespace perch::emulator;

TEST_CASE("Fault modes parse from their exact command-line names") {
    CHECK(parse_fault_mode("none") == FaultMode::none);
    CHECK(parse_fault_mode("http500") == FaultMode::http500);
    CHECK(parse_fault_mode("http401") == FaultMode::http401);
    CHECK(parse_fault_mode("http429") == FaultMode::http429);
    CHECK(parse_fault_mode("garbage") == FaultMode::garbage);
    CHECK(parse_fault_mode("slow") == FaultMode::slow);
    CHECK(parse_fault_mode("drop") == FaultMode::drop);
}

TEST_CASE("Unknown or differently spelled fault modes are refused") {
    CHECK_FALSE(parse_fault_mode("HTTP500").has_value());
    CHECK_FALSE(parse_fault_mode("http 500").has_value());
    CHECK_FALSE(parse_fault_mode("").has_value());
    CHECK_FALSE(parse_fault_mode("timeout").has_value());
}

TEST_CASE("Fault endpoints parse and print with the same names") {
    for (const char* name : {"request_token", "access_token", "verify_credentials", "token", "users_me", "all"}) {
        auto endpoint = parse_fault_endpoint(name);
        REQUIRE(endpoint.has_value());
        CHECK(to_string(*endpoint) == name);
    }
    CHECK_FALSE(parse_fault_endpoint("authorize").has_value());
    CHECK(to_string(FaultMode::garbage) == "garbage");
}

TEST_CASE("A fault aimed at one endpoint leaves the others alone") {
    FaultPlan plan{FaultMode::http500, FaultEndpoint::access_token, std::chrono::milliseconds(10)};
    CHECK(plan.applies_to(FaultEndpoint::access_token));
    CHECK_FALSE(plan.applies_to(FaultEndpoint::request_token));
    CHECK_FALSE(plan.applies_to(FaultEndpoint::verify_credentials));
}

TEST_CASE("A fault on all endpoints applies to each provider call but never to unfaultable routes") {
    FaultPlan plan{FaultMode::drop, FaultEndpoint::all, std::chrono::milliseconds(10)};
    CHECK(plan.applies_to(FaultEndpoint::request_token));
    CHECK(plan.applies_to(FaultEndpoint::access_token));
    CHECK(plan.applies_to(FaultEndpoint::verify_credentials));
    CHECK(plan.applies_to(FaultEndpoint::token));
    CHECK(plan.applies_to(FaultEndpoint::users_me));
    CHECK_FALSE(plan.applies_to(FaultEndpoint::all));  // `all` marks the consent page and control routes
}

TEST_CASE("Mode none never applies") {
    FaultPlan plan;
    CHECK_FALSE(plan.applies_to(FaultEndpoint::request_token));
}

TEST_CASE("The fault switch hands out the plan last set") {
    FaultSwitch faults(FaultPlan{});
    CHECK(faults.get().mode == FaultMode::none);
    faults.set(FaultPlan{FaultMode::slow, FaultEndpoint::verify_credentials, std::chrono::milliseconds(250)});
    CHECK(faults.get().mode == FaultMode::slow);
    CHECK(faults.get().on == FaultEndpoint::verify_credentials);
    CHECK(faults.get().slow == std::chrono::milliseconds(250));
}

TEST_CASE("The accepted names are listed for error messages") {
    CHECK(fault_mode_names() == "none, http500, http401, http429, garbage, slow, drop");
    CHECK(fault_endpoint_names() == "request_token, access_token, verify_credentials, token, users_me, all");
}
