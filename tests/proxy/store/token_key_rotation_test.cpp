#include "store/token_key_rotation.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/account_test_support.h"

namespace {

using namespace perch::test;
using perch::AccountErrorKind;

// Every account row's sealed tokens, in id order: what "unchanged" means for the data.
std::vector<std::string> sealed_rows(const std::string& path) {
    perch::sqlite::Database raw(path, perch::sqlite::Database::Mode::read_write);
    std::vector<std::string> rows;
    auto select = raw.cached("SELECT id, twitter_id, access_token, access_token_secret FROM accounts ORDER BY id");
    while (select->step()) {
        rows.push_back(std::to_string(select->column_int64(0)) + "|" + select->column_text(1) + "|" +
                       select->column_blob(2) + "|" + select->column_blob(3));
    }
    return rows;
}

// How many accounts' tokens open under `cipher`, and how many do not.
std::pair<int, int> opening_under(const std::string& path, const perch::TokenCipher& cipher) {
    perch::sqlite::Database raw(path, perch::sqlite::Database::Mode::read_write);
    auto select = raw.cached("SELECT id, twitter_id, access_token, access_token_secret FROM accounts");
    int open = 0;
    int closed = 0;
    while (select->step()) {
        const auto tokens =
            perch::open_tokens(cipher, select->column_int64(0), select->column_text(1),
                               perch::SealedTokens{select->column_blob(2), select->column_blob(3)});
        if (!tokens) {
            ++closed;
            continue;
        }
        ++open;
        const std::string id = select->column_text(1);
        CHECK(tokens.value().secret.rfind("SecretPlaintextMarker-", 0) == 0);
        CHECK(tokens.value().token.rfind(id + "-TokenPlaintextMarker-", 0) == 0);
    }
    return {open, closed};
}

// A closed database with `count` accounts under the fixture's key (the first one signed in again).
void register_accounts(AccountFixture& fixture, int count) {
    auto store = fixture.open();
    for (int i = 1; i <= count; ++i) {
        REQUIRE(store->register_account(new_account(std::to_string(i), "user" + std::to_string(i))).ok());
    }
}

}  // namespace

TEST_CASE("Rotation re-seals every token: the new key opens them all, the old key none") {
    AccountFixture fixture;
    register_accounts(fixture, 3);
    const perch::TokenCipher next(test_key(9), fixture.random);

    const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE(rotated.ok());
    CHECK(rotated.value().accounts == 3);
    CHECK(rotated.value().tokens == 6);

    CHECK(opening_under(fixture.path, next) == std::pair<int, int>{3, 0});
    CHECK(opening_under(fixture.path, fixture.cipher) == std::pair<int, int>{0, 3});
    // The check value moved with the tokens: the old key is refused, the new one opens.
    const auto old_store = perch::SqliteAccountStore::open(fixture.options(), fixture.cipher, fixture.clock);
    REQUIRE_FALSE(old_store.ok());
    CHECK(old_store.error().kind == AccountErrorKind::token_key_mismatch);
    auto store = perch::SqliteAccountStore::open(fixture.options(), next, fixture.clock);
    REQUIRE(store.ok());
    CHECK(store.value()->tokens_of("2").value().token == "2-TokenPlaintextMarker-user2");
    // And the profile columns are as they were.
    CHECK(store.value()->find_by_twitter_id("3").value()->email == "user3@example.com");
}

TEST_CASE("Rotation of a database without accounts moves only the check value") {
    AccountFixture fixture;
    register_accounts(fixture, 0);
    const perch::TokenCipher next(test_key(9), fixture.random);
    const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE(rotated.ok());
    CHECK(rotated.value().accounts == 0);
    CHECK(rotated.value().tokens == 0);
    CHECK(perch::SqliteAccountStore::open(fixture.options(), next, fixture.clock).ok());
}

TEST_CASE("A swapped ciphertext stops the rotation and leaves the database byte for byte") {
    AccountFixture fixture;
    register_accounts(fixture, 3);
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        // The last row gets the first row's secret: rows 1 and 2 are re-sealed
        // inside the transaction before row 3 fails, so this proves the rollback.
        raw.exec("UPDATE accounts SET access_token_secret = (SELECT access_token_secret FROM accounts "
                 "WHERE id = 1) WHERE id = 3");
    }
    const std::string bytes_before = read_bytes(fixture.path);
    const auto rows_before = sealed_rows(fixture.path);
    const perch::TokenCipher next(test_key(9), fixture.random);

    const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE_FALSE(rotated.ok());
    CHECK(rotated.error().kind == AccountErrorKind::token_unreadable);
    CHECK(rotated.error().message ==
          "the stored access_token_secret of account row 3 does not open: sealed token failed "
          "authentication (tampered, wrong key, or another account's value)");
    CHECK(rotated.error().message.find("PlaintextMarker") == std::string::npos);
    CHECK(read_bytes(fixture.path) == bytes_before);
    CHECK(sealed_rows(fixture.path) == rows_before);
    // Still the old key's database: it opens, and its good rows open under it.
    auto store = fixture.open();
    CHECK(store->tokens_of("1").ok());
    CHECK(store->tokens_of("2").ok());
}

