#include "app/rate_limiter.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <utility>

#include <arpa/inet.h>

namespace perch {
namespace {

using Key = std::array<unsigned char, 16>;

// Key kinds, in the first byte, so no two kinds of key ever meet.
constexpr unsigned char ipv4_address = 4, ipv4_prefix = 24, ipv6_address = 64, ipv6_prefix = 48,
                        other_text = 0xfe, other_prefix = 0xff;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

Key tagged(unsigned char tag, const unsigned char* bytes, std::size_t size) {
    Key key{};
    key[0] = tag;
    std::memcpy(key.data() + 1, bytes, std::min(size, key.size() - 1));
    return key;
}

// The bucket keys of a client key: its address (an IPv6 client by its /64)
// and its prefix (IPv4 /24, IPv6 /48).
std::pair<Key, Key> keys_of(std::string_view client_key) {
    std::string text(client_key);
    const bool slash64 = text.size() > 3 && text.compare(text.size() - 3, 3, "/64") == 0;
    if (slash64) text.resize(text.size() - 3);
    unsigned char bytes[16];
    if (!slash64 && inet_pton(AF_INET, text.c_str(), bytes) == 1) {
        return {tagged(ipv4_address, bytes, 4), tagged(ipv4_prefix, bytes, 3)};
    }
    if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
        return {tagged(ipv6_address, bytes, 8), tagged(ipv6_prefix, bytes, 6)};
    }
    // Not an address: its own bucket (its bytes, or a hash of longer text),
    // and one prefix for all such keys.
    Key own{};
    own[0] = other_text;
    if (client_key.size() < own.size()) {
        std::memcpy(own.data() + 1, client_key.data(), client_key.size());
    } else {
        const std::uint64_t hash = std::hash<std::string_view>{}(client_key);
        std::memcpy(own.data() + 1, &hash, sizeof hash);
        own[own.size() - 1] = 0xff;  // no text shorter than 15 bytes ends so after a hash
    }
    return {own, Key{other_prefix}};
}

std::uint64_t random_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

std::size_t RateLimiter::Buckets::Hash::operator()(const Key& key) const noexcept {
    std::uint64_t low = 0, high = 0;
    std::memcpy(&low, key.data(), 8);
    std::memcpy(&high, key.data() + 8, 8);
    return static_cast<std::size_t>(mix(low ^ seed) ^ mix(high + seed));
}

RateLimiter::Buckets::Buckets(Duration interval, std::size_t burst, std::size_t capacity, std::uint64_t seed)
    : interval_(interval),
      // Both bounds keep (burst - 1) * interval far inside a 64-bit nanosecond count.
      tolerance_(interval * static_cast<Duration::rep>(std::clamp<std::size_t>(burst, 1, 1000000000) - 1)),
      capacity_(std::max<std::size_t>(capacity, 1)),
      buckets_(16, Hash{seed}) {}

RateLimiter::TimePoint* RateLimiter::Buckets::find_or_add(const Key& key, TimePoint now) {
    auto it = buckets_.find(key);
    if (it != buckets_.end()) return &it->second;
    if (buckets_.size() >= capacity_) return nullptr;
    return &buckets_.emplace(key, now).first->second;
}

RateLimiter::Duration RateLimiter::Buckets::wait(TimePoint tat, TimePoint now) const {
    return std::max(tat, now) - now - tolerance_;
}

void RateLimiter::Buckets::charge(TimePoint& tat, TimePoint now) const { tat = std::max(tat, now) + interval_; }

// A bucket whose tat has passed is full: forgetting it changes no decision.
void RateLimiter::Buckets::forget_refilled(TimePoint now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        if (it->second <= now) it = buckets_.erase(it);
        else ++it;
    }
}

namespace {

std::chrono::steady_clock::duration interval_of(double per_minute) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(60.0 / std::max(per_minute, 1.0 / 60.0)));
}

}  // namespace

RateLimiter::RateLimiter(const RateLimit& limit, const Clock& clock)
    : max_key_bytes_(std::max<std::size_t>(limit.max_key_bytes, 1)),
      clock_(clock),
      addresses_(interval_of(limit.per_minute), std::clamp<std::size_t>(limit.burst, 1, 1000000), limit.max_clients,
                 random_seed()),
      prefixes_(interval_of(limit.per_minute) / static_cast<Duration::rep>(std::clamp<std::size_t>(limit.prefix_factor, 1, 1000)),
                std::clamp<std::size_t>(limit.burst, 1, 1000000) * std::clamp<std::size_t>(limit.prefix_factor, 1, 1000),
                limit.max_prefixes, random_seed()),
      last_sweep_(clock.monotonic()) {}

void RateLimiter::sweep_if_due(TimePoint now, bool full) {
    const Duration since = now - last_sweep_;
    if (since < (full ? std::chrono::seconds(1) : std::chrono::seconds(10))) return;
    addresses_.forget_refilled(now);
    prefixes_.forget_refilled(now);
    last_sweep_ = now;
}

RateDecision RateLimiter::take(std::string_view client_key) {
    const auto [address_key, prefix_key] = keys_of(client_key.substr(0, max_key_bytes_));
    const TimePoint now = clock_.monotonic();
    std::lock_guard<std::mutex> lock(mutex_);
    sweep_if_due(now, false);

    TimePoint* address = addresses_.find_or_add(address_key, now);
    TimePoint* prefix = prefixes_.find_or_add(prefix_key, now);
    if (address == nullptr || prefix == nullptr) {
        sweep_if_due(now, true);  // pointers are looked up again: a sweep may move nothing we keep
        address = addresses_.find_or_add(address_key, now);
        prefix = prefixes_.find_or_add(prefix_key, now);
    }
    Duration wait = address == nullptr && prefix == nullptr ? std::chrono::seconds(1) : Duration::min();
    if (address != nullptr) wait = std::max(wait, addresses_.wait(*address, now));
    if (prefix != nullptr) wait = std::max(wait, prefixes_.wait(*prefix, now));
    if (wait <= Duration::zero()) {
        if (address != nullptr) addresses_.charge(*address, now);
        if (prefix != nullptr) prefixes_.charge(*prefix, now);
        return RateDecision{true, std::chrono::seconds(0)};
    }
    // A refused request takes nothing: the wait is until one token has refilled in each.
    auto retry = std::chrono::duration_cast<std::chrono::seconds>(wait);
    if (retry < wait) ++retry;  // round up: coming back early would be refused again
    return RateDecision{false, std::max(retry, std::chrono::seconds(1))};
}

std::size_t RateLimiter::tracked_clients() {
    std::lock_guard<std::mutex> lock(mutex_);
    addresses_.forget_refilled(clock_.monotonic());
    return addresses_.size();
}

std::size_t RateLimiter::tracked_prefixes() {
    std::lock_guard<std::mutex> lock(mutex_);
    prefixes_.forget_refilled(clock_.monotonic());
    return prefixes_.size();
}

}  // namespace perch
