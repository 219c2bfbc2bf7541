#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "store/postgres_account_store.h"
#include "support/account_test_support.h"
#include "support/postgres_server.h"

using namespace perch;
using namespace std::chrono_literals;

namespace {

test::PostgresServer& server() {
    static test::PostgresServer instance;  // one server for this file: initdb takes a second or two
    return instance;
}

PostgresOptions options_for(const std::string& database) {
    PostgresOptions options;
    options.url.host = "127.0.0.1";
    options.url.port = server().port();
    options.url.user = test::PostgresServer::user;
    options.url.password = test::PostgresServer::password;
    options.url.database = database;
    options.connect_timeout = 2s;
    options.statement_timeout = 2000ms;
    options.pool_wait = 2000ms;
    return options;
}

// One proxy's view of a database: its own pool, cipher and clock.
struct Instance {
    explicit Instance(const std::string& database, unsigned char key_seed = 1)
        : client(options_for(database)), cipher(test::test_key(key_seed), random) {}
    AccountResult<std::unique_ptr<AccountStore>> open() { return PostgresAccountStore::open(client, cipher, clock); }

    PostgresClient client;
    SecureRandom random;
    TokenCipher cipher;
    test::FixedClock clock;
};

std::string psql_value(const std::string& database, const std::string& sql) {
    PostgresClient client(options_for(database));
    std::string out;
    auto done = client.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        auto result = connection.exec(sql);
        if (!result) return result.error();
        if (!result.value().ok() || result.value().rows() == 0) return false;
        out = result.value().text(0, 0);
        return true;
    });
    REQUIRE(done);
    return out;
}

}  // namespace

TEST_CASE("postgres accounts: register, find, sign in again, count") {
    const std::string database = server().create_database();
    Instance instance(database);
    auto store = instance.open();
    REQUIRE(store);
    AccountStore& accounts = *store.value();

    auto registered = accounts.register_account(test::new_account("1234", "ada"));
    REQUIRE(registered);
    CHECK(registered.value().twitter_id == "1234");
    CHECK(registered.value().username == "ada");
    CHECK(registered.value().created_at == "2024-05-01T12:34:56Z");

    auto found = accounts.find_by_twitter_id("1234");
    REQUIRE(found);
    REQUIRE(found.value());
    CHECK(found.value()->id == registered.value().id);
    auto by_id = accounts.find_by_id(registered.value().id);
    REQUIRE(by_id);
    REQUIRE(by_id.value());
    CHECK(by_id.value()->email == "ada@example.com");
    auto tokens = accounts.tokens_of("1234");
    REQUIRE(tokens);
    CHECK(tokens.value().token == "1234-TokenPlaintextMarker-ada");

    instance.clock.now += 3600;
    auto again = accounts.refresh_tokens_and_sign_in("1234", "new-token", "new-secret");
    REQUIRE(again);
    CHECK(again.value().last_sign_in_at == "2024-05-01T13:34:56Z");
    CHECK(accounts.tokens_of("1234").value().secret == "new-secret");
    auto missing = accounts.refresh_tokens_and_sign_in("404", "t", "s");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == AccountErrorKind::not_found);
    CHECK(accounts.count().value() == 1);
}

TEST_CASE("postgres accounts: the X id is unique, the username unique case-insensitively") {
    const std::string database = server().create_database();
    Instance instance(database);
    auto accounts = std::move(instance.open()).value();
    REQUIRE(accounts->register_account(test::new_account("1", "ada")));
    auto same_person = accounts->register_account(test::new_account("1", "someone_else"));
    REQUIRE_FALSE(same_person);
    CHECK(same_person.error().kind == AccountErrorKind::already_registered);
    auto same_name = accounts->register_account(test::new_account("2", "ADA"));
    REQUIRE_FALSE(same_name);
    CHECK(same_name.error().kind == AccountErrorKind::username_taken);
    auto both = accounts->register_account(test::new_account("1", "Ada"));
    REQUIRE_FALSE(both);
    CHECK(both.error().kind == AccountErrorKind::already_registered);  // checked first, as in SQLite
}

TEST_CASE("postgres accounts: eight registrations of one X user at once on two instances: one wins") {
    const std::string database = server().create_database();
    Instance first(database);
    Instance second(database);
    auto a = std::move(first.open()).value();
    auto b = std::move(second.open()).value();
    std::atomic<int> created{0};
    std::atomic<int> already{0};
    std::vector<std::thread> browsers;
    for (int i = 0; i < 8; ++i) {
        browsers.emplace_back([&, i] {
            AccountStore& store = i % 2 == 0 ? *a : *b;
            auto result = store.register_account(test::new_account("777", "racer" + std::to_string(i)));
            if (result) ++created;
            else if (result.error().kind == AccountErrorKind::already_registered) ++already;
        });
    }
    for (auto& browser : browsers) browser.join();
    CHECK(created == 1);
    CHECK(already == 7);
    CHECK(a->count().value() == 1);
}

TEST_CASE("postgres accounts: instances starting together migrate once") {
    const std::string database = server().create_database();
    std::vector<std::unique_ptr<Instance>> instances;
    for (int i = 0; i < 4; ++i) instances.push_back(std::make_unique<Instance>(database));
    std::atomic<int> opened{0};
    std::vector<std::thread> starts;
    for (auto& instance : instances) {
        starts.emplace_back([&opened, &instance] {
            if (instance->open()) ++opened;
        });
    }
    for (auto& start : starts) start.join();
    CHECK(opened == 4);
    CHECK(psql_value(database, "SELECT count(*) FROM perch_schema_migrations") == "4");
    CHECK(psql_value(database, "SELECT count(*) FROM perch_metadata") == "1");
}

TEST_CASE("postgres accounts: tokens are sealed in the database, and another key is refused") {
    const std::string database = server().create_database();
    {
        Instance instance(database);
        auto accounts = std::move(instance.open()).value();
        REQUIRE(accounts->register_account(test::new_account("42", "grace")));
    }
    const std::string stored = psql_value(database, "SELECT encode(access_token, 'escape') || encode(access_token_secret, 'escape') FROM accounts");
    CHECK(stored.find("TokenPlaintextMarker") == std::string::npos);
    CHECK(stored.find("SecretPlaintextMarker") == std::string::npos);

    Instance other_key(database, 9);
    auto refused = other_key.open();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == AccountErrorKind::token_key_mismatch);
}

TEST_CASE("postgres accounts: another program's database is refused before anything is written") {
    const std::string database = server().create_database();
    psql_value(database, "CREATE TABLE invoices (id int)");
    Instance instance(database);
    auto refused = instance.open();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == AccountErrorKind::schema_refused);
    CHECK(psql_value(database, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == "1");
}

TEST_CASE("postgres accounts: a database restart loses no acknowledged registration; down is unavailable") {
    const std::string database = server().create_database();
    Instance instance(database);
    auto accounts = std::move(instance.open()).value();
    REQUIRE(accounts->register_account(test::new_account("5", "before")));
    server().restart();
    auto after = accounts->register_account(test::new_account("6", "after"));
    REQUIRE(after);
    CHECK(accounts->find_by_twitter_id("5").value().has_value());
    CHECK(accounts->count().value() == 2);

    server().stop();
    auto down = accounts->find_by_twitter_id("5");
    server().restart();
    REQUIRE_FALSE(down);
    CHECK(down.error().kind == AccountErrorKind::unavailable);
    CHECK(down.error().message.find(test::PostgresServer::password) == std::string::npos);
}
