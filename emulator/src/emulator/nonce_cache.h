// Remembers OAuth nonces so a captured request cannot be replayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace perch::emulator {

// A nonce may be used once per consumer key for as long as any request carrying
// it could pass the timestamp check (timestamp within ±window of now). That is
// stricter than RFC 5849 §3.3 (unique per timestamp), which is the point.
class NonceCache {
public:
    // `capacity` bounds memory under load; when full, the nonces with the oldest
    // timestamps are forgotten first (they are the next to expire anyway).
    NonceCache(std::int64_t window_seconds, std::size_t capacity);

    // Records the nonce and returns true, or returns false if it was already
    // seen. `now` and `timestamp` are Unix seconds.
    bool remember(std::string_view consumer_key, std::string_view nonce, std::int64_t timestamp,
                  std::int64_t now);

    std::size_t size() const;

private:
    void forget_expired(std::int64_t now);

    const std::int64_t window_;
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> seen_;   // key -> timestamp
    std::multimap<std::int64_t, std::string> by_timestamp_;
};

}  // namespace perch::emulator
