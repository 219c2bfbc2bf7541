#include "store/redis_consumed_flows.h"

#include <algorithm>

namespace perch {

RedisConsumedFlows::RedisConsumedFlows(RedisClient& redis, const Clock& clock) : redis_(redis), clock_(clock) {}

std::string RedisConsumedFlows::key_of(const FlowKey& flow) {
    static const char digits[] = "0123456789abcdef";
    std::string key = "perch:flow:";
    for (unsigned char byte : flow) {
        key += digits[byte >> 4];
        key += digits[byte & 0x0f];
    }
    return key;
}

StoreResult<bool> RedisConsumedFlows::consume(const FlowKey& flow, std::int64_t expires_unix) {
    // A record must outlive the flow even if this proxy's clock runs behind
    // Redis's: keep it for the flow's remaining life by our clock, at least a
    // second, as a relative expiry.
    const std::int64_t seconds = std::max<std::int64_t>(expires_unix - clock_.unix_seconds(), 1);
    auto reply = redis_.command({"SET", key_of(flow), "1", "NX", "EX", std::to_string(seconds)});
    if (!reply) return reply.error();
    if (reply.value().is_error()) return StoreUnavailable{"Redis refused to record a consumed flow: " + reply.value().text};
    return reply.value().type == RedisReply::Type::status;  // OK: set now; nil: it was already
}

}  // namespace perch
