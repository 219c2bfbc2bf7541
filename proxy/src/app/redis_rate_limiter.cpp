#include "app/redis_rate_limiter.h"

#include <algorithm>
#include <cmath>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/key_derivation.h"

namespace perch {

namespace {

// KEYS: address bucket, network bucket. ARGV: interval and tolerance (µs) of
// each. Returns 0 when allowed (both charged), else the wait in µs (nothing
// charged). tat - now <= tolerance allows, then tat = max(tat, now) + interval.
const RedisScript gcra_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function tat_of(key)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  return tat
end
local a = tat_of(KEYS[1])
local n = tat_of(KEYS[2])
local wait = math.max(a - now - tonumber(ARGV[2]), n - now - tonumber(ARGV[4]))
if wait > 0 then return wait end
a = a + tonumber(ARGV[1])
n = n + tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.0f', a), 'PX', math.ceil((a - now) / 1000))
redis.call('SET', KEYS[2], string.format('%.0f', n), 'PX', math.ceil((n - now) / 1000))
return 0
)lua");

long long interval_us(double per_minute) {
    return static_cast<long long>(std::llround(60e6 / std::max(per_minute, 1.0 / 60.0)));
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisClient& redis, const RateLimit& limit, std::string name, const TokenKey& master)
    : redis_(redis),
      prefix_("perch:rate:" + std::move(name) + ":"),
      max_key_bytes_(std::max<std::size_t>(limit.max_key_bytes, 1)),
      name_key_(derive_key(master, "perch redis rate bucket v1")) {
    const long long burst = static_cast<long long>(std::clamp<std::size_t>(limit.burst, 1, 1000000));
    const long long factor = static_cast<long long>(std::clamp<std::size_t>(limit.prefix_factor, 1, 1000));
    address_interval_us_ = interval_us(limit.per_minute);
    address_tolerance_us_ = (burst - 1) * address_interval_us_;
    network_interval_us_ = std::max(address_interval_us_ / factor, 1LL);
    network_tolerance_us_ = (burst * factor - 1) * network_interval_us_;
}

std::string RedisRateLimiter::bucket_name(const RateBucketKey& key) const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), name_key_.data(), static_cast<int>(name_key_.size()), key.data(), key.size(), digest, &length);
    static const char digits[] = "0123456789abcdef";
    std::string out = prefix_;
    for (unsigned int i = 0; i < 16; ++i) {  // 128 bits name a bucket well enough
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 0x0f];
    }
    return out;
}

StoreResult<RateDecision> RedisRateLimiter::check(std::string_view client_key) {
    const auto keys = rate_bucket_keys(client_key.substr(0, max_key_bytes_));
    auto reply = redis_.eval(gcra_script, {bucket_name(keys.first), bucket_name(keys.second)},
                             {std::to_string(address_interval_us_), std::to_string(address_tolerance_us_),
                              std::to_string(network_interval_us_), std::to_string(network_tolerance_us_)});
    if (!reply) return reply.error();
    if (reply.value().is_error()) return StoreUnavailable{"Redis refused the rate-limit script: " + reply.value().text};
    const long long wait_us = reply.value().integer;
    if (wait_us <= 0) return RateDecision{};
    const long long seconds = std::max(1LL, (wait_us + 999999) / 1000000);
    return RateDecision{false, std::chrono::seconds(seconds)};
}

}  // namespace perch
