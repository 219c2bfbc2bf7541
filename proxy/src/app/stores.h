// The stores one perch-proxy runs on, chosen by its settings: sessions,
// consumed-flow records and rate limits in this process (the embedded
// default) or in Redis (PERCH_SESSION_STORE), accounts in SQLite (the
// default) or PostgreSQL (PERCH_DATABASE=postgresql://). With Redis and
// PostgreSQL any number of proxies share one state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/settings/config.h"
#include "app/rate_limiter.h"
#include "app/routes.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "core/result.h"
#include "store/account_store.h"
#include "store/consumed_flows.h"
#include "store/postgres_client.h"
#include "store/redis_client.h"
#include "store/session_store.h"
#include "store/token_cipher.h"

namespace perch {

struct Stores {
    std::unique_ptr<RedisClient> redis;        // null: sessions in memory
    std::unique_ptr<PostgresClient> postgres;  // null: accounts in SQLite
    std::unique_ptr<AccountStore> accounts;
    std::unique_ptr<SessionStore> sessions;
    std::unique_ptr<ConsumedFlows> consumed_flows;
    std::unique_ptr<RequestLimiter> start_limiter;     // null: not limited
    std::unique_ptr<RequestLimiter> exchange_limiter;  // null: not limited
    // The in-memory stores, swept now and then by the proxy; null with Redis.
    InMemorySessionStore* memory_sessions = nullptr;
    InMemoryConsumedFlows* memory_flows = nullptr;
    // What /healthz asks about.
    std::vector<DependencyCheck> dependencies;
    // "accounts: …, sessions: …" with every password masked.
    std::string description;
};

// Why the stores could not be opened: one line for stderr naming the setting
// at fault (never a password), and the exit status (2 for a token key that is
// not the database's, a configuration error; else 1).
struct StoresFailure {
    std::string line;
    int exit_code = 1;
};

// Opens every store, migrating the account database and checking `master`
// against it. `cipher` (made from `master`), `clock` and `random` must outlive
// the stores.
Result<Stores, StoresFailure> open_stores(const ProxyConfig& config, const TokenKey& master, const TokenCipher& cipher,
                                          const Clock& clock, RandomSource& random);

}  // namespace perch
