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

TEST_CASE("A registered account is found by Twitter id and by id with every field") {
    Fixture fixture;
    auto store = fixture.open();
    const auto registered = store->register_account(new_account("1234", "ada"));
    REQUIRE(registered.ok());
    const perch::Account& account = registered.value();
    CHECK(account.id == 1);
    CHECK(account.twitter_id == "1234");
    CHECK(account.username == "ada");
    CHECK(account.first_name == "Ada");
    CHECK(account.last_name == "Lovelace");
    CHECK(account.email == "ada@example.com");
    CHECK(account.timezone == "Europe/London");
    CHECK(account.picture == "https://pbs.twimg.com/profile_images/1/ada.jpg");
    CHECK(account.created_at == "2024-05-01T12:34:56Z");
    CHECK(account.last_sign_in_at == "2024-05-01T12:34:56Z");

    for (const auto& found : {store->find_by_twitter_id("1234"), store->find_by_id(account.id)}) {
        REQUIRE(found.ok());
        REQUIRE(found.value().has_value());
        const perch::Account& row = *found.value();
        CHECK(row.id == account.id);
        CHECK(row.twitter_id == "1234");
        CHECK(row.username == "ada");
        CHECK(row.email == "ada@example.com");
        CHECK(row.created_at == "2024-05-01T12:34:56Z");
        CHECK(row.sealed_access_token == account.sealed_access_token);
        const auto tokens = store->decrypt_tokens(row);
        REQUIRE(tokens.ok());
        CHECK(tokens.value().token == "1234-TokenPlaintextMarker-ada");
        CHECK(tokens.value().secret == "SecretPlaintextMarker-ada");
    }
    CHECK(store->count().value() == 1);
}

TEST_CASE("Looking up an unknown account finds nothing") {
    Fixture fixture;
    auto store = fixture.open();
    const auto by_twitter = store->find_by_twitter_id("999");
    REQUIRE(by_twitter.ok());
    CHECK_FALSE(by_twitter.value().has_value());
    const auto by_id = store->find_by_id(999);
    REQUIRE(by_id.ok());
    CHECK_FALSE(by_id.value().has_value());
    CHECK(store->count().value() == 0);
}

TEST_CASE("The browser's view of an account carries no token") {
    Fixture fixture;
    auto store = fixture.open();
    const auto account = store->register_account(new_account("77", "grace")).value();
    const perch::api::User user = perch::to_api_user(account);
    CHECK(user.twitter_id == "77");
    CHECK(user.username == "grace");
    CHECK(user.first_name == "Ada");
    CHECK(user.last_name == "Lovelace");
    CHECK(user.email == "grace@example.com");
    CHECK(user.timezone == "Europe/London");
    CHECK(user.picture == "https://pbs.twimg.com/profile_images/1/grace.jpg");
    CHECK(user.created_at == "2024-05-01T12:34:56Z");
    CHECK(user.last_sign_in_at == "2024-05-01T12:34:56Z");
    // What the browser receives: these keys and no token, sealed or plain.
    const nlohmann::json json = perch::api::to_json(user);
    std::vector<std::string> keys;
    for (const auto& item : json.items()) keys.push_back(item.key());
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"created_at", "email", "first_name", "last_name",
                                           "last_sign_in_at", "picture", "timezone", "twitter_id",
                                           "username"});
    const std::string text = json.dump();
    CHECK(text.find("PlaintextMarker") == std::string::npos);
    CHECK(text.find("token") == std::string::npos);
    CHECK(text.find("secret") == std::string::npos);
}

TEST_CASE("Registering a Twitter id twice fails with already_registered") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1234", "ada")).ok());
    // Even with the same username, the Twitter id is what is reported.
    for (const char* username : {"someone_else", "ada", "ADA"}) {
        const auto again = store->register_account(new_account("1234", username));
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().kind == perch::AccountErrorKind::already_registered);
        CHECK(again.error().message == "this Twitter account is already registered");
        CHECK(perch::to_string(again.error().kind) == "already_registered");
    }
    CHECK(store->count().value() == 1);
}

