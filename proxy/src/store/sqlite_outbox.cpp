#include "store/sqlite_outbox.h"

#include <exception>
#include <string_view>

namespace perch {
namespace {

template <typename T, typename Body>
AccountResult<T> guarded(std::string_view what, Body&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        return AccountError{AccountErrorKind::storage, std::string(what) + ": " + e.what()};
    }
}

}  // namespace

void insert_event(sqlite::Database& db, const PendingEvent& event) {
    auto insert = db.cached(
        "INSERT INTO webhook_outbox (event_id, type, body, created_at_ms, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?4)");
    insert->bind(1, event.event_id).bind(2, event.type).bind(3, event.body).bind(4, event.created_at_ms);
    insert->run();
}

AccountResult<std::unique_ptr<WebhookOutbox>> SqliteOutbox::open(const AccountStoreOptions& options) {
    return guarded<std::unique_ptr<WebhookOutbox>>("open the webhook outbox", [&]() -> std::unique_ptr<WebhookOutbox> {
        std::unique_ptr<SqliteOutbox> outbox(new SqliteOutbox(options.path));
        outbox->db_.exec("PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms));
        outbox->db_.exec(options.durability == AccountStoreOptions::Durability::full ? "PRAGMA synchronous = FULL"
                                                                                      : "PRAGMA synchronous = NORMAL");
        // One proxy per SQLite file: any lease is a dead predecessor's.
        outbox->db_.exec("UPDATE webhook_outbox SET locked_until = 0 WHERE locked_until <> 0");
        return outbox;
    });
}

AccountResult<std::vector<OutboxEvent>> SqliteOutbox::claim(std::int64_t now_ms, std::int64_t lease_ms, int limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    return guarded<std::vector<OutboxEvent>>("claim webhook events", [&]() {
        // One statement in autocommit mode: choosing and leasing are one step.
        auto update = db_.cached(
            "UPDATE webhook_outbox SET locked_until = ?1 + ?2 WHERE id IN (SELECT id FROM webhook_outbox "
            "WHERE next_attempt_at <= ?1 AND locked_until <= ?1 ORDER BY next_attempt_at, id LIMIT ?3) "
            "RETURNING id, event_id, type, body, created_at_ms, attempts");
        update->bind(1, now_ms).bind(2, lease_ms).bind(3, static_cast<std::int64_t>(limit));
        std::vector<OutboxEvent> events;
        while (update->step()) {
            events.push_back(OutboxEvent{update->column_int64(0), update->column_text(1), update->column_text(2),
                                         update->column_text(3), update->column_int64(4),
                                         static_cast<int>(update->column_int64(5))});
        }
        return events;
    });
}

AccountResult<bool> SqliteOutbox::remove(std::int64_t row) {
    std::lock_guard<std::mutex> lock(mutex_);
    return guarded<bool>("remove a webhook event", [&]() {
        auto remove = db_.cached("DELETE FROM webhook_outbox WHERE id = ?1");
        remove->bind(1, row);
        remove->run();
        return db_.changes() > 0;
    });
}

AccountResult<bool> SqliteOutbox::retry_at(std::int64_t row, std::int64_t next_attempt_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    return guarded<bool>("reschedule a webhook event", [&]() {
        auto update = db_.cached(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?2, locked_until = 0 WHERE id = ?1");
        update->bind(1, row).bind(2, next_attempt_ms);
        update->run();
        return db_.changes() > 0;
    });
}

AccountResult<std::optional<std::int64_t>> SqliteOutbox::next_due() {
    std::lock_guard<std::mutex> lock(mutex_);
    return guarded<std::optional<std::int64_t>>("read the webhook outbox", [&]() -> std::optional<std::int64_t> {
        auto select = db_.cached("SELECT min(max(next_attempt_at, locked_until)) FROM webhook_outbox");
        select->step();
        if (select->column_is_null(0)) return std::nullopt;
        return select->column_int64(0);
    });
}

}  // namespace perch
