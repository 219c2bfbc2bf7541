// Rate limits shared by every proxy on one Redis: the same GCRA buckets as
// RateLimiter (an address and its network, both charged or neither), kept as
// one "theoretical arrival time" per bucket in Redis and judged in one script
// by Redis's clock, so instances with skewed clocks agree and Retry-After is
// the same whichever instance answers. A bucket key expires once the bucket
// has refilled (a full bucket is the same as none), so Redis keeps no more
// than the in-memory tables would. Bucket names are keyed hashes of the
// address, not the address.
#pragma once

#include <array>
#include <string>

#include "app/rate_limiter.h"
#include "store/redis_client.h"
#include "store/token_cipher.h"

namespace perch {

class RedisRateLimiter final : public RequestLimiter {
public:
    // `name` tells the routes' limiters apart ("start", "exchange").
    RedisRateLimiter(RedisClient& redis, const RateLimit& limit, std::string name, const TokenKey& master);

    StoreResult<RateDecision> check(std::string_view client_key) override;

private:
    std::string bucket_name(const RateBucketKey& key) const;

    RedisClient& redis_;
    std::string prefix_;
    std::size_t max_key_bytes_;
    long long address_interval_us_;
    long long address_tolerance_us_;
    long long network_interval_us_;
    long long network_tolerance_us_;
    std::array<unsigned char, 32> name_key_;
};

}  // namespace perch
