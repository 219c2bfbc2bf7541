// Webhook events as the account stores record them: what happened to an
// account, written to the outbox (webhook_outbox.h) in the same transaction as
// the change, so an event is never lost and never reports a change that
// rolled back. The body is fixed when recorded: every delivery attempt sends
// the same bytes with the same id.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/crypto.h"

namespace perch {

struct Account;

enum class WebhookEventType { account_created, account_signed_in, account_deleted };

// "account.created", "account.signed_in", "account.deleted".
std::string_view to_string(WebhookEventType type);

// One event ready for the outbox.
struct PendingEvent {
    std::string event_id;  // "evt_" + 22 URL-safe characters (128 random bits)
    std::string type;      // to_string(WebhookEventType)
    std::string body;      // the JSON POSTed to the receiver
    std::int64_t created_at_ms = 0;
};

// {"id","type","created_at","data":{"user":{…}}}: the user object exactly as
// GET /api/me serialises it (to_api_user: never a token, sealed or not), and
// created_at in the same RFC 3339 UTC form as the user's own times.
std::string webhook_event_body(std::string_view event_id, WebhookEventType type, std::int64_t unix_seconds,
                               const Account& account);

PendingEvent make_event(RandomSource& random, WebhookEventType type, std::int64_t unix_seconds,
                        const Account& account);

// Turns event recording on in an account store (AccountStore::record_events).
// `committed` runs after a transaction holding an event committed, possibly
// under the store's own lock: it must return at once and never call the
// store (it wakes the delivery worker).
struct EventRecorder {
    RandomSource* random = nullptr;
    std::function<void()> committed;
};

}  // namespace perch
