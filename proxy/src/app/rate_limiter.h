// Per-client rate limiting for the routes that cost a call to Twitter
// (POST /api/twitter/start, /api/twitter/exchange): one token bucket per
// client key and one per network prefix (IPv4 /24, IPv6 /48), both charged on
// each request, in bounded memory, on an injected clock. There is no global
// budget: nothing a flood spends is taken from anyone outside its networks.
//
// The bucket is kept as GCRA's "theoretical arrival time" (one time point per
// client, exact integer arithmetic): a request at `now` is allowed when
// tat - now <= (burst - 1) * interval, and then tat = max(tat, now) + interval.
// That is a token bucket of `burst` tokens refilled one per interval.
//
// The client key is the connection's remote address (see client_key below).
// perch-proxy listens on loopback or behind a reverse proxy the operator runs;
// behind one, every request comes from the reverse proxy's address, so all
// clients share one bucket unless the operator opts in to X-Forwarded-For
// (off by default: a client can write that header itself, so it is trusted
// only when the listener can be reached through the reverse proxy alone).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "net/client_key.h"

namespace perch {

struct RateLimit {
    double per_minute = 30.0;  // sustained rate: one token every 60 / per_minute seconds
    std::size_t burst = 10;    // bucket size: this many requests at once after a quiet spell
    // A prefix's bucket (IPv4 /24, IPv6 /48) holds prefix_factor x burst and
    // refills prefix_factor x as fast: addresses of one network share it, so
    // owning many addresses there buys no more than this, while a few hundred
    // people behind one network's NATs are not slowed by it.
    std::size_t prefix_factor = 10;
    // Buckets kept at most, per table. Only buckets that have refilled are
    // forgotten (a full bucket is the same as none), so a returning client
    // never gets a fresh burst. When the address table is full of live
    // buckets, a new address has no bucket of its own and its prefix's bucket
    // alone limits it (and likewise a new prefix, its address's bucket); a
    // request with neither is refused until a bucket refills. Keeping a bucket
    // live costs allowed requests (one per interval): filling 100,000 address
    // buckets takes 50,000 allowed requests a second at the default rate, far
    // more than a proxy serves.
    std::size_t max_clients = 100000;
    std::size_t max_prefixes = 100000;
    std::size_t max_key_bytes = 64;  // longer keys are cut (addresses are at most 45 bytes)
};

struct RateDecision {
    bool allowed = true;
    // When refused: whole seconds (>= 1) until a request would be allowed,
    // for the Retry-After header. 0 when allowed.
    std::chrono::seconds retry_after{0};
};

// Thread-safe (one mutex; a take() is two hash lookups). Memory: about 60
// bytes a bucket, so at most ~6 MiB per table at the default caps.
class RateLimiter {
public:
    // Out-of-range settings are clamped: per_minute to at least 1/60 (one an
    // hour), burst to 1..1,000,000, prefix_factor to 1..1,000. Config
    // validation should refuse them first.
    RateLimiter(const RateLimit& limit, const Clock& clock);
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Takes one token from `client_key`'s bucket and one from its prefix's
    // bucket if both have one; otherwise takes nothing. A key that is not an
    // IP address (nor an IPv6 "/64" key from client_key) has a bucket of its
    // own, and all such keys share one prefix bucket.
    RateDecision take(std::string_view client_key);

    // Address and prefix buckets right now, after forgetting the refilled ones.
    std::size_t tracked_clients();
    std::size_t tracked_prefixes();

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;
    using Key = std::array<unsigned char, 16>;

    // GCRA buckets of one kind of key.
    class Buckets {
    public:
        Buckets(Duration interval, std::size_t burst, std::size_t capacity, std::uint64_t seed);
        // The key's bucket (its theoretical arrival time), made full if new;
        // null when the table is full of buckets that have not refilled.
        TimePoint* find_or_add(const Key& key, TimePoint now);
        // How long until one request is allowed; <= 0: now.
        Duration wait(TimePoint tat, TimePoint now) const;
        void charge(TimePoint& tat, TimePoint now) const;
        // O(buckets): forgets every bucket that has refilled.
        void forget_refilled(TimePoint now);
        std::size_t size() const { return buckets_.size(); }

    private:
        struct Hash {
            std::uint64_t seed;
            std::size_t operator()(const Key& key) const noexcept;
        };
        Duration interval_;   // one token's worth of time
        Duration tolerance_;  // (burst - 1) intervals
        std::size_t capacity_;
        std::unordered_map<Key, TimePoint, Hash> buckets_;
    };

    // Callers hold mutex_. A full table is swept at most once a second, and
    // both now and then anyway, so a flood never buys a sweep per request.
    void sweep_if_due(TimePoint now, bool full);

    std::size_t max_key_bytes_;
    const Clock& clock_;
    std::mutex mutex_;
    Buckets addresses_;
    Buckets prefixes_;
    TimePoint last_sweep_;
};

}  // namespace perch
