// What only the SQLite engine has: the file itself (WAL, markers, foreign or
// broken files), its migrations, schema-1 databases. The account-store
// contract runs on SQLite and PostgreSQL alike in account_store_test.cpp.
#include "store/account_store.h"
#include "store/sqlite_account_store.h"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

#include "support/account_test_support.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

namespace {

using TempDir = perch::test::TempDir;
using Fixture = perch::test::AccountFixture;
using perch::test::new_account;
using perch::test::read_bytes;
using perch::test::sql_blob;
using perch::test::test_key;
using perch::test::write_schema_1_database;

}  // namespace

TEST_CASE("A fresh database is migrated to the latest schema in WAL mode") {
    Fixture fixture;
    fixture.open();
    perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
    CHECK(raw.query_int64("PRAGMA user_version") == perch::account_migrations().back().version);
    CHECK(raw.query_int64("PRAGMA user_version") == 4);
    CHECK(raw.query_int64("PRAGMA application_id") == perch::perch_application_id);
    // The key check value was recorded in the same transaction as the schema.
    CHECK(raw.query_text("SELECT hex(value) FROM perch_metadata WHERE name = 'token_key_check'") ==
          raw.query_text("SELECT hex(" + sql_blob(fixture.cipher.key_check_value()) + ")"));
    CHECK(raw.query_text("PRAGMA journal_mode") == "wal");
    CHECK(raw.query_text("SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('accounts') ORDER BY cid)") ==
          "id,twitter_id,username,first_name,last_name,email,timezone,picture,access_token,"
          "access_token_secret,created_at,last_sign_in_at,oauth2_access_token,oauth2_refresh_token,"
          "oauth2_expires_at");
}

TEST_CASE("An unrelated SQLite file with tables but no Perch marker is refused and left byte for byte") {
    // application_id 0 and user_version 0, as most programs leave them: only the tables tell.
    const std::vector<std::string> schemas = {
        "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')",
        "CREATE TABLE t (x); CREATE INDEX t_x ON t (x)",
        "CREATE VIEW v AS SELECT 1",
    };
    for (const std::string& schema : schemas) {
        INFO(schema);
        Fixture fixture;
        {
            perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write_create);
            raw.exec(schema);
        }
        const std::string before = read_bytes(fixture.path);
        REQUIRE_FALSE(before.empty());
        const auto store = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
        REQUIRE_FALSE(store.ok());
        CHECK(store.error().kind == perch::AccountErrorKind::schema_refused);
        CHECK(store.error().message ==
              "database is not a Perch account database: it has tables but not Perch's schema marker "
              "(application_id)");
        CHECK(read_bytes(fixture.path) == before);
        CHECK_FALSE(std::filesystem::exists(fixture.path + "-wal"));
    }
}

TEST_CASE("An empty file is set up as a new Perch database") {
    Fixture fixture;
    std::ofstream(fixture.path).close();
    REQUIRE(std::filesystem::file_size(fixture.path) == 0);
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
    CHECK(raw.query_int64("PRAGMA application_id") == perch::perch_application_id);
}

TEST_CASE("Another application's database is refused") {
    Fixture fixture;
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write_create);
        raw.exec("CREATE TABLE notes (x TEXT); PRAGMA user_version = 3");
    }
    const auto store = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == perch::AccountErrorKind::schema_refused);
    CHECK(store.error().message ==
          "database is not a Perch account database (application_id 0, user_version 3)");
}

TEST_CASE("A file that is not a database fails to open with a storage error") {
    Fixture fixture;
    std::ofstream(fixture.path) << "this is not an SQLite database, just some text long enough";
    const auto store = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == perch::AccountErrorKind::storage);
    CHECK(store.error().message ==
          "cannot open account database " + fixture.path + ": sqlite: file is not a database");
}

TEST_CASE("A migration that fails leaves the database at its previous version") {
    TempDir dir;
    perch::sqlite::Database db(dir.file("m.db"), perch::sqlite::Database::Mode::read_write_create);
    const std::vector<perch::Migration> first = {{1, "t", "CREATE TABLE t (x INTEGER)"}};
    CHECK(perch::migrate(db, first) == 1);
    const std::vector<perch::Migration> broken = {
        first[0],
        {2, "u", "CREATE TABLE u (y INTEGER)"},
        {3, "broken", "INSERT INTO nowhere VALUES (1)"},
    };
    CHECK_THROWS_AS(perch::migrate(db, broken), perch::sqlite::Failure);
    CHECK(db.query_int64("PRAGMA user_version") == 1);
    CHECK(db.query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'u'") == 0);

    const std::vector<perch::Migration> fixed = {first[0], broken[1], {3, "v", "CREATE TABLE v (z)"}};
    CHECK(perch::migrate(db, fixed) == 3);
    CHECK(db.query_int64("PRAGMA user_version") == 3);
    CHECK(db.query_int64("SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'u', 'v')") == 3);
    // Already current: nothing runs again (a rerun of CREATE TABLE would throw).
    CHECK(perch::migrate(db, fixed) == 3);
}

TEST_CASE("A schema-1 database adopts the key that opens its tokens and refuses one that does not") {
    Fixture fixture;
    write_schema_1_database(fixture.path, fixture.cipher, {"1", "2"});
    const std::string before = read_bytes(fixture.path);

    const perch::TokenCipher other(test_key(2), fixture.random);
    const auto refused = perch::SqliteAccountStore::open(fixture.options(), other, fixture.clock);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == perch::AccountErrorKind::token_key_mismatch);
    CHECK(refused.error().message == "the token key does not open the stored tokens of the oldest account");
    CHECK(read_bytes(fixture.path) == before);  // not even migrated

    {
        auto store = fixture.open();  // the key it was written with
        CHECK(store->tokens_of("2").value().token == "2-TokenPlaintextMarker-u2");
    }
    perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
    CHECK(raw.query_int64("PRAGMA user_version") == 4);
    CHECK(raw.query_int64("SELECT count(*) FROM perch_metadata WHERE name = 'token_key_check'") == 1);
    // From now on the check value decides, with or without accounts.
    raw.exec("DELETE FROM accounts");
    const auto later = perch::SqliteAccountStore::open(fixture.options(), other, fixture.clock);
    REQUIRE_FALSE(later.ok());
    CHECK(later.error().message == "the token key does not match the database's key check value");
}

