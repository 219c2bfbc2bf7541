// perch_bench_memory: what the server-side state a sign-in can leave costs,
// measured in this process with glibc's heap counters (mallinfo2): the
// consumed-flow record (consumed_flows.h) and the rate limiter's address and
// prefix tables (rate_limiter.h), each filled to `count` entries. Prints one
// JSON object: bytes per entry and nanoseconds per operation.
//
//   perch_bench_memory [count]      (default 100000)
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "store/consumed_flows.h"
#include "app/rate_limiter.h"

namespace {

class StillClock final : public perch::Clock {
public:
    std::int64_t unix_seconds() const override { return 1700000000; }
    std::chrono::steady_clock::time_point monotonic() const override { return {}; }
};

std::size_t heap_bytes() { return mallinfo2().uordblks; }

template <typename Fill>
nlohmann::json measure(std::size_t count, Fill fill) {
    const std::size_t before = heap_bytes();
    const auto began = std::chrono::steady_clock::now();
    fill();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - began).count();
    const std::size_t after = heap_bytes();
    return {{"entries", count},
            {"heap_bytes", after - before},
            {"bytes_per_entry", static_cast<double>(after - before) / static_cast<double>(count)},
            {"ns_per_operation", ns / static_cast<double>(count)}};
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
    StillClock clock;
    nlohmann::json out;

    perch::InMemoryConsumedFlows consumed(count, clock);
    out["consumed_flows"] = measure(count, [&] {
        for (std::size_t i = 0; i < count; ++i) {
            perch::FlowKey key{};
            for (std::size_t b = 0; b < 8; ++b) key[b] = static_cast<unsigned char>((i * 0x9e3779b97f4a7c15ULL) >> (8 * b));
            consumed.consume(key, 1700000600);
        }
    });

    // One address in each of `count` /24s: an address bucket and a prefix bucket per take.
    perch::RateLimit limit;
    limit.max_clients = count;
    limit.max_prefixes = count;
    perch::RateLimiter limiter(limit, clock);
    out["rate_limiter_address_and_prefix"] = measure(count, [&] {
        for (std::size_t i = 0; i < count; ++i) {
            limiter.take(std::to_string(10 + (i >> 16)) + "." + std::to_string((i >> 8) & 255) + "." +
                         std::to_string(i & 255) + ".1");
        }
    });
    out["rate_limiter_address_and_prefix"]["address_buckets"] = limiter.tracked_clients();
    out["rate_limiter_address_and_prefix"]["prefix_buckets"] = limiter.tracked_prefixes();
    std::cout << out.dump() << std::endl;
    return 0;
}
