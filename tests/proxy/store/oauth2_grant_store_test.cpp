#include <catch2/catch.hpp>

#include <string>

#include "support/account_test_support.h"
#include "store/token_key_rotation.h"

using perch::AccountErrorKind;
using perch::OAuth2Grant;
using perch::test::AccountFixture;
using perch::test::new_account;

namespace {

perch::NewAccount oauth2_account(const std::string& id, const std::string& username) {
    perch::NewAccount account = new_account(id, username);
    account.access_token.clear();
    account.access_token_secret.clear();
    account.oauth2 = OAuth2Grant{"AccessPlaintextMarker-" + id, "RefreshPlaintextMarker-" + id, 1714570496};
    return account;
}

}  // namespace

TEST_CASE("An OAuth 2.0 sign-up stores its grant sealed, and no OAuth 1.0a tokens") {
    AccountFixture fixture;
    auto store = fixture.open();
    const auto registered = store->register_account(oauth2_account("7", "ada"));
    REQUIRE(registered.ok());
    CHECK(registered.value().sealed_access_token.empty());
    CHECK(registered.value().sealed_oauth2.expires_at == 1714570496);
    const auto grant = store->oauth2_grant_of("7");
    REQUIRE(grant.ok());
    CHECK(grant.value().access_token == "AccessPlaintextMarker-7");
    CHECK(grant.value().refresh_token == "RefreshPlaintextMarker-7");
    CHECK(grant.value().expires_at == 1714570496);
    const auto tokens = store->tokens_of("7");
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token.empty());
    store.reset();
    const std::string file = perch::test::read_bytes(fixture.path) + perch::test::read_bytes(fixture.path + "-wal");
    CHECK(file.find("PlaintextMarker") == std::string::npos);
}

TEST_CASE("A returning OAuth 2.0 sign-in replaces the grant and the sign-in time; a refresh keeps the time") {
    AccountFixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(oauth2_account("7", "ada")).ok());
    fixture.clock.now += 60;
    const auto signed_in = store->store_oauth2_grant("7", OAuth2Grant{"AT-2", "", 0}, true);
    REQUIRE(signed_in.ok());
    CHECK(signed_in.value().last_sign_in_at == "2024-05-01T12:35:56Z");
    CHECK(store->oauth2_grant_of("7").value().access_token == "AT-2");
    CHECK(store->oauth2_grant_of("7").value().refresh_token.empty());
    fixture.clock.now += 60;
    const auto refreshed = store->store_oauth2_grant("7", OAuth2Grant{"AT-3", "RT-3", 5}, false);
    REQUIRE(refreshed.ok());
    CHECK(refreshed.value().last_sign_in_at == "2024-05-01T12:35:56Z");
    CHECK(store->oauth2_grant_of("7").value().refresh_token == "RT-3");
    CHECK(store->store_oauth2_grant("8", OAuth2Grant{"AT", "", 0}, true).error().kind == AccountErrorKind::not_found);
    CHECK(store->store_oauth2_grant("7", OAuth2Grant{"", "", 0}, true).error().kind == AccountErrorKind::invalid);
}

TEST_CASE("An OAuth 1.0a account has no OAuth 2.0 grant until it signs in with OAuth 2.0, and keeps its tokens") {
    AccountFixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(new_account("1", "grace")).ok());
    CHECK(store->oauth2_grant_of("1").error().kind == AccountErrorKind::not_found);
    REQUIRE(store->store_oauth2_grant("1", OAuth2Grant{"AT", "RT", 0}, true).ok());
    CHECK(store->oauth2_grant_of("1").value().access_token == "AT");
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-grace");
}

TEST_CASE("A sealed grant moved to another account does not open") {
    AccountFixture fixture;
    auto store = fixture.open();
    REQUIRE(store->register_account(oauth2_account("7", "ada")).ok());
    REQUIRE(store->register_account(oauth2_account("8", "bob")).ok());
    store.reset();
    {
        perch::sqlite::Database raw(fixture.path, perch::sqlite::Database::Mode::read_write);
        raw.exec("UPDATE accounts SET oauth2_refresh_token = (SELECT oauth2_refresh_token FROM accounts WHERE "
                 "twitter_id = '7') WHERE twitter_id = '8'");
    }
    store = fixture.open();
    const auto moved = store->oauth2_grant_of("8");
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind == AccountErrorKind::token_unreadable);
    CHECK(moved.error().message.find("oauth2_refresh_token of account row 2") != std::string::npos);
}

TEST_CASE("Key rotation re-seals OAuth 2.0 grants with the OAuth 1.0a tokens") {
    AccountFixture fixture;
    {
        auto store = fixture.open();
        REQUIRE(store->register_account(oauth2_account("7", "ada")).ok());
        REQUIRE(store->register_account(new_account("1", "grace")).ok());
    }
    perch::SecureRandom random;
    const perch::TokenCipher next(perch::test::test_key(9), random);
    const auto rotated = perch::rotate_token_key(fixture.path, fixture.cipher, next);
    REQUIRE(rotated.ok());
    CHECK(rotated.value().accounts == 2);
    CHECK(rotated.value().tokens == 4);
    auto store = perch::SqliteAccountStore::open(fixture.options(), next, fixture.clock);
    REQUIRE(store.ok());
    CHECK(store.value()->oauth2_grant_of("7").value().refresh_token == "RefreshPlaintextMarker-7");
    CHECK(store.value()->tokens_of("1").value().token == "1-TokenPlaintextMarker-grace");
}

TEST_CASE("A schema 2 database gains the grant columns and keeps its accounts") {
    AccountFixture fixture;
    perch::test::write_schema_1_database(fixture.path, fixture.cipher, {"1"});
    auto store = fixture.open();
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-u1");
    CHECK(store->oauth2_grant_of("1").error().kind == AccountErrorKind::not_found);
    REQUIRE(store->store_oauth2_grant("1", OAuth2Grant{"AT", "RT", 9}, true).ok());
    CHECK(store->oauth2_grant_of("1").value().expires_at == 9);
}
