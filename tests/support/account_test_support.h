// Shared by the account store's tests: a fixed clock, keys, accounts, a store
// on a temporary file, and raw access to the file.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "store/account_store.h"
#include "store/sqlite_account_store.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/stored_tokens.h"
#include "support/temp_dir.h"

namespace perch::test {

class FixedClock final : public Clock {
public:
    std::int64_t unix_seconds() const override { return now.load(); }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::time_point(std::chrono::seconds(now.load()));
    }
    std::atomic<std::int64_t> now{1714566896};  // 2024-05-01T12:34:56Z
};

inline TokenKey test_key(unsigned char seed) {
    TokenKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(seed + i);
    return key;
}

inline NewAccount new_account(const std::string& twitter_id, const std::string& username) {
    NewAccount account;
    account.twitter_id = twitter_id;
    account.form.username = username;
    account.form.first_name = "Ada";
    account.form.last_name = "Lovelace";
    account.form.email = username + "@example.com";
    account.form.timezone = "Europe/London";
    account.picture = "https://pbs.twimg.com/profile_images/1/" + username + ".jpg";
    account.access_token = twitter_id + "-TokenPlaintextMarker-" + username;
    account.access_token_secret = "SecretPlaintextMarker-" + username;
    return account;
}

// An OAuth 2.0 sign-up: a grant (marked, to search for it in clear), no OAuth 1.0a tokens.
inline NewAccount oauth2_account(const std::string& twitter_id, const std::string& username) {
    NewAccount account = new_account(twitter_id, username);
    account.access_token.clear();
    account.access_token_secret.clear();
    account.oauth2 = OAuth2Grant{"AccessPlaintextMarker-" + twitter_id, "RefreshPlaintextMarker-" + twitter_id, 1714570496};
    return account;
}

// A store on a file in a temporary directory, with a fixed clock.
struct AccountFixture {
    AccountFixture() : cipher(test_key(1), random) {}

    std::unique_ptr<AccountStore> open() {
        auto store = SqliteAccountStore::open(options(), cipher, clock);
        if (!store) FAIL("open failed: " << store.error().message);
        return std::move(store).value();
    }
    AccountStoreOptions options() const {
        AccountStoreOptions options;
        options.path = path;
        return options;
    }

    TempDir dir;
    std::string path = dir.file("perch.db");
    SecureRandom random;
    TokenCipher cipher;
    FixedClock clock;
};

inline std::string read_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// A BLOB literal for SQL: X'0A1B...'.
inline std::string sql_blob(const std::string& bytes) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string literal = "X'";
    for (unsigned char byte : bytes) {
        literal.push_back(digits[byte >> 4]);
        literal.push_back(digits[byte & 0x0f]);
    }
    return literal + "'";
}

// A database as a Perch with only schema 1 (no key check value) left it, with
// one account per Twitter id, tokens sealed under `cipher`.
inline void write_schema_1_database(const std::string& path, const TokenCipher& cipher,
                                    const std::vector<std::string>& twitter_ids) {
    sqlite::Database raw(path, sqlite::Database::Mode::read_write_create);
    raw.exec("PRAGMA journal_mode = WAL");
    REQUIRE(migrate(raw, {account_migrations().front()}) == 1);
    for (const std::string& id : twitter_ids) {
        const auto sealed =
            seal_tokens(cipher, id, id + "-TokenPlaintextMarker-u" + id, "SecretPlaintextMarker-u" + id);
        raw.exec("INSERT INTO accounts (twitter_id, username, first_name, last_name, email, timezone, "
                 "picture, access_token, access_token_secret, created_at, last_sign_in_at) VALUES ('" +
                 id + "', 'u" + id + "', '', '', '', '', '', " + sql_blob(sealed.token) + ", " +
                 sql_blob(sealed.secret) + ", '2024-05-01T12:34:56Z', '2024-05-01T12:34:56Z')");
    }
}

}  // namespace perch::test
