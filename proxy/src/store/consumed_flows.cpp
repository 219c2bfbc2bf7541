#include "store/consumed_flows.h"

#include <algorithm>
#include <cstring>

namespace perch {

std::size_t InMemoryConsumedFlows::KeyHash::operator()(const FlowKey& key) const noexcept {
    std::size_t hash = 0;
    std::memcpy(&hash, key.data(), std::min(sizeof hash, key.size()));
    return hash;
}

InMemoryConsumedFlows::InMemoryConsumedFlows(std::size_t capacity, const Clock& clock)
    : capacity_(std::max<std::size_t>(capacity, 1)), clock_(clock) {}

void InMemoryConsumedFlows::drop_expired(std::int64_t now) {
    while (!by_expiry_.empty() && by_expiry_.top().first <= now) drop_soonest();
}

void InMemoryConsumedFlows::drop_soonest() {
    keys_.erase(by_expiry_.top().second);
    by_expiry_.pop();
}

bool InMemoryConsumedFlows::consume(const FlowKey& flow, std::int64_t expires_unix) {
    const std::int64_t now = clock_.unix_seconds();
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired(now);
    if (keys_.count(flow) != 0) return false;
    while (keys_.size() >= capacity_) drop_soonest();
    // A flow that expires this very second is still kept for a moment, so a
    // racing second exchange of it loses here rather than at the provider.
    by_expiry_.emplace(std::max(expires_unix, now + 1), flow);
    keys_.insert(flow);
    return true;
}

void InMemoryConsumedFlows::sweep() {
    const std::int64_t now = clock_.unix_seconds();
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired(now);
}

std::size_t InMemoryConsumedFlows::size() {
    const std::int64_t now = clock_.unix_seconds();
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired(now);
    return keys_.size();
}

}  // namespace perch
