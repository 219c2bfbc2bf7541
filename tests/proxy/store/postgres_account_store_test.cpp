// What only PostgreSQL has: several instances on one database (racing
// registrations, migrations under the advisory lock) and a server that
// restarts or goes away. The account-store contract runs on both engines in
// account_store_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "store/postgres_account_store.h"
#include "support/account_backends.h"
#include "support/postgres_server.h"

using namespace perch;
using namespace std::chrono_literals;

namespace {

test::PostgresServer& server() { return test::shared_postgres_server(); }

// Short waits: these cases stop and restart the server.
PostgresOptions options_for(const std::string& database) { return test::shared_postgres_options(database, 2000ms); }

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
