// The webhook outbox in the SQLite account database: one proxy per file, so a
// lease left by a proxy that was killed is released when the next one opens it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/sqlite.h"
#include "store/sqlite_account_store.h"
#include "store/webhook_event.h"
#include "store/webhook_outbox.h"

namespace perch {

// Adds `event` to the outbox inside the caller's transaction on `db`.
void insert_event(sqlite::Database& db, const PendingEvent& event);

class SqliteOutbox final : public WebhookOutbox {
public:
    // A connection of its own to the (already migrated) account database.
    static AccountResult<std::unique_ptr<WebhookOutbox>> open(const AccountStoreOptions& options);

    AccountResult<std::vector<OutboxEvent>> claim(std::int64_t now_ms, std::int64_t lease_ms, int limit) override;
    AccountResult<bool> remove(std::int64_t row) override;
    AccountResult<bool> retry_at(std::int64_t row, std::int64_t next_attempt_ms) override;
    AccountResult<std::optional<std::int64_t>> next_due() override;

private:
    explicit SqliteOutbox(const std::string& path) : db_(path, sqlite::Database::Mode::read_write) {}

    std::mutex mutex_;
    sqlite::Database db_;
};

}  // namespace perch
