#include "app/stores.h"

#include <algorithm>

#include "app/redis_rate_limiter.h"
#include "store/postgres_account_store.h"
#include "store/redis_consumed_flows.h"
#include "store/redis_session_store.h"
#include "store/service_url.h"
#include "store/sqlite_account_store.h"

namespace perch {

namespace {

StoresFailure account_failure(const AccountError& error, const std::string& database) {
    std::string line;
    int exit_code = 1;
    if (error.kind == AccountErrorKind::token_key_mismatch) {
        line = "PERCH_TOKEN_KEY does not match the key this database's tokens are sealed with (see "
               "perch-proxy rotate-token-key)";
        exit_code = 2;
    } else if (error.kind == AccountErrorKind::schema_refused) {
        line = "PERCH_DATABASE " + masked_url(database) + " refused: " + error.message + "; give perch-proxy its own " +
               (is_postgres_url(database) ? "database" : "database file") + " (a new or empty one is set up)";
    } else {
        line = error.message + " (PERCH_DATABASE " + masked_url(database) + ")";
    }
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    return StoresFailure{line, exit_code};
}

std::unique_ptr<RequestLimiter> memory_limiter(const RateLimit& limit, const Clock& clock) {
    // per_minute 0: that route is not limited (e.g. for benchmarks from one address).
    if (limit.per_minute <= 0) return nullptr;
    return std::make_unique<RateLimiter>(limit, clock);
}

std::unique_ptr<RequestLimiter> redis_limiter(RedisClient& redis, const RateLimit& limit, const char* route,
                                              const TokenKey& master) {
    if (limit.per_minute <= 0) return nullptr;
    return std::make_unique<RedisRateLimiter>(redis, limit, route, master);
}

Result<bool, StoresFailure> open_accounts(Stores& stores, const ProxyConfig& config, const TokenCipher& cipher,
                                          const Clock& clock) {
    if (!is_postgres_url(config.database)) {
        auto opened = SqliteAccountStore::open(AccountStoreOptions{config.database}, cipher, clock);
        if (!opened) return account_failure(opened.error(), config.database);
        stores.accounts = std::move(opened).value();
        stores.description = "accounts: " + config.database;
        return true;
    }
    PostgresOptions options;
    options.url = parse_postgres_url(config.database).value();  // checked by load_config
    if (!config.database_password.empty()) options.url.password = config.database_password;
    options.pool_size = config.database_pool_size;
    options.connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(config.store_timeout);
    options.statement_timeout = config.store_timeout;
    options.pool_wait = config.store_timeout;
    stores.postgres = std::make_unique<PostgresClient>(options);
    auto opened = PostgresAccountStore::open(*stores.postgres, cipher, clock);
    if (!opened) return account_failure(opened.error(), config.database);
    stores.accounts = std::move(opened).value();
    stores.description = "accounts: " + stores.postgres->display_name();
    PostgresClient* postgres = stores.postgres.get();
    stores.dependencies.push_back(DependencyCheck{"postgresql", [postgres]() -> std::optional<std::string> {
        auto done = postgres->with_connection([](PgConnection& connection) -> StoreResult<bool> {
            auto result = connection.exec("SELECT 1");
            if (!result) return result.error();
            return result.value().ok();
        });
        if (!done) return done.error().message;
        if (!done.value()) return std::string("PostgreSQL refused SELECT 1");
        return std::nullopt;
    }});
    return true;
}

Result<bool, StoresFailure> open_sessions(Stores& stores, const ProxyConfig& config, const TokenKey& master,
                                          const Clock& clock, RandomSource& random) {
    if (!is_redis_url(config.session_store)) {
        auto sessions = std::make_unique<InMemorySessionStore>(session_limits(config), clock, random);
        auto flows = std::make_unique<InMemoryConsumedFlows>(config.max_pending_flows, clock);
        stores.memory_sessions = sessions.get();
        stores.memory_flows = flows.get();
        stores.sessions = std::move(sessions);
        stores.consumed_flows = std::move(flows);
        stores.start_limiter = memory_limiter(config.start_limit, clock);
        stores.exchange_limiter = memory_limiter(config.exchange_limit, clock);
        stores.description += ", sessions: memory";
        return true;
    }
    RedisOptions options;
    options.url = parse_redis_url(config.session_store).value();  // checked by load_config
    if (!config.session_store_password.empty()) options.url.password = config.session_store_password;
    options.connect_timeout = config.store_timeout;
    options.command_timeout = config.store_timeout;
    options.pool_wait = config.store_timeout;
    options.pool_size = static_cast<std::size_t>(std::max(config.threads, 1));
    stores.redis = std::make_unique<RedisClient>(options);
    RedisClient& redis = *stores.redis;
    // A wrong address or password shows now, not at the first sign-in.
    auto ping = redis.command({"PING"});
    if (!ping) return StoresFailure{ping.error().message + " (PERCH_SESSION_STORE)", 1};
    if (ping.value().is_error()) {
        return StoresFailure{"Redis at " + redis.display_name() + " refused PING: " + ping.value().text +
                                 " (PERCH_SESSION_STORE)", 1};
    }
    stores.sessions = std::make_unique<RedisSessionStore>(redis, session_limits(config), master, random);
    stores.consumed_flows = std::make_unique<RedisConsumedFlows>(redis, clock);
    stores.start_limiter = redis_limiter(redis, config.start_limit, "start", master);
    stores.exchange_limiter = redis_limiter(redis, config.exchange_limit, "exchange", master);
    stores.description += ", sessions: " + redis.display_name();
    RedisClient* client = stores.redis.get();
    stores.dependencies.push_back(DependencyCheck{"redis", [client]() -> std::optional<std::string> {
        auto pong = client->command({"PING"});
        if (!pong) return pong.error().message;
        if (pong.value().is_error()) return "Redis answered PING with " + pong.value().text;
        return std::nullopt;
    }});
    return true;
}

}  // namespace

Result<Stores, StoresFailure> open_stores(const ProxyConfig& config, const TokenKey& master, const TokenCipher& cipher,
                                          const Clock& clock, RandomSource& random) {
    Stores stores;
    auto accounts = open_accounts(stores, config, cipher, clock);
    if (!accounts) return accounts.error();
    auto sessions = open_sessions(stores, config, master, clock, random);
    if (!sessions) return sessions.error();
    return stores;
}

}  // namespace perch