TEST_CASE("A username taken in any letter case fails with username_taken") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "Ada_L")).ok());
    for (const char* username : {"Ada_L", "ada_l", "ADA_L"}) {
        const auto taken = store->register_account(new_account("2", username));
        REQUIRE_FALSE(taken.ok());
        CHECK(taken.error().kind == perch::AccountErrorKind::username_taken);
        CHECK(taken.error().message == "this username is taken");
        CHECK(perch::to_string(taken.error().kind) == "username_taken");
    }
    CHECK(store->register_account(new_account("2", "Ada_M")).ok());
    CHECK(store->count().value() == 2);
}

TEST_CASE("The store refuses values beyond its own limits") {
    Fixture fixture;
    auto store = fixture.open();
    struct Case {
        std::string expected;
        void (*change)(perch::NewAccount&);
    };
    const std::vector<Case> cases = {
        {"twitter_id is empty", [](perch::NewAccount& a) { a.twitter_id.clear(); }},
        {"twitter_id is longer than 64 bytes", [](perch::NewAccount& a) { a.twitter_id.assign(65, '1'); }},
        {"twitter_id contains a NUL byte", [](perch::NewAccount& a) { a.twitter_id.push_back('\0'); }},
        {"username is empty", [](perch::NewAccount& a) { a.form.username.clear(); }},
        {"email is longer than 1024 bytes", [](perch::NewAccount& a) { a.form.email.assign(1025, 'e'); }},
        {"picture is longer than 2048 bytes", [](perch::NewAccount& a) { a.picture.assign(2049, 'p'); }},
        {"access_token is empty", [](perch::NewAccount& a) { a.access_token.clear(); }},
        {"access_token_secret is longer than 1024 bytes",
         [](perch::NewAccount& a) { a.access_token_secret.assign(1025, 's'); }},
    };
    for (const Case& c : cases) {
        perch::NewAccount account = new_account("5", "eve");
        c.change(account);
        const auto result = store->register_account(account);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().kind == perch::AccountErrorKind::invalid);
        CHECK(result.error().message == c.expected);
    }
    CHECK(store->count().value() == 0);
}

TEST_CASE("Signing in again stores new tokens and the sign-in time") {
    Fixture fixture;
    auto store = fixture.open();
    const auto first = store->register_account(new_account("1234", "ada")).value();
    fixture.clock.now += 3600;
    const auto refreshed = store->refresh_tokens_and_sign_in("1234", "new-token", "new-secret");
    REQUIRE(refreshed.ok());
    CHECK(refreshed.value().id == first.id);
    CHECK(refreshed.value().created_at == "2024-05-01T12:34:56Z");
    CHECK(refreshed.value().last_sign_in_at == "2024-05-01T13:34:56Z");

    const auto found = store->find_by_twitter_id("1234").value();
    REQUIRE(found.has_value());
    CHECK(found->last_sign_in_at == "2024-05-01T13:34:56Z");
    CHECK(found->username == "ada");
    const auto tokens = store->decrypt_tokens(*found);
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token == "new-token");
    CHECK(tokens.value().secret == "new-secret");
    CHECK(store->count().value() == 1);
}

TEST_CASE("Signing in an unknown Twitter id fails with not_found") {
    Fixture fixture;
    auto store = fixture.open();
    const auto result = store->refresh_tokens_and_sign_in("404", "token", "secret");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == perch::AccountErrorKind::not_found);
    CHECK(result.error().message == "no account for this Twitter id");
    const auto empty = store->refresh_tokens_and_sign_in("404", "", "secret");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().kind == perch::AccountErrorKind::invalid);
    CHECK(empty.error().message == "access_token is empty");
}

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

TEST_CASE("Reopening a database keeps its accounts and schema") {
    Fixture fixture;
    {
        auto store = fixture.open();
        REQUIRE(store->register_account(new_account("1", "ada")).ok());
    }
    auto store = fixture.open();
    CHECK(store->count().value() == 1);
    const auto found = store->find_by_twitter_id("1").value();
    REQUIRE(found.has_value());
    CHECK(store->decrypt_tokens(*found).value().secret == "SecretPlaintextMarker-ada");
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    CHECK(store->find_by_twitter_id("2").value()->id == 2);
}

