// Time is passed in, never read from a global, so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>

namespace perch {

class Clock {
public:
    virtual ~Clock() = default;
    // Wall-clock seconds since the Unix epoch (OAuth timestamps, created_at).
    virtual std::int64_t unix_seconds() const = 0;
    // Monotonic time for expiry and durations.
    virtual std::chrono::steady_clock::time_point monotonic() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t unix_seconds() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::now();
    }
};

}  // namespace perch
