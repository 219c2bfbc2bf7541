#include "rate_limiter.h"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>

namespace perch {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

RateLimiter::RateLimiter(const RateLimit& limit, const Clock& clock)
    : interval_(std::chrono::duration_cast<Duration>(
          std::chrono::duration<double>(60.0 / std::max(limit.per_minute, 1.0 / 60.0)))),
      // Both bounds keep (burst - 1) * interval far inside a 64-bit nanosecond count.
      tolerance_(interval_ * static_cast<Duration::rep>(std::clamp<std::size_t>(limit.burst, 1, 1000000) - 1)),
      max_clients_(std::max<std::size_t>(limit.max_clients, 1)),
      max_key_bytes_(std::max<std::size_t>(limit.max_key_bytes, 1)),
      clock_(clock) {}

// A bucket whose tat has passed is full: forgetting it changes no decision.
void RateLimiter::forget_refilled(TimePoint now) {
    while (!by_recency_.empty()) {
        auto it = buckets_.find(*by_recency_.front());
        if (it->second.tat > now) return;
        by_recency_.pop_front();
        buckets_.erase(it);
    }
}

void RateLimiter::forget_least_recent() {
    if (by_recency_.empty()) return;
    auto it = buckets_.find(*by_recency_.front());
    by_recency_.pop_front();
    buckets_.erase(it);
}

RateDecision RateLimiter::take(std::string_view client_key) {
    const std::string key(client_key.substr(0, max_key_bytes_));
    const TimePoint now = clock_.monotonic();
    std::lock_guard<std::mutex> lock(mutex_);
    forget_refilled(now);

    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_clients_) forget_least_recent();
        it = buckets_.emplace(key, Bucket{now, {}}).first;
        it->second.recency = by_recency_.insert(by_recency_.end(), &it->first);
    } else {
        by_recency_.splice(by_recency_.end(), by_recency_, it->second.recency);
    }

    Bucket& bucket = it->second;
    const TimePoint tat = std::max(bucket.tat, now);
    if (tat - now <= tolerance_) {
        bucket.tat = tat + interval_;
        return RateDecision{true, std::chrono::seconds(0)};
    }
    // A refused request takes nothing: the wait is until one token has refilled.
    const Duration wait = tat - now - tolerance_;
    auto retry = std::chrono::duration_cast<std::chrono::seconds>(wait);
    if (retry < wait) ++retry;  // round up: coming back early would be refused again
    return RateDecision{false, std::max(retry, std::chrono::seconds(1))};
}

std::size_t RateLimiter::tracked_clients() {
    const TimePoint now = clock_.monotonic();
    std::lock_guard<std::mutex> lock(mutex_);
    forget_refilled(now);
    return buckets_.size();
}

std::string client_key(std::string_view remote_addr, std::string_view forwarded_for, bool trust_forwarded_for) {
    std::string_view text = remote_addr;
    if (trust_forwarded_for) {
        const std::size_t comma = forwarded_for.rfind(',');
        const std::string_view last =
            trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
        if (!last.empty()) text = last;
    }
    text = trim(text);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.size() > 64) return std::string(text);  // not an address; the limiter cuts it

    const std::string address(text);
    unsigned char bytes[16];
    char out[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        return inet_ntop(AF_INET, bytes, out, sizeof out) ? std::string(out) : address;
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(bytes, mapped_prefix, sizeof mapped_prefix) == 0) {
            return inet_ntop(AF_INET, bytes + 12, out, sizeof out) ? std::string(out) : address;
        }
        std::memset(bytes + 8, 0, 8);
        if (inet_ntop(AF_INET6, bytes, out, sizeof out)) return std::string(out) + "/64";
    }
    return address;
}

}  // namespace perch
