// Accounts in PostgreSQL (PERCH_DATABASE=postgresql://…), for several proxies
// sharing one database: the same schema and rules as SqliteAccountStore
// (unique X id, username unique case-insensitively, tokens sealed under
// PERCH_TOKEN_KEY and bound to their row), with versioned migrations that run
// at start under an advisory lock, so instances starting together migrate once.
//
// Concurrency comes from the database: a registration is one transaction, and
// a unique violation from a racing instance is the same 409 a lone instance
// gives (already_registered before username_taken). Connections come from a
// bounded pool (postgres_client.h); a server that cannot be reached, or a
// caller that waits too long for a connection, is AccountErrorKind::unavailable.
#pragma once

#include <memory>

#include "base/clock.h"
#include "store/account_store.h"
#include "store/postgres_client.h"
#include "store/token_cipher.h"

namespace perch {

class PostgresAccountStore final : public AccountStore {
public:
    // Migrates the database (under the advisory lock) and checks that `cipher`
    // holds the key the stored tokens are sealed with (a new database records
    // it), in one transaction. `client`, `cipher` and `clock` must outlive the
    // store. Errors: schema_refused, token_key_mismatch, unavailable, storage.
    static AccountResult<std::unique_ptr<AccountStore>> open(PostgresClient& client, const TokenCipher& cipher,
                                                             const Clock& clock);

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
    PostgresAccountStore(PostgresClient& client, const TokenCipher& cipher, const Clock& clock);

    // Runs one UPDATE/DELETE … RETURNING the account, with `event` (when
    // recording) in the same transaction. Errors: not_found, storage, unavailable.
    AccountResult<Account> change_one(const std::string& sql, const std::vector<PgParam>& params,
                                      std::optional<WebhookEventType> event, std::int64_t now_seconds,
                                      const char* not_found);
    AccountResult<std::optional<Account>> find_one(const char* where, const std::vector<PgParam>& params);

    PostgresClient& client_;
    const TokenCipher& cipher_;
    const Clock& clock_;
};

}  // namespace perch
