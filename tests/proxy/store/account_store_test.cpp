// The account store's contract (store/account_store.h), one suite run on
// both engines: every case below runs on SQLite and on a real PostgreSQL
// (tests/support/account_backends.h). What only one engine has lives beside
// it: sqlite_account_store_test.cpp (the file, WAL, old schemas, rotation)
// and postgres_account_store_test.cpp (instances, advisory lock, restarts).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/account_backends.h"

using perch::AccountErrorKind;
using perch::OAuth2Grant;
using perch::test::new_account;
using perch::test::oauth2_account;
using perch::test::PostgresBackend;
using perch::test::SqliteBackend;
using perch::test::test_key;

namespace {

template <typename Backend>
std::unique_ptr<perch::AccountStore> open_store(Backend& backend) {
    auto store = backend.try_open(backend.cipher);
    if (!store) FAIL(Backend::engine << ": open failed: " << store.error().message);
    return std::move(store).value();
}

const char* const unreadable_suffix =
    " does not open: sealed token failed authentication (tampered, wrong key, or another account's value)";

}  // namespace

#define BOTH_ENGINES(name) TEMPLATE_TEST_CASE(name, "[accounts]", SqliteBackend, PostgresBackend)

BOTH_ENGINES("A registered account is found by Twitter id and by id with every field") {
    TestType backend;
    auto store = open_store(backend);
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

BOTH_ENGINES("Looking up an unknown account finds nothing") {
    TestType backend;
    auto store = open_store(backend);
    const auto by_twitter = store->find_by_twitter_id("999");
    REQUIRE(by_twitter.ok());
    CHECK_FALSE(by_twitter.value().has_value());
    const auto by_id = store->find_by_id(999);
    REQUIRE(by_id.ok());
    CHECK_FALSE(by_id.value().has_value());
    CHECK(store->count().value() == 0);
}

BOTH_ENGINES("The browser's view of an account carries no token") {
    TestType backend;
    auto store = open_store(backend);
    const auto account = store->register_account(new_account("77", "grace")).value();
    const perch::api::User user = perch::to_api_user(account);
    CHECK(user.twitter_id == "77");
    CHECK(user.username == "grace");
    CHECK(user.email == "grace@example.com");
    CHECK(user.picture == "https://pbs.twimg.com/profile_images/1/grace.jpg");
    CHECK(user.created_at == "2024-05-01T12:34:56Z");
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

BOTH_ENGINES("Registering a Twitter id twice fails with already_registered") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1234", "ada")).ok());
    // Even with the same username, the Twitter id is what is reported.
    for (const char* username : {"someone_else", "ada", "ADA"}) {
        const auto again = store->register_account(new_account("1234", username));
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().kind == AccountErrorKind::already_registered);
        CHECK(again.error().message == "this Twitter account is already registered");
    }
    CHECK(store->count().value() == 1);
}

BOTH_ENGINES("A username taken in any letter case fails with username_taken") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1", "Ada_L")).ok());
    for (const char* username : {"Ada_L", "ada_l", "ADA_L"}) {
        const auto taken = store->register_account(new_account("2", username));
        REQUIRE_FALSE(taken.ok());
        CHECK(taken.error().kind == AccountErrorKind::username_taken);
        CHECK(taken.error().message == "this username is taken");
    }
    CHECK(store->register_account(new_account("2", "Ada_M")).ok());
    CHECK(store->count().value() == 2);
}

BOTH_ENGINES("The store refuses values beyond its own limits") {
    TestType backend;
    auto store = open_store(backend);
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
        CHECK(result.error().kind == AccountErrorKind::invalid);
        CHECK(result.error().message == c.expected);
    }
    CHECK(store->count().value() == 0);
}

BOTH_ENGINES("Signing in again stores new tokens and the sign-in time") {
    TestType backend;
    auto store = open_store(backend);
    const auto first = store->register_account(new_account("1234", "ada")).value();
    backend.clock.now += 3600;
    const auto refreshed = store->refresh_tokens_and_sign_in("1234", "new-token", "new-secret");
    REQUIRE(refreshed.ok());
    CHECK(refreshed.value().id == first.id);
    CHECK(refreshed.value().created_at == "2024-05-01T12:34:56Z");
    CHECK(refreshed.value().last_sign_in_at == "2024-05-01T13:34:56Z");
    const auto found = store->find_by_twitter_id("1234").value();
    REQUIRE(found.has_value());
    CHECK(found->last_sign_in_at == "2024-05-01T13:34:56Z");
    const auto tokens = store->decrypt_tokens(*found);
    REQUIRE(tokens.ok());
    CHECK(tokens.value().token == "new-token");
    CHECK(tokens.value().secret == "new-secret");
    CHECK(store->count().value() == 1);
}

