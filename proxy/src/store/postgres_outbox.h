// The webhook outbox in PostgreSQL, shared by every proxy on the database:
// claim() leases due events with SELECT … FOR UPDATE SKIP LOCKED, so two
// proxies claiming at once never take the same event.
#pragma once

#include <memory>
#include <vector>

#include "store/postgres_client.h"
#include "store/webhook_event.h"
#include "store/webhook_outbox.h"

namespace perch {

// The statement and parameters that add `event` to the outbox; the account
// store runs it in the transaction of the change it reports.
extern const char* const insert_event_sql;
std::vector<PgParam> insert_event_params(const PendingEvent& event);

class PostgresOutbox final : public WebhookOutbox {
public:
    // `client` must outlive the outbox; the schema is the account store's.
    explicit PostgresOutbox(PostgresClient& client) : client_(client) {}

    AccountResult<std::vector<OutboxEvent>> claim(std::int64_t now_ms, std::int64_t lease_ms, int limit) override;
    AccountResult<bool> remove(std::int64_t row) override;
    AccountResult<bool> retry_at(std::int64_t row, std::int64_t next_attempt_ms) override;
    AccountResult<std::optional<std::int64_t>> next_due() override;

private:
    // Runs one statement; `read` sees its rows when it succeeded.
    AccountResult<bool> run(const char* sql, const std::vector<PgParam>& params,
                            const std::function<void(const PgResult&)>& read = nullptr);

    PostgresClient& client_;
};

}  // namespace perch
