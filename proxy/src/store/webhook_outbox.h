// The webhook outbox: events waiting for delivery, kept in the account
// database (table webhook_outbox) so they survive restarts and kill -9. The
// delivery worker (app/webhook_worker.h) claims due events with a lease
// (locked_until), so with several proxies on one PostgreSQL database an event
// is sent by one of them at a time; a proxy that dies mid-delivery leaves the
// event to whoever claims it once the lease has run out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/account_store.h"

namespace perch {

struct OutboxEvent {
    std::int64_t row = 0;
    std::string event_id;
    std::string type;
    std::string body;
    std::int64_t created_at_ms = 0;
    int attempts = 0;  // failed attempts so far
};

// Times are unix milliseconds. Thread-safe; nothing throws.
class WebhookOutbox {
public:
    virtual ~WebhookOutbox() = default;

    // Up to `limit` events due at `now_ms` and not leased by anyone, oldest
    // first, each leased to the caller until now_ms + lease_ms.
    virtual AccountResult<std::vector<OutboxEvent>> claim(std::int64_t now_ms, std::int64_t lease_ms, int limit) = 0;

    // Delivered, or given up on: the event leaves the outbox.
    virtual AccountResult<bool> remove(std::int64_t row) = 0;

    // A failed attempt: attempts + 1, due again at next_attempt_ms, lease released.
    virtual AccountResult<bool> retry_at(std::int64_t row, std::int64_t next_attempt_ms) = 0;

    // When the next event falls due (its attempt time or the end of its lease,
    // whichever is later), or nullopt for an empty outbox.
    virtual AccountResult<std::optional<std::int64_t>> next_due() = 0;
};

}  // namespace perch
