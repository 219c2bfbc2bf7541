// Per-client rate limiting for the routes that cost a call to Twitter
// (POST /api/twitter/start, /api/twitter/exchange): one token bucket per
// client key, in bounded memory, on an injected clock.
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

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "clock.h"

namespace perch {

struct RateLimit {
    double per_minute = 30.0;  // sustained rate: one token every 60 / per_minute seconds
    std::size_t burst = 10;    // bucket size: this many requests at once after a quiet spell
    // Tracked clients at most. Beyond it, buckets that have refilled are
    // forgotten first (a full bucket is the same as none), then the least
    // recently seen: forgetting a bucket can only ever give a client a fresh
    // one, never refuse someone, and an attacker who can rotate through that
    // many addresses already has that many buckets.
    std::size_t max_clients = 10000;
    std::size_t max_key_bytes = 64;  // longer keys are cut (addresses are at most 45 bytes)
};

struct RateDecision {
    bool allowed = true;
    // When refused: whole seconds (>= 1) until a request would be allowed,
    // for the Retry-After header. 0 when allowed.
    std::chrono::seconds retry_after{0};
};

// Thread-safe (one mutex; a take() is a hash lookup and a list splice).
class RateLimiter {
public:
    // Out-of-range settings are clamped: per_minute to at least 1/60 (one an
    // hour), burst to 1..1,000,000. Config validation should refuse them first.
    RateLimiter(const RateLimit& limit, const Clock& clock);
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Takes one token from `client_key`'s bucket if there is one.
    RateDecision take(std::string_view client_key);

    // Clients with a bucket right now. Refilled buckets are forgotten in the
    // order their clients were last seen, so one may outlive its refill by at
    // most burst intervals (while a busier client seen before it still waits).
    std::size_t tracked_clients();

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;
    struct Bucket {
        TimePoint tat;  // the bucket is full from this moment on
        std::list<const std::string*>::iterator recency;  // position in by_recency_
    };

    // Callers hold mutex_.
    void forget_refilled(TimePoint now);
    void forget_least_recent();

    Duration interval_;   // one token's worth of time
    Duration tolerance_;  // (burst - 1) intervals
    std::size_t max_clients_;
    std::size_t max_key_bytes_;
    const Clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    // Least recently seen first; points at the map's keys (map nodes never move).
    std::list<const std::string*> by_recency_;
};

// The key a request is limited under.
//   remote_addr: the connection's peer address as the server reports it.
//   forwarded_for: the X-Forwarded-For header ("" if absent); used only when
//     trust_forwarded_for, and then only its LAST entry (the one the
//     operator's reverse proxy appended; earlier ones are the client's own words).
// IPv6 addresses are keyed by their /64 (one host usually holds a whole /64);
// an IPv4-mapped IPv6 address is keyed as the IPv4 address. Text that is not
// an IP address is used as it is (bounded by RateLimit::max_key_bytes).
std::string client_key(std::string_view remote_addr, std::string_view forwarded_for, bool trust_forwarded_for);

}  // namespace perch