BOTH_ENGINES("Signing in an unknown Twitter id fails with not_found") {
    TestType backend;
    auto store = open_store(backend);
    const auto result = store->refresh_tokens_and_sign_in("404", "token", "secret");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == AccountErrorKind::not_found);
    CHECK(result.error().message == "no account for this Twitter id");
    const auto empty = store->refresh_tokens_and_sign_in("404", "", "secret");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().kind == AccountErrorKind::invalid);
    CHECK(empty.error().message == "access_token is empty");
}

BOTH_ENGINES("Reopening a database keeps its accounts and schema") {
    TestType backend;
    {
        auto store = open_store(backend);
        REQUIRE(store->register_account(new_account("1", "ada")).ok());
    }
    auto store = open_store(backend);
    CHECK(store->count().value() == 1);
    const auto found = store->find_by_twitter_id("1").value();
    REQUIRE(found.has_value());
    CHECK(store->decrypt_tokens(*found).value().secret == "SecretPlaintextMarker-ada");
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    CHECK(store->find_by_twitter_id("2").value()->id == 2);
    CHECK(backend.schema_version() == "4");
}

BOTH_ENGINES("A database with a newer schema is refused and left at that version") {
    TestType backend;
    open_store(backend);
    backend.mark_newer_schema(5);
    const auto store = backend.try_open(backend.cipher);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == AccountErrorKind::schema_refused);
    CHECK_THAT(store.error().message, Catch::Contains("schema version 5 is newer than this perch-proxy"));
    CHECK(backend.schema_version() == "5");
}

BOTH_ENGINES("Another program's database is refused before anything is written") {
    TestType backend;
    backend.exec("CREATE TABLE notes (x TEXT)");
    backend.exec("INSERT INTO notes VALUES ('keep me')");
    const auto store = backend.try_open(backend.cipher);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == AccountErrorKind::schema_refused);
    CHECK(backend.tables() == "notes");
    CHECK(backend.query("SELECT x FROM notes") == "keep me");
}

BOTH_ENGINES("Tokens and grants are not stored in clear") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1234", "ada")).ok());
    REQUIRE(store->refresh_tokens_and_sign_in("1234", "RefreshedTokenMarker", "RefreshedSecretMarker").ok());
    REQUIRE(store->register_account(new_account("5678", "grace")).ok());
    REQUIRE(store->register_account(oauth2_account("9", "hopper")).ok());
    REQUIRE(store->store_oauth2_grant("1234", OAuth2Grant{"GrantAccessMarker", "GrantRefreshMarker", 7}, true).ok());

    const std::string bytes = backend.stored_bytes();
    // Positive control: the plain columns are there, so the search does see the data.
    REQUIRE(bytes.find("ada@example.com") != std::string::npos);
    REQUIRE(bytes.find("hopper@example.com") != std::string::npos);
    for (const char* secret : {"TokenPlaintextMarker", "SecretPlaintextMarker", "RefreshedTokenMarker",
                               "RefreshedSecretMarker", "AccessPlaintextMarker", "RefreshPlaintextMarker",
                               "GrantAccessMarker", "GrantRefreshMarker"}) {
        INFO(TestType::engine << ": " << secret);
        CHECK(bytes.find(secret) == std::string::npos);
    }
}

BOTH_ENGINES("A sealed token moved to another row or field does not decrypt") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    // Row 2 gets row 1's token; row 1's token and secret swap places.
    backend.exec("UPDATE accounts SET access_token = (SELECT access_token FROM accounts WHERE twitter_id = '1') "
                 "WHERE twitter_id = '2'");
    backend.exec("UPDATE accounts SET access_token = access_token_secret, access_token_secret = access_token "
                 "WHERE twitter_id = '1'");
    for (const char* id : {"1", "2"}) {
        const auto account = store->find_by_twitter_id(id).value();
        REQUIRE(account.has_value());
        const auto tokens = store->decrypt_tokens(*account);
        REQUIRE_FALSE(tokens.ok());
        CHECK(tokens.error().kind == AccountErrorKind::token_unreadable);
        CHECK(tokens.error().message ==
              "the stored access_token of account row " + std::to_string(account->id) + unreadable_suffix);
    }
}

BOTH_ENGINES("tokens_of opens an account's tokens and fails closed when a ciphertext was swapped in") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1", "ada")).ok());
    REQUIRE(store->register_account(new_account("2", "grace")).ok());
    CHECK(store->tokens_of("2").value().token == "2-TokenPlaintextMarker-grace");
    CHECK(store->tokens_of("999").error().kind == AccountErrorKind::not_found);
    // Row 2's secret is now row 1's: a valid ciphertext under the right key, in the wrong place.
    backend.exec("UPDATE accounts SET access_token_secret = (SELECT access_token_secret FROM accounts "
                 "WHERE twitter_id = '1') WHERE twitter_id = '2'");
    const auto tokens = store->tokens_of("2");
    REQUIRE_FALSE(tokens.ok());
    CHECK(tokens.error().kind == AccountErrorKind::token_unreadable);
    CHECK(tokens.error().message == std::string("the stored access_token_secret of account row 2") + unreadable_suffix);
    // The untouched account still opens: the failure is the swapped row's alone.
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-ada");
}

