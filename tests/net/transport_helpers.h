// Calls through the real transport for the HTTP tests: short timeouts, and
// helpers that fail the test with the transport's message.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "net/http_client.h"
#include "net/http_types.h"

namespace perch::test {

inline TransportLimits fast_limits() {
    TransportLimits limits;
    limits.connect_timeout = std::chrono::milliseconds(1000);
    limits.read_timeout = std::chrono::milliseconds(2000);
    limits.max_response_bytes = 64 * 1024;
    return limits;
}

inline IncomingResponse must_answer(HttpTransport& transport, const OutgoingRequest& request) {
    auto result = transport.send(request);
    if (!result) FAIL("transport error: " << result.error().message);
    return result.value();
}

inline TransportError must_fail(HttpTransport& transport, const OutgoingRequest& request) {
    auto result = transport.send(request);
    REQUIRE(!result.ok());
    return result.error();
}

inline std::string header(const Headers& headers, const std::string& name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

}  // namespace perch::test