TEST_CASE("Rotation with a current key that is not the database's changes nothing") {
    AccountFixture fixture;
    register_accounts(fixture, 2);
    const std::string before = read_bytes(fixture.path);
    const perch::TokenCipher wrong(test_key(5), fixture.random);
    const perch::TokenCipher next(test_key(9), fixture.random);
    const auto rotated = perch::rotate_token_key(fixture.path, wrong, next);
    REQUIRE_FALSE(rotated.ok());
    CHECK(rotated.error().kind == AccountErrorKind::token_key_mismatch);
    CHECK(read_bytes(fixture.path) == before);
}

TEST_CASE("Rotation refuses at once a database another connection has open") {
    AccountFixture fixture;
    register_accounts(fixture, 1);
    const perch::TokenCipher next(test_key(9), fixture.random);
    {
        auto running = fixture.open();  // like an idle perch-proxy: open, no transaction
        const auto started = std::chrono::steady_clock::now();
        const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
        const auto took = std::chrono::steady_clock::now() - started;
        REQUIRE_FALSE(rotated.ok());
        CHECK(rotated.error().kind == AccountErrorKind::database_in_use);
        CHECK(rotated.error().message == "another process has the database open");
        CHECK(took < std::chrono::seconds(2));  // the store's busy timeout is 5 s: nothing waited
        CHECK(running->tokens_of("1").ok());    // still the old key's
    }
    CHECK(perch::rotate_token_key(fixture.path, fixture.cipher, next).ok());
}

TEST_CASE("Rotation refuses a missing file without creating it, an empty file and a foreign database") {
    AccountFixture fixture;
    const perch::TokenCipher next(test_key(9), fixture.random);

    const auto missing = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == AccountErrorKind::storage);
    CHECK(missing.error().message == "no such database file");
    CHECK_FALSE(std::filesystem::exists(fixture.path));

    std::ofstream(fixture.path).close();
    const auto empty = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().kind == AccountErrorKind::schema_refused);
    CHECK(empty.error().message == "database has no Perch schema yet; there is nothing to rotate");
    CHECK(std::filesystem::file_size(fixture.path) == 0);

    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        raw.exec("CREATE TABLE notes (x TEXT)");
    }
    const std::string before = read_bytes(fixture.path);
    const auto foreign = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().kind == AccountErrorKind::schema_refused);
    CHECK(read_bytes(fixture.path) == before);
}

TEST_CASE("A schema-1 database is migrated and rotated in the same transaction") {
    AccountFixture fixture;
    write_schema_1_database(fixture.path, fixture.cipher, {"1", "2"});
    const perch::TokenCipher next(test_key(9), fixture.random);
    const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE(rotated.ok());
    CHECK(rotated.value().accounts == 2);
    CHECK(opening_under(fixture.path, next) == std::pair<int, int>{2, 0});
    CHECK(perch::SqliteAccountStore::open(fixture.options(), next, fixture.clock).ok());
}

TEST_CASE("A rotation killed at any moment leaves every token under one key, the check value's") {
    AccountFixture fixture;
    {
        perch::AccountStoreOptions options = fixture.options();
        options.durability = perch::AccountStoreOptions::Durability::normal;  // quick to fill
        auto store = perch::SqliteAccountStore::open(options, fixture.cipher, fixture.clock);
        REQUIRE(store.ok());
        for (int i = 1; i <= 2000; ++i) {
            REQUIRE(store.value()->register_account(new_account(std::to_string(i), "u" + std::to_string(i))).ok());
        }
    }
    const std::string original = read_bytes(fixture.path);
    const perch::TokenCipher next(test_key(9), fixture.random);
    const std::string work = fixture.dir.file("work.db");
    auto restore = [&] {
        for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(work + suffix);
        std::ofstream(work, std::ios::binary | std::ios::trunc) << original;
    };
    // How long one whole rotation takes here, to spread the kills across it.
    restore();
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(perch::rotate_token_key(work, fixture.cipher, next).ok());
    const auto whole = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);

    std::mt19937 jitter(Catch::rngSeed());
    std::uniform_int_distribution<long> delay_us(0, whole.count() * 5 / 4);
    for (int round = 0; round < 8; ++round) {
        restore();
        int ready[2];
        REQUIRE(pipe(ready) == 0);
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            close(ready[0]);
            const char go = 'g';
            if (write(ready[1], &go, 1) != 1) _exit(3);
            _exit(perch::rotate_token_key(work, fixture.cipher, next).ok() ? 0 : 4);
        }
        close(ready[1]);
        char go = 0;
        REQUIRE(read(ready[0], &go, 1) == 1);
        close(ready[0]);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(jitter)));
        kill(child, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        INFO("round " << round << ", child status " << status);
        CHECK((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)));

        // Whatever the moment: all tokens under the old key with its check
        // value, or all under the new key with its.
        const auto under_old = opening_under(work, fixture.cipher);
        const auto under_new = opening_under(work, next);
        perch::AccountStoreOptions options;
        options.path = work;
        const bool old_opens = perch::SqliteAccountStore::open(options, fixture.cipher, fixture.clock).ok();
        const bool new_opens = perch::SqliteAccountStore::open(options, next, fixture.clock).ok();
        if (old_opens) {
            CHECK(under_old == std::pair<int, int>{2000, 0});
            CHECK_FALSE(new_opens);
        } else {
            CHECK(under_new == std::pair<int, int>{2000, 0});
            CHECK(new_opens);
        }
    }
}