BOTH_ENGINES("Tokens stored under one key do not decrypt under another") {
    TestType backend;
    auto store = open_store(backend);
    const auto account = store->register_account(new_account("1", "ada")).value();
    const perch::TokenCipher other(test_key(2), backend.random);
    const auto opened = perch::open_tokens(
        other, account.id, account.twitter_id,
        perch::SealedTokens{account.sealed_access_token, account.sealed_access_token_secret});
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().message == std::string("the stored access_token of account row 1") + unreadable_suffix);
}

BOTH_ENGINES("A database is refused, unchanged, under another token key; its own key opens it again") {
    TestType backend;
    {
        auto store = open_store(backend);
        REQUIRE(store->register_account(new_account("1", "ada")).ok());
    }
    const std::string before = backend.stored_bytes();
    for (unsigned char seed : {2, 3}) {
        const perch::TokenCipher other(test_key(seed), backend.random);
        const auto store = backend.try_open(other);
        REQUIRE_FALSE(store.ok());
        CHECK(store.error().kind == AccountErrorKind::token_key_mismatch);
        CHECK(store.error().message == "the token key does not match the database's key check value");
    }
    CHECK(backend.stored_bytes() == before);
    auto store = open_store(backend);
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-ada");
}

BOTH_ENGINES("A database without accounts is refused under another key too") {
    TestType backend;
    open_store(backend);
    const perch::TokenCipher other(test_key(2), backend.random);
    const auto store = backend.try_open(other);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind == AccountErrorKind::token_key_mismatch);
}

BOTH_ENGINES("An OAuth 2.0 sign-up stores its grant sealed, and no OAuth 1.0a tokens") {
    TestType backend;
    auto store = open_store(backend);
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
}

BOTH_ENGINES("A returning OAuth 2.0 sign-in replaces the grant and the sign-in time; a refresh keeps the time") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(oauth2_account("7", "ada")).ok());
    backend.clock.now += 60;
    const auto signed_in = store->store_oauth2_grant("7", OAuth2Grant{"AT-2", "", 0}, true);
    REQUIRE(signed_in.ok());
    CHECK(signed_in.value().last_sign_in_at == "2024-05-01T12:35:56Z");
    CHECK(store->oauth2_grant_of("7").value().access_token == "AT-2");
    CHECK(store->oauth2_grant_of("7").value().refresh_token.empty());
    backend.clock.now += 60;
    const auto refreshed = store->store_oauth2_grant("7", OAuth2Grant{"AT-3", "RT-3", 5}, false);
    REQUIRE(refreshed.ok());
    CHECK(refreshed.value().last_sign_in_at == "2024-05-01T12:35:56Z");
    CHECK(store->oauth2_grant_of("7").value().refresh_token == "RT-3");
    CHECK(store->store_oauth2_grant("8", OAuth2Grant{"AT", "", 0}, true).error().kind == AccountErrorKind::not_found);
    CHECK(store->store_oauth2_grant("7", OAuth2Grant{"", "", 0}, true).error().kind == AccountErrorKind::invalid);
}

BOTH_ENGINES("An OAuth 1.0a account has no OAuth 2.0 grant until it signs in with OAuth 2.0, and keeps its tokens") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(new_account("1", "grace")).ok());
    CHECK(store->oauth2_grant_of("1").error().kind == AccountErrorKind::not_found);
    REQUIRE(store->store_oauth2_grant("1", OAuth2Grant{"AT", "RT", 0}, true).ok());
    CHECK(store->oauth2_grant_of("1").value().access_token == "AT");
    CHECK(store->tokens_of("1").value().secret == "SecretPlaintextMarker-grace");
}

BOTH_ENGINES("A sealed grant moved to another account does not open") {
    TestType backend;
    auto store = open_store(backend);
    REQUIRE(store->register_account(oauth2_account("7", "ada")).ok());
    REQUIRE(store->register_account(oauth2_account("8", "bob")).ok());
    backend.exec("UPDATE accounts SET oauth2_refresh_token = (SELECT oauth2_refresh_token FROM accounts WHERE "
                 "twitter_id = '7') WHERE twitter_id = '8'");
    const auto moved = store->oauth2_grant_of("8");
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind == AccountErrorKind::token_unreadable);
    CHECK_THAT(moved.error().message, Catch::Contains("oauth2_refresh_token of account row 2"));
}

BOTH_ENGINES("Concurrent registrations of the same Twitter id have exactly one winner") {
    TestType backend;
    auto store = open_store(backend);
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

BOTH_ENGINES("Concurrent registrations of the same username have exactly one winner") {
    TestType backend;
    auto store = open_store(backend);
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
            else if (result.error().kind == AccountErrorKind::username_taken) ++taken;
        });
    }
    go = 1;
    for (auto& worker : workers) worker.join();
    CHECK(won == 1);
    CHECK(taken == threads - 1);
    CHECK(store->count().value() == 1);
}
