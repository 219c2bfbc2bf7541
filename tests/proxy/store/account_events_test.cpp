// SqliteAccountStore: deleting an account, and webhook events written to the
// outbox in the same transaction as the change they report (SqliteOutbox).
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "store/sqlite_outbox.h"
#include "support/account_test_support.h"

using namespace perch;
using perch::test::new_account;
using json = nlohmann::json;

namespace {

struct Fixture : test::AccountFixture {
    // A store recording events, counting the commits it reports.
    std::unique_ptr<AccountStore> open_recording() {
        auto store = open();
        store->record_events(EventRecorder{&random, [this] { ++committed; }});
        return store;
    }
    // The outbox rows, oldest first: type and parsed body.
    std::vector<std::pair<std::string, json>> events() {
        sqlite::Database raw(path, sqlite::Database::Mode::read_write);
        auto select = raw.cached("SELECT type, body FROM webhook_outbox ORDER BY id");
        std::vector<std::pair<std::string, json>> rows;
        while (select->step()) rows.emplace_back(select->column_text(0), json::parse(select->column_text(1)));
        return rows;
    }
    int committed = 0;
};

OAuth2Grant grant() { return OAuth2Grant{"at-access", "rt-refresh", 1714570496}; }

}  // namespace

TEST_CASE("delete_account removes the account with its tokens and grant, and answers what it was") {
    Fixture fixture;
    auto store = fixture.open();
    NewAccount ada = new_account("1", "ada");
    ada.access_token.clear();
    ada.access_token_secret.clear();
    ada.oauth2 = grant();
    const Account stored = store->register_account(ada).value();
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    const auto checkpointed_file = [&] {
        sqlite::Database raw(fixture.path, sqlite::Database::Mode::read_write);
        raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        return test::read_bytes(fixture.path);
    };
    REQUIRE(checkpointed_file().find(stored.sealed_oauth2.access_token) != std::string::npos);

    auto deleted = store->delete_account(stored.id);
    REQUIRE(deleted.ok());
    CHECK(deleted.value().twitter_id == "1");
    CHECK(deleted.value().username == "ada");
    CHECK_FALSE(store->find_by_id(stored.id).value().has_value());
    CHECK(store->oauth2_grant_of("1").error().kind == AccountErrorKind::not_found);
    CHECK(store->count().value() == 1);
    CHECK(store->find_by_twitter_id("2").value().has_value());

    auto again = store->delete_account(stored.id);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().kind == AccountErrorKind::not_found);
    // secure_delete: the sealed tokens are not left in the file's free pages.
    store.reset();
    CHECK(checkpointed_file().find(stored.sealed_oauth2.access_token) == std::string::npos);
}

TEST_CASE("A deleted account's id is never given to a new account, even the highest one") {
    Fixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    const std::int64_t last = store->register_account(new_account("2", "grace")).value().id;
    REQUIRE(store->delete_account(last).ok());
    const std::int64_t next = store->register_account(new_account("2", "grace")).value().id;
    CHECK(next > last);
    // And across a reopen.
    REQUIRE(store->delete_account(next).ok());
    store = fixture.open();
    CHECK(store->register_account(new_account("3", "hopper")).value().id > next);
}

TEST_CASE("Migrating to schema 4 keeps every account, id and token") {
    Fixture fixture;
    test::write_schema_1_database(fixture.path, fixture.cipher, {"7", "9"});
    auto store = fixture.open();
    CHECK(store->find_by_twitter_id("7").value()->id == 1);
    CHECK(store->find_by_twitter_id("9").value()->id == 2);
    CHECK(store->tokens_of("9").value().token == "9-TokenPlaintextMarker-u9");
    sqlite::Database raw(fixture.path, sqlite::Database::Mode::read_write);
    CHECK(raw.query_int64("SELECT count(*) FROM webhook_outbox") == 0);
    CHECK(raw.query_text("SELECT sql FROM sqlite_schema WHERE name = 'accounts'").find("AUTOINCREMENT") !=
          std::string::npos);
}

TEST_CASE("Without record_events nothing goes to the outbox") {
    Fixture fixture;
    auto store = fixture.open();
    const Account ada = store->register_account(new_account("1", "ada")).value();
    REQUIRE(store->refresh_tokens_and_sign_in("1", "t", "s").ok());
    REQUIRE(store->delete_account(ada.id).ok());
    CHECK(fixture.events().empty());
}

