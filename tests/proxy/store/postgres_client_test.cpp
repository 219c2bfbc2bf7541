#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/postgres_server.h"
#include "store/postgres_client.h"

using namespace perch;
using namespace std::chrono_literals;

namespace {

test::PostgresServer& server() {
    static test::PostgresServer instance;  // one server for this file's tests: initdb takes seconds
    return instance;
}

PostgresOptions options_for(const std::string& database, std::string password = test::PostgresServer::password) {
    PostgresOptions options;
    options.url.host = "127.0.0.1";
    options.url.port = server().port();
    options.url.user = test::PostgresServer::user;
    options.url.password = std::move(password);
    options.url.database = database;
    options.connect_timeout = 2s;
    options.statement_timeout = 1000ms;
    options.pool_wait = 300ms;
    return options;
}

StoreResult<PgResult> run(PostgresClient& client, const std::string& sql, const std::vector<PgParam>& params = {}) {
    std::optional<StoreResult<PgResult>> out;
    auto done = client.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        auto result = connection.exec(sql, params);
        if (!result) return result.error();
        out.emplace(std::move(result).value());
        return true;
    });
    if (!done) return done.error();
    return std::move(*out);
}

}  // namespace

TEST_CASE("postgres client: text, bytes and NULL parameters round-trip apart from the SQL") {
    PostgresClient client(options_for(server().create_database()));
    REQUIRE(run(client, "CREATE TABLE t (name text UNIQUE, blob bytea, maybe text)").value().ok());
    const std::string binary("\0\x01\xff'; DROP TABLE t; --", 23);
    auto insert = run(client, "INSERT INTO t VALUES ($1, $2, $3)",
                      {PgParam::text("Zoë"), PgParam::bytes(binary), PgParam::null()});
    REQUIRE(insert);
    REQUIRE(insert.value().ok());
    auto select = run(client, "SELECT name, blob, maybe FROM t");
    REQUIRE(select);
    REQUIRE(select.value().rows() == 1);
    CHECK(select.value().text(0, 0) == "Zoë");
    CHECK(select.value().bytes(0, 1) == binary);
    CHECK(select.value().is_null(0, 2));

    auto duplicate = run(client, "INSERT INTO t VALUES ($1, NULL, NULL)", {PgParam::text("Zoë")});
    REQUIRE(duplicate);  // the server answered: an SQL error, not an outage
    CHECK_FALSE(duplicate.value().ok());
    CHECK(duplicate.value().sqlstate() == "23505");
    CHECK(duplicate.value().constraint() == "t_name_key");
    CHECK(duplicate.value().error().find("Zoë") == std::string::npos);  // the DETAIL line is left out
}

TEST_CASE("postgres client: a transaction commits whole or not at all") {
    PostgresClient client(options_for(server().create_database()));
    REQUIRE(run(client, "CREATE TABLE t (n int PRIMARY KEY)").value().ok());
    auto rolled_back = client.with_connection([](PgConnection& connection) {
        return connection.transaction([](PgConnection& tx) -> StoreResult<bool> {
            auto first = tx.exec("INSERT INTO t VALUES (1)");
            if (!first) return first.error();
            return false;  // the caller changed its mind
        });
    });
    REQUIRE(rolled_back);
    CHECK_FALSE(rolled_back.value());
    CHECK(run(client, "SELECT count(*) FROM t").value().integer(0, 0) == 0);
    auto committed = client.with_connection([](PgConnection& connection) {
        return connection.transaction([](PgConnection& tx) -> StoreResult<bool> {
            auto first = tx.exec("INSERT INTO t VALUES (1)");
            if (!first) return first.error();
            return first.value().ok();
        });
    });
    REQUIRE(committed);
    CHECK(committed.value());
    CHECK(run(client, "SELECT count(*) FROM t").value().integer(0, 0) == 1);
}

TEST_CASE("postgres client: a wrong password is unavailable and never echoed") {
    PostgresClient client(options_for("postgres", "not-the-password"));
    auto refused = run(client, "SELECT 1");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("not-the-password") == std::string::npos);
    CHECK(refused.error().message.find("postgresql://perch:****@127.0.0.1:") != std::string::npos);
    CHECK(client.display_name().find("not-the-password") == std::string::npos);
}

TEST_CASE("postgres client: a statement past statement_timeout is unavailable, the pool carries on") {
    PostgresClient client(options_for("postgres"));
    const auto started = std::chrono::steady_clock::now();
    auto slow = run(client, "SELECT pg_sleep(5)");
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    REQUIRE_FALSE(slow);
    CHECK(slow.error().message.find("did not answer") != std::string::npos);
    auto next = run(client, "SELECT 1");
    REQUIRE(next);
    CHECK(next.value().integer(0, 0) == 1);
}

TEST_CASE("postgres client: callers wait a bounded time for a free connection") {
    PostgresOptions options = options_for("postgres");
    options.pool_size = 1;
    PostgresClient client(options);
    REQUIRE(run(client, "SELECT 1"));
    std::thread holder([&] { (void)run(client, "SELECT pg_sleep(0.8)"); });
    // Wait until the holder's statement is running on the server.
    PostgresClient observer(options_for("postgres"));
    for (int i = 0; i < 200; ++i) {
        auto active = run(observer, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(0.8)%'");
        REQUIRE(active);
        if (active.value().integer(0, 0) >= 1) break;
        std::this_thread::sleep_for(5ms);
    }
    auto waited = run(client, "SELECT 1");
    holder.join();
    REQUIRE_FALSE(waited);
    CHECK(waited.error().message.find("came free within 300 ms") != std::string::npos);
    CHECK(run(client, "SELECT 1"));
}

TEST_CASE("postgres client: after a server restart the pool reconnects without failing a call") {
    const std::string database = server().create_database();
    PostgresClient client(options_for(database));
    REQUIRE(run(client, "CREATE TABLE t (n int)").value().ok());
    server().restart();
    auto after = run(client, "INSERT INTO t VALUES (7)");
    REQUIRE(after);
    CHECK(after.value().ok());
    CHECK(run(client, "SELECT count(*) FROM t").value().integer(0, 0) == 1);
}
