#include "store/postgres_outbox.h"

#include <string>

namespace perch {

const char* const insert_event_sql =
    "INSERT INTO webhook_outbox (event_id, type, body, created_at_ms, next_attempt_at) VALUES ($1, $2, $3, $4, $4)";

std::vector<PgParam> insert_event_params(const PendingEvent& event) {
    return {PgParam::text(event.event_id), PgParam::text(event.type), PgParam::text(event.body),
            PgParam::text(std::to_string(event.created_at_ms))};
}

AccountResult<bool> PostgresOutbox::run(const char* sql, const std::vector<PgParam>& params,
                                        const std::function<void(const PgResult&)>& read) {
    std::optional<AccountError> error;
    bool changed = false;
    auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        error.reset();
        auto result = connection.exec(sql, params);
        if (!result) return result.error();
        if (!result.value().ok()) {
            error = AccountError{AccountErrorKind::storage, "PostgreSQL: " + result.value().error()};
            return true;
        }
        changed = result.value().rows() > 0;
        if (read) read(result.value());
        return true;
    });
    if (!done) return AccountError{AccountErrorKind::unavailable, done.error().message};
    if (error) return *error;
    return changed;
}

AccountResult<std::vector<OutboxEvent>> PostgresOutbox::claim(std::int64_t now_ms, std::int64_t lease_ms, int limit) {
    std::vector<OutboxEvent> events;
    // SKIP LOCKED: a row another proxy is claiming right now is left to it.
    auto done = run(
        "UPDATE webhook_outbox SET locked_until = $1::bigint + $2::bigint WHERE id IN (SELECT id FROM webhook_outbox "
        "WHERE next_attempt_at <= $1::bigint AND locked_until <= $1::bigint ORDER BY next_attempt_at, id LIMIT $3 "
        "FOR UPDATE SKIP LOCKED) RETURNING id, event_id, type, body, created_at_ms, attempts",
        {PgParam::text(std::to_string(now_ms)), PgParam::text(std::to_string(lease_ms)),
         PgParam::text(std::to_string(limit))},
        [&](const PgResult& rows) {
            events.clear();
            for (int row = 0; row < rows.rows(); ++row) {
                events.push_back(OutboxEvent{rows.integer(row, 0), rows.text(row, 1), rows.text(row, 2),
                                             rows.text(row, 3), rows.integer(row, 4),
                                             static_cast<int>(rows.integer(row, 5))});
            }
        });
    if (!done) return done.error();
    return events;
}

AccountResult<bool> PostgresOutbox::remove(std::int64_t row) {
    return run("DELETE FROM webhook_outbox WHERE id = $1 RETURNING id", {PgParam::text(std::to_string(row))});
}

AccountResult<bool> PostgresOutbox::retry_at(std::int64_t row, std::int64_t next_attempt_ms) {
    return run(
        "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $2, locked_until = 0 WHERE id = $1 "
        "RETURNING id",
        {PgParam::text(std::to_string(row)), PgParam::text(std::to_string(next_attempt_ms))});
}

AccountResult<std::optional<std::int64_t>> PostgresOutbox::next_due() {
    std::optional<std::int64_t> due;
    auto done = run("SELECT min(greatest(next_attempt_at, locked_until)) FROM webhook_outbox", {},
                    [&](const PgResult& rows) {
                        due.reset();
                        if (rows.rows() > 0 && !rows.is_null(0, 0)) due = rows.integer(0, 0);
                    });
    if (!done) return done.error();
    return due;
}

}  // namespace perch