TEST_CASE("Recorded events: created, signed_in, deleted, each with the /api/me user object and no token") {
    Fixture fixture;
    auto store = fixture.open_recording();
    const Account ada = store->register_account(new_account("1", "ada")).value();
    CHECK(fixture.committed == 1);
    fixture.clock.now += 60;
    REQUIRE(store->refresh_tokens_and_sign_in("1", "new-token", "new-secret").ok());
    fixture.clock.now += 60;
    REQUIRE(store->store_oauth2_grant("1", grant(), true).ok());
    // A renewal is not a sign-in: no event.
    REQUIRE(store->store_oauth2_grant("1", grant(), false).ok());
    const Account before_delete = store->find_by_id(ada.id).value().value();
    REQUIRE(store->delete_account(ada.id).ok());
    CHECK(fixture.committed == 4);

    const auto events = fixture.events();
    REQUIRE(events.size() == 4);
    CHECK(events[0].first == "account.created");
    CHECK(events[1].first == "account.signed_in");
    CHECK(events[2].first == "account.signed_in");
    CHECK(events[3].first == "account.deleted");
    const json& created = events[0].second;
    CHECK(created.at("type") == "account.created");
    CHECK(created.at("created_at") == "2024-05-01T12:34:56Z");
    CHECK(created.at("data").at("user") == api::to_json(to_api_user(ada)));
    CHECK(events[1].second.at("created_at") == "2024-05-01T12:35:56Z");
    CHECK(events[1].second.at("data").at("user").at("last_sign_in_at") == "2024-05-01T12:35:56Z");
    CHECK(events[3].second.at("data").at("user") == api::to_json(to_api_user(before_delete)));
    std::set<std::string> ids;
    for (const auto& [type, body] : events) {
        CHECK(body.size() == 4);
        CHECK(body.at("data").size() == 1);
        const std::string id = body.at("id");
        CHECK(id.size() == 26);
        CHECK(id.rfind("evt_", 0) == 0);
        ids.insert(id);
        const std::string text = body.dump();
        CHECK(text.find("TokenPlaintextMarker") == std::string::npos);
        CHECK(text.find("SecretPlaintextMarker") == std::string::npos);
        CHECK(text.find("new-token") == std::string::npos);
        CHECK(text.find("at-access") == std::string::npos);
        CHECK(text.find("rt-refresh") == std::string::npos);
    }
    CHECK(ids.size() == 4);
}

TEST_CASE("A change that fails records no event") {
    Fixture fixture;
    auto store = fixture.open_recording();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    CHECK(store->register_account(new_account("1", "other")).error().kind == AccountErrorKind::already_registered);
    CHECK(store->register_account(new_account("2", "ADA")).error().kind == AccountErrorKind::username_taken);
    CHECK(store->refresh_tokens_and_sign_in("404", "t", "s").error().kind == AccountErrorKind::not_found);
    CHECK(store->delete_account(999).error().kind == AccountErrorKind::not_found);
    CHECK(fixture.events().size() == 1);
    CHECK(fixture.committed == 1);
}

TEST_CASE("An event rolls back with its change: a failing outbox insert leaves no account") {
    Fixture fixture;
    auto store = fixture.open_recording();
    {
        sqlite::Database raw(fixture.path, sqlite::Database::Mode::read_write);
        raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON webhook_outbox BEGIN SELECT RAISE(ABORT, 'no'); END");
    }
    auto refused = store->register_account(new_account("1", "ada"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == AccountErrorKind::storage);
    CHECK(store->count().value() == 0);
    CHECK(fixture.committed == 0);
}

TEST_CASE("SqliteOutbox: claim leases due events oldest first; retry_at reschedules; remove ends them") {
    Fixture fixture;
    auto store = fixture.open_recording();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    auto outbox = SqliteOutbox::open(fixture.options()).value();
    const std::int64_t now = fixture.clock.now * 1000;

    CHECK(outbox->next_due().value() == now);
    auto claimed = outbox->claim(now, 60000, 10).value();
    REQUIRE(claimed.size() == 2);
    CHECK(claimed[0].type == "account.created");
    CHECK(json::parse(claimed[0].body).at("data").at("user").at("username") == "ada");
    CHECK(claimed[0].attempts == 0);
    CHECK(claimed[0].created_at_ms == now);
    CHECK(json::parse(claimed[0].body).at("id") == claimed[0].event_id);
    // Leased: nobody else gets them until the lease runs out.
    CHECK(outbox->claim(now + 1000, 60000, 10).value().empty());
    CHECK(outbox->next_due().value() == now + 60000);
    CHECK(outbox->claim(now + 60000, 60000, 1).value().size() == 1);

    REQUIRE(outbox->retry_at(claimed[1].row, now + 5000).value());
    REQUIRE(outbox->remove(claimed[0].row).value());
    CHECK_FALSE(outbox->remove(claimed[0].row).value());
    CHECK(outbox->next_due().value() == now + 5000);
    CHECK(outbox->claim(now + 4999, 60000, 10).value().empty());
    auto again = outbox->claim(now + 5000, 60000, 10).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].event_id == claimed[1].event_id);
    CHECK(again[0].body == claimed[1].body);
    CHECK(again[0].attempts == 1);
    REQUIRE(outbox->remove(again[0].row).value());
    CHECK_FALSE(outbox->next_due().value().has_value());
}

TEST_CASE("SqliteOutbox: a lease left by a killed proxy is released when the outbox is opened again") {
    Fixture fixture;
    auto store = fixture.open_recording();
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    const std::int64_t now = fixture.clock.now * 1000;
    {
        auto outbox = SqliteOutbox::open(fixture.options()).value();
        REQUIRE(outbox->claim(now, 60000, 10).value().size() == 1);
    }
    auto reopened = SqliteOutbox::open(fixture.options()).value();
    CHECK(reopened->claim(now, 60000, 10).value().size() == 1);
}