TEST_CASE("A schema-1 database without accounts adopts the first key it is given") {
    Fixture fixture;
    write_schema_1_database(fixture.path, fixture.cipher, {});
    const perch::TokenCipher other(test_key(2), fixture.random);
    REQUIRE(perch::SqliteAccountStore::open(fixture.options(), other, fixture.clock).ok());
    const auto original = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
    REQUIRE_FALSE(original.ok());
    CHECK(original.error().kind == perch::AccountErrorKind::token_key_mismatch);
}

TEST_CASE("format_rfc3339_utc writes UTC seconds with a Z suffix") {
    CHECK(perch::format_rfc3339_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(perch::format_rfc3339_utc(1714566896) == "2024-05-01T12:34:56Z");
    CHECK(perch::format_rfc3339_utc(951782400) == "2000-02-29T00:00:00Z");
}

// Measurement, not a check (hidden: runs only when asked for), e.g.
//   PERCH_BENCH_ACCOUNTS=100000 [PERCH_BENCH_DURABILITY=normal] [PERCH_BENCH_DIR=/var/tmp]
//     build/native/bin/perch_store_tests "[.bench]"
TEST_CASE("Account store registration rate and lookup latency", "[.bench]") {
    const char* env = std::getenv("PERCH_BENCH_ACCOUNTS");
    const int accounts = env != nullptr ? std::atoi(env) : 100000;
    const char* dir_env = std::getenv("PERCH_BENCH_DIR");  // e.g. a disk, not tmpfs
    Fixture fixture;
    if (dir_env != nullptr) {
        fixture.path = std::string(dir_env) + "/perch-bench.db";
        std::filesystem::remove(fixture.path);
        std::filesystem::remove(fixture.path + "-wal");
        std::filesystem::remove(fixture.path + "-shm");
    }
    const char* sync_env = std::getenv("PERCH_BENCH_DURABILITY");  // "normal" or default full
    perch::AccountStoreOptions options = fixture.options();
    if (sync_env != nullptr && std::string(sync_env) == "normal") {
        options.durability = perch::AccountStoreOptions::Durability::normal;
    }
    auto opened = perch::SqliteAccountStore::open(options, fixture.cipher, fixture.clock);
    REQUIRE(opened.ok());
    auto store = std::move(opened).value();
    using steady = std::chrono::steady_clock;

    const auto start = steady::now();
    for (int i = 0; i < accounts; ++i) {
        const auto result = store->register_account(
            new_account(std::to_string(1000000000 + i), "user" + std::to_string(i)));
        if (!result) FAIL(result.error().message);
    }
    const double register_seconds = std::chrono::duration<double>(steady::now() - start).count();
    REQUIRE(store->count().value() == accounts);

    std::vector<double> micros;
    constexpr int lookups = 20000;
    micros.reserve(lookups);
    std::uint64_t state = 88172645463325252ull;
    for (int i = 0; i < lookups; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        const std::string id = std::to_string(1000000000 + static_cast<int>(state % accounts));
        const auto t0 = steady::now();
        const auto found = store->find_by_twitter_id(id);
        micros.push_back(std::chrono::duration<double, std::micro>(steady::now() - t0).count());
        REQUIRE(found.ok());
        REQUIRE(found.value().has_value());
    }
    std::sort(micros.begin(), micros.end());
    const auto refresh_start = steady::now();
    constexpr int refreshes = 1000;
    for (int i = 0; i < refreshes; ++i) {
        REQUIRE(store->refresh_tokens_and_sign_in(std::to_string(1000000000 + i * (accounts / refreshes)),
                                                  "tok", "sec").ok());
    }
    const double refresh_seconds = std::chrono::duration<double>(steady::now() - refresh_start).count();
    WARN("accounts " << accounts << " (synchronous="
                     << (options.durability == perch::AccountStoreOptions::Durability::full ? "FULL" : "NORMAL")
                     << "): register " << accounts / register_seconds << "/s ("
                     << register_seconds << " s); find_by_twitter_id p50 " << micros[lookups / 2]
                     << " us, p99 " << micros[lookups * 99 / 100] << " us, max " << micros.back()
                     << " us; refresh_tokens_and_sign_in " << refreshes / refresh_seconds << "/s; db "
                     << std::filesystem::file_size(fixture.path) / (1024 * 1024) << " MiB");
    store.reset();
    if (dir_env != nullptr) {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(fixture.path + suffix);
    }
}