TEST_CASE("A database with a newer schema is refused and left untouched") {
    Fixture fixture;
    fixture.open();
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        raw.exec("PRAGMA user_version = 5");
    }
    const auto store = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == perch::AccountErrorKind::schema_refused);
    CHECK(store.error().message ==
          "database schema version 5 is newer than this perch-proxy understands (4); run a newer "
          "perch-proxy or restore a backup");
    perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
    CHECK(raw.query_int64("PRAGMA user_version") == 5);
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

TEST_CASE("Tokens are not stored in plaintext in the database or its WAL") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1234", "ada")).ok());
    REQUIRE(store->refresh_tokens_and_sign_in("1234", "RefreshedTokenMarker", "RefreshedSecretMarker").ok());
    REQUIRE(store->register_account(new_account("5678", "grace")).ok());

    const std::string bytes = read_bytes(fixture.path) + read_bytes(fixture.path + "-wal");
    // Positive control: the plain columns are there, so the search does see the data.
    REQUIRE(bytes.find("ada@example.com") != std::string::npos);
    REQUIRE(bytes.find("grace@example.com") != std::string::npos);
    for (const char* secret :
         {"TokenPlaintextMarker", "SecretPlaintextMarker", "RefreshedTokenMarker", "RefreshedSecretMarker"}) {
        INFO(secret);
        CHECK(bytes.find(secret) == std::string::npos);
    }
}

TEST_CASE("A sealed token moved to another row or field does not decrypt") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        // Row 2 gets row 1's token; row 1's token and secret swap places.
        raw.exec("UPDATE accounts SET access_token = (SELECT access_token FROM accounts WHERE twitter_id = '1') WHERE twitter_id = '2'");
        raw.exec("UPDATE accounts SET access_token = access_token_secret, access_token_secret = access_token WHERE twitter_id = '1'");
    }
    for (const char* id : {"1", "2"}) {
        const auto account = store->find_by_twitter_id(id).value();
        REQUIRE(account.has_value());
        const auto tokens = store->decrypt_tokens(*account);
        REQUIRE_FALSE(tokens.ok());
        CHECK(tokens.error().kind == perch::AccountErrorKind::token_unreadable);
        CHECK(tokens.error().message ==
              "the stored access_token of account row " + std::to_string(account->id) +
                  " does not open: sealed token failed authentication "
                  "(tampered, wrong key, or another account's value)");
    }
}

TEST_CASE("Tokens stored under one key do not decrypt under another") {
    Fixture fixture;
    auto store = fixture.open();
    const auto account = store->register_account(new_account("1", "ada")).value();
    const perch::TokenCipher other(test_key(2), fixture.random);
    const auto opened = perch::open_tokens(
        other, account.id, account.twitter_id,
        perch::SealedTokens{account.sealed_access_token, account.sealed_access_token_secret});
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().message ==
          "the stored access_token of account row 1 does not open: sealed token failed authentication "
          "(tampered, wrong key, or another account's value)");
}

TEST_CASE("A database is refused, unchanged, under another token key; its own key opens it again") {
    Fixture fixture;
    {
        auto store = fixture.open();
        REQUIRE(store->register_account(new_account("1", "ada")).ok());
    }
    const std::string before = read_bytes(fixture.path);
    for (unsigned char seed : {2, 3}) {
        const perch::TokenCipher other(test_key(seed), fixture.random);
        const auto store = perch::SqliteAccountStore::open(fixture.options(), other, fixture.clock);
        REQUIRE_FALSE(store.ok());
        CHECK(store.error().kind == perch::AccountErrorKind::token_key_mismatch);
        CHECK(perch::to_string(store.error().kind) == "token_key_mismatch");
        CHECK(store.error().message == "the token key does not match the database's key check value");
    }
    CHECK(read_bytes(fixture.path) == before);
    auto store = fixture.open();
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-ada");
}

