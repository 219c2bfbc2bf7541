// Single use of a sign-in across every proxy sharing one Redis: a consumed
// flow is a key "perch:flow:<hex of its FlowKey>" set with NX, so of any number
// of instances racing on one callback exactly one sees it set, and with an
// expiry at the flow's own (the flow cookie is refused as expired after it).
// FlowKey is already a keyed hash: the key reveals no token.
#pragma once

#include "store/consumed_flows.h"
#include "store/redis_client.h"

namespace perch {

class RedisConsumedFlows final : public ConsumedFlows {
public:
    // `redis` and `clock` must outlive this.
    RedisConsumedFlows(RedisClient& redis, const Clock& clock);

    StoreResult<bool> consume(const FlowKey& flow, std::int64_t expires_unix) override;

    static std::string key_of(const FlowKey& flow);

private:
    RedisClient& redis_;
    const Clock& clock_;
};

}  // namespace perch
