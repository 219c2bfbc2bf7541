// PostgresAccountStore: deleting an account and recording webhook events in
// the change's own transaction; PostgresOutbox: leases that several proxies
// claiming at once never share. Against a real PostgreSQL 15 on loopback.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/postgres_account_store.h"
#include "store/postgres_outbox.h"
#include "support/account_backends.h"
#include "support/account_test_support.h"
#include "support/postgres_server.h"

using namespace perch;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

test::PostgresServer& server() { return test::shared_postgres_server(); }

PostgresOptions options_for(const std::string& database) { return test::shared_postgres_options(database, 5000ms); }

// One proxy on a database: its pool, store (recording events) and outbox.
struct Proxy {
    explicit Proxy(const std::string& database) : client(options_for(database)), cipher(test::test_key(1), random) {
        auto opened = PostgresAccountStore::open(client, cipher, clock);
        if (!opened) FAIL("open failed: " << opened.error().message);
        accounts = std::move(opened).value();
        accounts->record_events(EventRecorder{&random, [this] { ++committed; }});
        outbox = std::make_unique<PostgresOutbox>(client);
    }
    PostgresClient client;
    SecureRandom random;
    TokenCipher cipher;
    test::FixedClock clock;
    std::unique_ptr<AccountStore> accounts;
    std::unique_ptr<WebhookOutbox> outbox;
    std::atomic<int> committed{0};
};

}  // namespace

TEST_CASE("postgres accounts: delete_account removes the row and records account.deleted with it") {
    Proxy proxy(server().create_database());
    NewAccount ada = test::new_account("1", "ada");
    ada.access_token.clear();
    ada.access_token_secret.clear();
    ada.oauth2 = OAuth2Grant{"at-access", "rt-refresh", 1714570496};
    const Account stored = proxy.accounts->register_account(ada).value();
    REQUIRE(proxy.accounts->refresh_tokens_and_sign_in("1", "t", "s").ok());
    REQUIRE(proxy.accounts->store_oauth2_grant("1", *ada.oauth2, false).ok());  // a renewal: no event
    const Account before = proxy.accounts->find_by_id(stored.id).value().value();

    auto deleted = proxy.accounts->delete_account(stored.id);
    REQUIRE(deleted.ok());
    CHECK(deleted.value().twitter_id == "1");
    CHECK_FALSE(proxy.accounts->find_by_twitter_id("1").value().has_value());
    CHECK(proxy.accounts->oauth2_grant_of("1").error().kind == AccountErrorKind::not_found);
    CHECK(proxy.accounts->delete_account(stored.id).error().kind == AccountErrorKind::not_found);
    CHECK(proxy.accounts->refresh_tokens_and_sign_in("1", "t", "s").error().kind == AccountErrorKind::not_found);
    CHECK(proxy.committed == 3);

    auto events = proxy.outbox->claim(proxy.clock.now * 1000, 60000, 10).value();
    REQUIRE(events.size() == 3);
    CHECK(events[0].type == "account.created");
    CHECK(events[1].type == "account.signed_in");
    CHECK(events[2].type == "account.deleted");
    const json body = json::parse(events[2].body);
    CHECK(body.at("type") == "account.deleted");
    CHECK(body.at("id") == events[2].event_id);
    CHECK(body.at("created_at") == "2024-05-01T12:34:56Z");
    CHECK(body.at("data").at("user") == api::to_json(to_api_user(before)));
    for (const OutboxEvent& event : events) {
        CHECK(event.body.find("at-access") == std::string::npos);
        CHECK(event.body.find("rt-refresh") == std::string::npos);
        CHECK(event.body.find("TokenPlaintextMarker") == std::string::npos);
    }
    // The same X user again: a new account with a new id.
    CHECK(proxy.accounts->register_account(test::new_account("1", "ada")).value().id > stored.id);
}

TEST_CASE("postgres accounts: a registration that loses a race records no event") {
    Proxy proxy(server().create_database());
    REQUIRE(proxy.accounts->register_account(test::new_account("1", "ada")).ok());
    CHECK(proxy.accounts->register_account(test::new_account("1", "bob")).error().kind ==
          AccountErrorKind::already_registered);
    CHECK(proxy.accounts->register_account(test::new_account("2", "ADA")).error().kind ==
          AccountErrorKind::username_taken);
    CHECK(proxy.committed == 1);
    CHECK(proxy.outbox->claim(proxy.clock.now * 1000, 60000, 10).value().size() == 1);
}

TEST_CASE("postgres outbox: retry_at, remove and next_due") {
    Proxy proxy(server().create_database());
    REQUIRE(proxy.accounts->register_account(test::new_account("1", "ada")).ok());
    const std::int64_t now = proxy.clock.now * 1000;
    CHECK(proxy.outbox->next_due().value() == now);
    auto claimed = proxy.outbox->claim(now, 60000, 10).value();
    REQUIRE(claimed.size() == 1);
    CHECK(proxy.outbox->claim(now + 59999, 60000, 10).value().empty());
    CHECK(proxy.outbox->next_due().value() == now + 60000);
    REQUIRE(proxy.outbox->retry_at(claimed[0].row, now + 2000).value());
    CHECK(proxy.outbox->claim(now + 1999, 60000, 10).value().empty());
    auto again = proxy.outbox->claim(now + 2000, 60000, 10).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 1);
    CHECK(again[0].body == claimed[0].body);
    REQUIRE(proxy.outbox->remove(again[0].row).value());
    CHECK_FALSE(proxy.outbox->next_due().value().has_value());
}

TEST_CASE("postgres outbox: proxies claiming at once each get different events, and together all of them") {
    const std::string database = server().create_database();
    Proxy writer(database);
    constexpr int events = 60;
    for (int i = 0; i < events; ++i) {
        REQUIRE(writer.accounts->register_account(test::new_account(std::to_string(i + 1), "u" + std::to_string(i)))
                    .ok());
    }
    const std::int64_t now = writer.clock.now * 1000;
    std::vector<std::unique_ptr<Proxy>> proxies;
    for (int i = 0; i < 3; ++i) proxies.push_back(std::make_unique<Proxy>(database));
    std::mutex mutex;
    std::vector<std::string> claimed;
    std::atomic<bool> failed{false};  // Catch2's assertions are not for other threads
    std::vector<std::thread> threads;
    for (auto& proxy : proxies) {
        threads.emplace_back([&, p = proxy.get()] {
            for (;;) {
                auto batch = p->outbox->claim(now, 60000, 4);
                if (!batch.ok()) {
                    failed = true;
                    return;
                }
                if (batch.value().empty()) return;
                std::lock_guard<std::mutex> lock(mutex);
                for (const OutboxEvent& event : batch.value()) claimed.push_back(event.event_id);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK_FALSE(failed);
    CHECK(claimed.size() == events);
    CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == events);
}