TEST_CASE("A database without accounts is refused under another key too") {
    Fixture fixture;
    fixture.open();
    const perch::TokenCipher other(test_key(2), fixture.random);
    const auto store = perch::SqliteAccountStore::open(fixture.options(), other, fixture.clock);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == perch::AccountErrorKind::token_key_mismatch);
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

TEST_CASE("tokens_of opens an account's stored tokens") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1234", "ada")).ok());
    const auto tokens = store->tokens_of("1234");
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token == "1234-TokenPlaintextMarker-ada");
    CHECK(tokens.value().secret == "SecretPlaintextMarker-ada");
    const auto missing = store->tokens_of("999");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == perch::AccountErrorKind::not_found);
}

TEST_CASE("tokens_of fails closed with token_unreadable when a ciphertext was swapped in") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        // Row 2's secret is now row 1's: a valid ciphertext under the right key, in the wrong place.
        raw.exec("UPDATE accounts SET access_token_secret = (SELECT access_token_secret FROM accounts "
                 "WHERE twitter_id = '1') WHERE twitter_id = '2'");
    }
    const auto tokens = store->tokens_of("2");
    REQUIRE_FALSE(tokens.ok());
    CHECK(tokens.error().kind == perch::AccountErrorKind::token_unreadable);
    CHECK(perch::to_string(tokens.error().kind) == "token_unreadable");
    CHECK(tokens.error().message ==
          "the stored access_token_secret of account row 2 does not open: sealed token failed "
          "authentication (tampered, wrong key, or another account's value)");
    CHECK(tokens.error().message.find("PlaintextMarker") == std::string::npos);
    // The untouched account still opens: the failure is the swapped row's alone.
    CHECK(store->tokens_of("1").ok());
}

TEST_CASE("Concurrent registrations of the same Twitter id have exactly one winner") {
    Fixture fixture;
    auto store = fixture.open();
    constexpr int threads = 8;
    constexpr int ids = 40;
    std::atomic<int> go{0};
    std::vector<std::map<std::string, int>> outcomes(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            while (go.load() == 0) std::this_thread::yield();
            for (int i = 0; i < ids; ++i) {
                // Each thread uses its own username, so only the Twitter id collides.
                const auto result = store->register_account(
                    new_account("id" + std::to_string(i), "u" + std::to_string(i) + "_" + std::to_string(t)));
                ++outcomes[t][result.ok() ? "ok" : std::string(perch::to_string(result.error().kind))];
                // Readers run alongside the writers.
                const auto found = store->find_by_twitter_id("id" + std::to_string(i));
                if (!found.ok() || !found.value().has_value()) ++outcomes[t]["lookup_missed"];
            }
        });
    }
    go = 1;
    for (auto& worker : workers) worker.join();
    std::map<std::string, int> total;
    for (const auto& outcome : outcomes) {
        for (const auto& [kind, n] : outcome) total[kind] += n;
    }
    CHECK(total["ok"] == ids);
    CHECK(total["already_registered"] == ids * (threads - 1));
    CHECK(total["lookup_missed"] == 0);
    CHECK(total.size() == 3);  // ok, already_registered, and the zero lookup_missed entry
    CHECK(store->count().value() == ids);
}

TEST_CASE("Concurrent registrations of the same username have exactly one winner") {
    Fixture fixture;
    auto store = fixture.open();
    constexpr int threads = 8;
    std::atomic<int> go{0};
    std::atomic<int> won{0};
    std::atomic<int> taken{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            while (go.load() == 0) std::this_thread::yield();
            const std::string username = t % 2 == 0 ? "Popular" : "popular";
            const auto result = store->register_account(new_account("t" + std::to_string(t), username));
            if (result.ok()) ++won;
            else if (result.error().kind == perch::AccountErrorKind::username_taken) ++taken;
        });
    }
    go = 1;
    for (auto& worker : workers) worker.join();
    CHECK(won == 1);
    CHECK(taken == threads - 1);
    CHECK(store->count().value() == 1);
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
