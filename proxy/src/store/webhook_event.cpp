#include "store/webhook_event.h"

#include <nlohmann/json.hpp>

#include "core/api_types.h"
#include "store/account_store.h"

namespace perch {

std::string_view to_string(WebhookEventType type) {
    switch (type) {
        case WebhookEventType::account_created: return "account.created";
        case WebhookEventType::account_signed_in: return "account.signed_in";
        case WebhookEventType::account_deleted: return "account.deleted";
    }
    return "account.created";
}

std::string webhook_event_body(std::string_view event_id, WebhookEventType type, std::int64_t unix_seconds,
                               const Account& account) {
    nlohmann::json body;
    body["id"] = std::string(event_id);
    body["type"] = std::string(to_string(type));
    body["created_at"] = format_rfc3339_utc(unix_seconds);
    body["data"]["user"] = api::to_json(to_api_user(account));
    // replace: a stored value is never allowed to turn into an exception here.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PendingEvent make_event(RandomSource& random, WebhookEventType type, std::int64_t unix_seconds,
                        const Account& account) {
    PendingEvent event;
    event.event_id = "evt_" + random_token(random, 16);
    event.type = std::string(to_string(type));
    event.body = webhook_event_body(event.event_id, type, unix_seconds, account);
    event.created_at_ms = unix_seconds * 1000;
    return event;
}

}  // namespace perch
