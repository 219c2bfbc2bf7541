// OAuth 2.0 grants in what only SQLite has: key rotation of the file and
// older schemas. The grant contract on both engines is in account_store_test.cpp.
#include <catch2/catch.hpp>

#include <string>

#include "support/account_test_support.h"
#include "store/token_key_rotation.h"

using perch::AccountErrorKind;
using perch::OAuth2Grant;
using perch::test::AccountFixture;
using perch::test::new_account;
using perch::test::oauth2_account;

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
