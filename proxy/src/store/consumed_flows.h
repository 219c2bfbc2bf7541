// Single use of a sign-in across the process: a short-lived record of the
// flows whose exchange went to the provider. The flow itself lives in the
// browser (flow_cookies.h), so this is the only thing the server keeps for it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace perch {

// A keyed hash of a flow's protocol and id (sealed_flow.h's FlowSeal::key_of):
// names a flow without holding its token, and is the same in every proxy
// that shares PERCH_TOKEN_KEY.
using FlowKey = std::array<unsigned char, 16>;

// Thread-safe; shared by every request of the proxy (a shared store can
// implement it for several proxies).
class ConsumedFlows {
public:
    virtual ~ConsumedFlows() = default;

    // Records `flow` as consumed until `expires_unix` (the flow's own expiry,
    // Clock::unix_seconds). True for the first caller only: of any number of
    // concurrent calls with one key, exactly one gets true.
    virtual bool consume(const FlowKey& flow, std::int64_t expires_unix) = 0;
};

// One process's memory, at most `capacity` records. A record is dropped once
// its flow has expired (the flow cookie is refused as expired from then on).
// When full, the records closest to expiry are dropped first: the exchange is
// never refused for want of room, and a flow whose record was dropped is still
// single-use at the provider, which refuses a request token used twice.
class InMemoryConsumedFlows final : public ConsumedFlows {
public:
    InMemoryConsumedFlows(std::size_t capacity, const Clock& clock);

    bool consume(const FlowKey& flow, std::int64_t expires_unix) override;

    // Drops the records of expired flows now (consume() also does, as it goes).
    void sweep();

    // Records held right now, after dropping the expired ones.
    std::size_t size();

private:
    struct KeyHash {
        // The keys are HMAC output: any 8 of their bytes are already uniform.
        std::size_t operator()(const FlowKey& key) const noexcept;
    };
    using Entry = std::pair<std::int64_t, FlowKey>;  // expiry, key

    // Callers hold mutex_.
    void drop_expired(std::int64_t now);
    void drop_soonest();

    const std::size_t capacity_;
    const Clock& clock_;
    std::mutex mutex_;
    std::unordered_set<FlowKey, KeyHash> keys_;
    // Soonest expiry on top; holds exactly the keys in keys_.
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> by_expiry_;
};

}  // namespace perch
