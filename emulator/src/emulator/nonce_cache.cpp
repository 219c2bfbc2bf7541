#include "emulator/nonce_cache.h"

namespace perch::emulator {

NonceCache::NonceCache(std::int64_t window_seconds, std::size_t capacity)
    : window_(window_seconds), capacity_(capacity == 0 ? 1 : capacity) {}

bool NonceCache::remember(std::string_view consumer_key, std::string_view nonce,
                          std::int64_t timestamp, std::int64_t now) {
    // Length-prefixed so ("ab","c") and ("a","bc") cannot collide.
    std::string key = std::to_string(consumer_key.size());
    key += ':';
    key.append(consumer_key);
    key.append(nonce);

    std::lock_guard<std::mutex> lock(mutex_);
    forget_expired(now);
    if (seen_.count(key) != 0) return false;
    while (seen_.size() >= capacity_) {
        auto oldest = by_timestamp_.begin();
        seen_.erase(oldest->second);
        by_timestamp_.erase(oldest);
    }
    seen_.emplace(key, timestamp);
    by_timestamp_.emplace(timestamp, std::move(key));
    return true;
}

std::size_t NonceCache::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.size();
}

void NonceCache::forget_expired(std::int64_t now) {
    // A request with timestamp < now - window fails the timestamp check before
    // its nonce is looked at, so its nonce need not be kept.
    while (!by_timestamp_.empty() && by_timestamp_.begin()->first < now - window_) {
        seen_.erase(by_timestamp_.begin()->second);
        by_timestamp_.erase(by_timestamp_.begin());
    }
}

}  // namespace perch::emulator
