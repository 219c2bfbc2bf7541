// The two account-store engines as fixtures for one shared suite
// (tests/proxy/store/account_store_test.cpp, a TEMPLATE_TEST_CASE over both):
// SQLite on a file in a temporary folder, and a fresh database on a real
// PostgreSQL 15 started once per test binary on a free loopback port. Each
// gives the store, raw SQL on the same data (to tamper with it as an attacker
// with write access would), and what someone reading the data sees.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "store/account_store.h"
#include "store/postgres_account_store.h"
#include "store/postgres_client.h"
#include "store/sqlite.h"
#include "store/sqlite_account_store.h"
#include "support/account_test_support.h"
#include "support/postgres_server.h"

namespace perch::test {

// What every backend fixture shares: a fixed clock and the key of test_key(1).
struct BackendBase {
    BackendBase() : cipher(test_key(1), random) {}

    SecureRandom random;
    TokenCipher cipher;
    FixedClock clock;
};

class SqliteBackend : public BackendBase {
public:
    static constexpr const char* engine = "SQLite";

    AccountResult<std::unique_ptr<AccountStore>> try_open(const TokenCipher& with) {
        AccountStoreOptions options;
        options.path = path_;
        return SqliteAccountStore::open(options, with, clock);
    }

    void exec(const std::string& sql) {
        sqlite::Database raw(path_, sqlite::Database::Mode::read_write_create);
        raw.exec(sql);
    }
    // The first column of the first row, as text ("" for NULL or no row).
    std::string query(const std::string& sql) {
        sqlite::Database raw(path_, sqlite::Database::Mode::read_write_create);
        return raw.query_text("SELECT coalesce((" + sql + "), '')");
    }
    // Every byte on disk: the database file and its write-ahead log.
    std::string stored_bytes() const { return read_bytes(path_) + read_bytes(path_ + "-wal"); }

    std::string tables() {
        return query("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' "
                     "ORDER BY name)");
    }
    void mark_newer_schema(int version) { exec("PRAGMA user_version = " + std::to_string(version)); }
    std::string schema_version() { return query("SELECT user_version FROM pragma_user_version"); }

private:
    TempDir dir_;
    std::string path_ = dir_.file("perch.db");
};

// One PostgreSQL server for every test in the binary: initdb takes seconds.
inline PostgresServer& shared_postgres_server() {
    static PostgresServer server;
    return server;
}

// Options for a client of `database` on the shared server; `wait` bounds each
// statement and each wait for a pooled connection (connecting: 5 s).
inline PostgresOptions shared_postgres_options(const std::string& database, std::chrono::milliseconds wait) {
    PostgresOptions options;
    options.url.host = "127.0.0.1";
    options.url.port = shared_postgres_server().port();
    options.url.user = PostgresServer::user;
    options.url.password = PostgresServer::password;
    options.url.database = database;
    options.connect_timeout = std::chrono::seconds(5);
    options.statement_timeout = wait;
    options.pool_wait = wait;
    return options;
}

class PostgresBackend : public BackendBase {
public:
    static constexpr const char* engine = "PostgreSQL";

    // Generous waits: the suite runs on loaded machines, and no case tests a timeout.
    PostgresBackend() : client_(shared_postgres_options(shared_postgres_server().create_database(), std::chrono::seconds(20))) {}

    AccountResult<std::unique_ptr<AccountStore>> try_open(const TokenCipher& with) {
        return PostgresAccountStore::open(client_, with, clock);
    }

    void exec(const std::string& sql) {
        auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
            auto result = connection.exec(sql);
            if (!result) return result.error();
            if (!result.value().ok()) FAIL(sql << ": " << result.value().error());
            return true;
        });
        REQUIRE(done);
    }
    std::string query(const std::string& sql) {
        std::string text;
        auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
            auto result = connection.exec("SELECT coalesce((" + sql + ")::text, '')");
            if (!result) return result.error();
            if (!result.value().ok()) FAIL(sql << ": " << result.value().error());
            text = result.value().text(0, 0);
            return true;
        });
        REQUIRE(done);
        return text;
    }
    // Every stored value as a reader of the tables gets it, bytea columns as
    // their raw bytes (encode(…, 'escape') leaves printable bytes as they are).
    std::string stored_bytes() {
        return query(
            "SELECT string_agg(concat_ws('|', id, twitter_id, username, first_name, last_name, email, timezone, "
            "picture, created_at, last_sign_in_at, encode(access_token, 'escape'), encode(access_token_secret, "
            "'escape'), encode(oauth2_access_token, 'escape'), encode(oauth2_refresh_token, 'escape'), "
            "oauth2_expires_at), E'\\n' ORDER BY id) FROM accounts") +
               query("SELECT string_agg(name || '=' || encode(value, 'hex'), ',' ORDER BY name) FROM perch_metadata") +
               query("SELECT string_agg(version::text, ',' ORDER BY version) FROM perch_schema_migrations");
    }

    std::string tables() {
        return query("SELECT string_agg(table_name::text, ',' ORDER BY table_name) FROM information_schema.tables "
                     "WHERE table_schema = current_schema()");
    }
    void mark_newer_schema(int version) {
        exec("INSERT INTO perch_schema_migrations (version, description) VALUES (" + std::to_string(version) +
             ", 'from a newer perch-proxy')");
    }
    std::string schema_version() { return query("SELECT max(version) FROM perch_schema_migrations"); }

private:
    PostgresClient client_;
};

}  // namespace perch::test
