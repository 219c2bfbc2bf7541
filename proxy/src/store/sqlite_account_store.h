// Accounts in an embedded SQLite database (PERCH_DATABASE).
//
// Durability: WAL journal with synchronous=FULL, so every write that returned
// success has been fsynced and survives a kill -9 and a power cut alike.
// (NORMAL would survive kill -9 but could drop the last registrations on power
// loss after the user was told "201 Created".) Registrations and sign-ins are
// rare, human-paced events, so the fsync per write costs nothing that matters.
//
// Threads: cpp-httplib calls from a thread pool. The store keeps two
// connections, each used under its own mutex: one for writes, one for reads
// (PRAGMA query_only). In WAL mode a reader never waits for a writer, so
// /api/me lookups never queue behind a registration's fsync. Each connection
// caches its prepared statements. All methods are safe to call concurrently.
//
// Errors: every method returns AccountResult; sqlite::Failure and the
// migrations' exceptions are caught inside this implementation.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "store/account_store.h"
#include "store/token_cipher.h"

namespace perch {

struct AccountStoreOptions {
    // full: every successful write is fsynced (survives power loss). normal: a
    //   write survives kill -9 but the last ones may be lost on power loss;
    //   about 10x the write rate. Production uses full (see the top of this file).
    enum class Durability { full, normal };

    std::string path = "perch.db";  // PERCH_DATABASE
    int busy_timeout_ms = 5000;     // wait this long for another process's lock
    Durability durability = Durability::full;
};

class SqliteAccountStore final : public AccountStore {
public:
    // Opens (creating if needed) and migrates the database, and checks that
    // `cipher` holds the key the stored tokens are sealed with (token_key_check.h;
    // a new database records it), all in one transaction. `cipher` and `clock`
    // must outlive the store. Errors: schema_refused, token_key_mismatch, storage.
    static AccountResult<std::unique_ptr<AccountStore>> open(const AccountStoreOptions& options,
                                                             const TokenCipher& cipher,
                                                             const Clock& clock);
    ~SqliteAccountStore() override;
    SqliteAccountStore(const SqliteAccountStore&) = delete;
    SqliteAccountStore& operator=(const SqliteAccountStore&) = delete;

    AccountResult<Account> register_account(const NewAccount& account) override;
    AccountResult<std::optional<Account>> find_by_twitter_id(std::string_view twitter_id) override;
    AccountResult<std::optional<Account>> find_by_id(std::int64_t id) override;
    AccountResult<Account> refresh_tokens_and_sign_in(std::string_view twitter_id, std::string_view access_token,
                                                      std::string_view access_token_secret) override;
    AccountResult<Account> store_oauth2_grant(std::string_view twitter_id, const OAuth2Grant& grant,
                                              bool signing_in) override;
    AccountResult<OAuth2Grant> oauth2_grant_of(std::string_view twitter_id) override;
    AccountResult<AccessTokens> tokens_of(std::string_view twitter_id) override;
    AccountResult<AccessTokens> decrypt_tokens(const Account& account) const override;
    AccountResult<std::int64_t> count() override;
    AccountResult<Account> delete_account(std::int64_t id) override;

private:
    struct Connection;
    SqliteAccountStore(const TokenCipher& cipher, const Clock& clock, std::unique_ptr<Connection> writer,
                 std::unique_ptr<Connection> reader);

    const TokenCipher& cipher_;
    const Clock& clock_;
    std::unique_ptr<Connection> writer_;
    std::unique_ptr<Connection> reader_;
};

}  // namespace perch
