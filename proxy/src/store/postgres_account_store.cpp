#include "store/postgres_account_store.h"

#include <optional>
#include <string>
#include <vector>

#include "core/constant_time.h"
#include "store/account_rules.h"
#include "store/postgres_outbox.h"
#include "store/stored_tokens.h"

namespace perch {

namespace {

// One statement each: libpq's extended protocol runs a single statement per call.
struct Migration {
    int version;
    const char* description;
    std::vector<const char*> statements;
};

const std::vector<Migration>& migrations() {
    // Usernames are unique case-insensitively through an index on lower(),
    // like SQLite's NOCASE (usernames are ASCII: the core refuses the rest).
    static const std::vector<Migration> all = {
        {1, "accounts table",
         {R"sql(CREATE TABLE accounts (
    id                  bigserial PRIMARY KEY,
    twitter_id          text NOT NULL CHECK (length(twitter_id) > 0),
    username            text NOT NULL CHECK (length(username) > 0),
    first_name          text NOT NULL,
    last_name           text NOT NULL,
    email               text NOT NULL,
    timezone            text NOT NULL,
    picture             text NOT NULL,
    access_token        bytea NOT NULL,
    access_token_secret bytea NOT NULL,
    created_at          text NOT NULL,
    last_sign_in_at     text NOT NULL,
    CONSTRAINT accounts_twitter_id_key UNIQUE (twitter_id)
))sql",
          "CREATE UNIQUE INDEX accounts_username_key ON accounts (lower(username))"}},
        {2, "metadata table", {"CREATE TABLE perch_metadata (name text PRIMARY KEY, value bytea NOT NULL)"}},
        {3, "OAuth 2.0 grant columns",
         {"ALTER TABLE accounts ADD COLUMN oauth2_access_token bytea, ADD COLUMN oauth2_refresh_token bytea, "
          "ADD COLUMN oauth2_expires_at bigint"}},
        // The webhook outbox (webhook_outbox.h): times in unix milliseconds.
        {4, "webhook outbox",
         {R"sql(CREATE TABLE webhook_outbox (
    id              bigserial PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    type            text NOT NULL,
    body            text NOT NULL,
    created_at_ms   bigint NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    locked_until    bigint NOT NULL DEFAULT 0
))sql",
          "CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)"}},
    };
    return all;
}

// pg_advisory_xact_lock's key: "Perch" in ASCII, the same for every instance.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(345001944168)";
constexpr const char* key_check_name = "token_key_check";

constexpr const char* account_columns =
    "id, twitter_id, username, first_name, last_name, email, timezone, picture, created_at, last_sign_in_at, "
    "access_token, access_token_secret, oauth2_access_token, oauth2_refresh_token, oauth2_expires_at";

Account read_account(const PgResult& rows, int row) {
    Account account;
    account.id = rows.integer(row, 0);
    account.twitter_id = rows.text(row, 1);
    account.username = rows.text(row, 2);
    account.first_name = rows.text(row, 3);
    account.last_name = rows.text(row, 4);
    account.email = rows.text(row, 5);
    account.timezone = rows.text(row, 6);
    account.picture = rows.text(row, 7);
    account.created_at = rows.text(row, 8);
    account.last_sign_in_at = rows.text(row, 9);
    account.sealed_access_token = rows.bytes(row, 10);
    account.sealed_access_token_secret = rows.bytes(row, 11);
    account.sealed_oauth2 = SealedOAuth2Grant{rows.bytes(row, 12), rows.bytes(row, 13),
                                              rows.is_null(row, 14) ? 0 : rows.integer(row, 14)};
    return account;
}

AccountError unavailable(const StoreUnavailable& failure) {
    return AccountError{AccountErrorKind::unavailable, failure.message};
}

// Runs one statement that must succeed. An SQL error becomes `error`
// (storage) and false, so the transaction rolls back.
StoreResult<bool> must(PgConnection& connection, std::string_view sql, const std::vector<PgParam>& params,
                       std::optional<AccountError>& error, std::optional<PgResult>* out = nullptr) {
    auto result = connection.exec(sql, params);
    if (!result) return result.error();
    if (!result.value().ok()) {
        error = AccountError{AccountErrorKind::storage, "PostgreSQL: " + result.value().error()};
        return false;
    }
    if (out) out->emplace(std::move(result).value());
    return true;
}

// The outcome of with_connection() with what the work recorded.
template <typename T>
AccountResult<T> outcome(const StoreResult<bool>& done, std::optional<AccountError>& error, std::optional<T>& value) {
    if (!done) return unavailable(done.error());
    if (error) return *error;
    if (!value) return AccountError{AccountErrorKind::storage, "PostgreSQL: the statement returned nothing"};
    return std::move(*value);
}

StoreResult<bool> migrate(PgConnection& tx, const TokenCipher& cipher, std::optional<AccountError>& error) {
    StoreResult<bool> step = must(tx, migration_lock, {}, error);
    if (!step || !step.value()) return step;

    // A database with tables but without Perch's ledger is someone else's.
    std::optional<PgResult> tables;
    step = must(tx,
                "SELECT count(*) FILTER (WHERE table_name = 'perch_schema_migrations'), count(*) "
                "FROM information_schema.tables WHERE table_schema = current_schema()",
                {}, error, &tables);
    if (!step || !step.value()) return step;
    const bool has_ledger = tables->integer(0, 0) > 0;
    if (!has_ledger && tables->integer(0, 1) > 0) {
        error = AccountError{AccountErrorKind::schema_refused,
                             "the database has tables but not Perch's (no perch_schema_migrations)"};
        return false;
    }
    if (!has_ledger) {
        step = must(tx,
                    "CREATE TABLE perch_schema_migrations (version integer PRIMARY KEY, description text NOT NULL, "
                    "applied_at timestamptz NOT NULL DEFAULT now())",
                    {}, error);
        if (!step || !step.value()) return step;
    }
    std::optional<PgResult> applied;
    step = must(tx, "SELECT coalesce(max(version), 0) FROM perch_schema_migrations", {}, error, &applied);
    if (!step || !step.value()) return step;
    const long long version = applied->integer(0, 0);
    if (version > migrations().back().version) {
        error = AccountError{AccountErrorKind::schema_refused,
                             "the database's schema version " + std::to_string(version) +
                                 " is newer than this perch-proxy knows (" +
                                 std::to_string(migrations().back().version) + ")"};
        return false;
    }
    for (const Migration& migration : migrations()) {
        if (migration.version <= version) continue;
        for (const char* statement : migration.statements) {
            step = must(tx, statement, {}, error);
            if (!step || !step.value()) return step;
        }
        step = must(tx, "INSERT INTO perch_schema_migrations (version, description) VALUES ($1, $2)",
                    {PgParam::text(std::to_string(migration.version)), PgParam::text(migration.description)}, error);
        if (!step || !step.value()) return step;
    }

    // The token key: the recorded check value, else the oldest account's tokens.
    std::optional<PgResult> check;
    step = must(tx, "SELECT value FROM perch_metadata WHERE name = $1", {PgParam::text(key_check_name)}, error, &check);
    if (!step || !step.value()) return step;
    if (check->rows() == 1) {
        if (!constant_time_equal(check->bytes(0, 0), cipher.key_check_value())) {
            error = AccountError{AccountErrorKind::token_key_mismatch,
                                 "the token key does not match the database's key check value"};
            return false;
        }
        return true;
    }
    std::optional<PgResult> oldest;
    step = must(tx, "SELECT id, twitter_id, access_token, access_token_secret FROM accounts ORDER BY id LIMIT 1", {},
                error, &oldest);
    if (!step || !step.value()) return step;
    if (oldest->rows() == 1 &&
        !open_tokens(cipher, oldest->integer(0, 0), oldest->text(0, 1),
                     SealedTokens{oldest->bytes(0, 2), oldest->bytes(0, 3)})) {
        error = AccountError{AccountErrorKind::token_key_mismatch,
                             "the token key does not open the stored tokens of the oldest account"};
        return false;
    }
    return must(tx, "INSERT INTO perch_metadata (name, value) VALUES ($1, $2)",
                {PgParam::text(key_check_name), PgParam::bytes(cipher.key_check_value())}, error);
}

}  // namespace

PostgresAccountStore::PostgresAccountStore(PostgresClient& client, const TokenCipher& cipher, const Clock& clock)
    : client_(client), cipher_(cipher), clock_(clock) {}

AccountResult<std::unique_ptr<AccountStore>> PostgresAccountStore::open(PostgresClient& client,
                                                                        const TokenCipher& cipher,
                                                                        const Clock& clock) {
    std::optional<AccountError> error;
    auto done = client.with_connection([&](PgConnection& connection) {
        error.reset();
        return connection.transaction([&](PgConnection& tx) { return migrate(tx, cipher, error); });
    });
    if (!done) return unavailable(done.error());
    if (error) return *error;
    return std::unique_ptr<AccountStore>(new PostgresAccountStore(client, cipher, clock));
}

AccountResult<Account> PostgresAccountStore::register_account(const NewAccount& account) {
    if (auto invalid = check_new_account(account)) return *invalid;
    const std::int64_t now_seconds = clock_.unix_seconds();
    const std::string now = format_rfc3339_utc(now_seconds);
    const SealedTokens sealed = seal_tokens(cipher_, account.twitter_id, account.access_token, account.access_token_secret);
    const SealedOAuth2Grant grant =
        account.oauth2 ? seal_oauth2_grant(cipher_, account.twitter_id, *account.oauth2) : SealedOAuth2Grant{};
    const auto optional_bytes = [](const std::string& value) {
        return value.empty() ? PgParam::null() : PgParam::bytes(value);
    };
    const std::vector<PgParam> params{
        PgParam::text(account.twitter_id), PgParam::text(account.form.username), PgParam::text(account.form.first_name),
        PgParam::text(account.form.last_name), PgParam::text(account.form.email), PgParam::text(account.form.timezone),
        PgParam::text(account.picture), PgParam::bytes(sealed.token), PgParam::bytes(sealed.secret), PgParam::text(now),
        optional_bytes(grant.access_token), optional_bytes(grant.refresh_token),
        account.oauth2 ? PgParam::text(std::to_string(grant.expires_at)) : PgParam::null()};
    const std::string insert = std::string(
        "INSERT INTO accounts (twitter_id, username, first_name, last_name, email, timezone, picture, access_token, "
        "access_token_secret, created_at, last_sign_in_at, oauth2_access_token, oauth2_refresh_token, "
        "oauth2_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) RETURNING ") +
        account_columns;

    std::optional<AccountError> error;
    std::optional<Account> stored;
    auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        error.reset();
        stored.reset();
        bool conflict = false;
        // One transaction: the account and its event exist together or not at all.
        auto committed = connection.transaction([&](PgConnection& tx) -> StoreResult<bool> {
            auto result = tx.exec(insert, params);
            if (!result) return result.error();
            if (!result.value().ok()) {
                conflict = result.value().sqlstate() == "23505";
                if (!conflict) error = AccountError{AccountErrorKind::storage, "PostgreSQL: " + result.value().error()};
                return false;
            }
            Account created = read_account(result.value(), 0);
            if (recording()) {
                auto step = must(tx, insert_event_sql,
                                 insert_event_params(event_for(WebhookEventType::account_created, now_seconds, created)),
                                 error);
                if (!step || !step.value()) return step;
            }
            stored = std::move(created);
            return true;
        });
        if (!committed) return committed.error();
        if (!conflict) return true;
        stored.reset();
        // A unique violation: the X id first (another browser or instance of
        // the same person won the race), whichever index PostgreSQL checked first.
        auto exists = connection.exec("SELECT 1 FROM accounts WHERE twitter_id = $1", {PgParam::text(account.twitter_id)});
        if (!exists) return exists.error();
        if (exists.value().ok() && exists.value().rows() > 0) {
            error = AccountError{AccountErrorKind::already_registered, "this Twitter account is already registered"};
        } else {
            error = AccountError{AccountErrorKind::username_taken, "this username is taken"};
        }
        return true;
    });
    if (done && !error && stored) events_committed();
    return outcome(done, error, stored);
}

AccountResult<std::optional<Account>> PostgresAccountStore::find_one(const char* where,
                                                                     const std::vector<PgParam>& params) {
    std::optional<AccountError> error;
    std::optional<std::optional<Account>> found;
    auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        error.reset();
        std::optional<PgResult> rows;
        auto step = must(connection, std::string("SELECT ") + account_columns + " FROM accounts WHERE " + where,
                         params, error, &rows);
        if (!step || !step.value()) return step;
        found.emplace(rows->rows() > 0 ? std::optional<Account>(read_account(*rows, 0)) : std::nullopt);
        return true;
    });
    return outcome(done, error, found);
}

AccountResult<std::optional<Account>> PostgresAccountStore::find_by_twitter_id(std::string_view twitter_id) {
    if (twitter_id.find('\0') != std::string_view::npos) return std::optional<Account>();
    return find_one("twitter_id = $1", {PgParam::text(std::string(twitter_id))});
}

AccountResult<std::optional<Account>> PostgresAccountStore::find_by_id(std::int64_t id) {
    return find_one("id = $1", {PgParam::text(std::to_string(id))});
}

AccountResult<Account> PostgresAccountStore::change_one(const std::string& sql, const std::vector<PgParam>& params,
                                                       std::optional<WebhookEventType> event,
                                                       std::int64_t now_seconds, const char* not_found) {
    std::optional<AccountError> error;
    std::optional<Account> changed;
    auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        error.reset();
        changed.reset();
        // One transaction: the change and its event together.
        return connection.transaction([&](PgConnection& tx) -> StoreResult<bool> {
            std::optional<PgResult> rows;
            auto step = must(tx, sql, params, error, &rows);
            if (!step || !step.value()) return step;
            if (rows->rows() == 0) {
                error = AccountError{AccountErrorKind::not_found, not_found};
                return false;
            }
            Account account = read_account(*rows, 0);
            if (event && recording()) {
                step = must(tx, insert_event_sql, insert_event_params(event_for(*event, now_seconds, account)), error);
                if (!step || !step.value()) return step;
            }
            changed = std::move(account);
            return true;
        });
    });
    if (done && !error && changed && event) events_committed();
    return outcome(done, error, changed);
}

AccountResult<Account> PostgresAccountStore::refresh_tokens_and_sign_in(std::string_view twitter_id,
                                                                        std::string_view access_token,
                                                                        std::string_view access_token_secret) {
    if (auto invalid = check_value("twitter_id", twitter_id, 1, max_twitter_id_bytes)) return *invalid;
    if (auto invalid = check_tokens(access_token, access_token_secret)) return *invalid;
    const SealedTokens sealed = seal_tokens(cipher_, twitter_id, access_token, access_token_secret);
    const std::int64_t now = clock_.unix_seconds();
    return change_one(std::string("UPDATE accounts SET access_token = $1, access_token_secret = $2, "
                                  "last_sign_in_at = $3 WHERE twitter_id = $4 RETURNING ") + account_columns,
                      {PgParam::bytes(sealed.token), PgParam::bytes(sealed.secret),
                       PgParam::text(format_rfc3339_utc(now)), PgParam::text(std::string(twitter_id))},
                      WebhookEventType::account_signed_in, now, "no account for this Twitter id");
}

AccountResult<Account> PostgresAccountStore::store_oauth2_grant(std::string_view twitter_id, const OAuth2Grant& grant,
                                                                bool signing_in) {
    if (auto invalid = check_value("twitter_id", twitter_id, 1, max_twitter_id_bytes)) return *invalid;
    if (auto invalid = check_oauth2(grant)) return *invalid;
    const SealedOAuth2Grant sealed = seal_oauth2_grant(cipher_, twitter_id, grant);
    const std::int64_t now = clock_.unix_seconds();
    return change_one(
        std::string("UPDATE accounts SET oauth2_access_token = $1, oauth2_refresh_token = $2, "
                    "oauth2_expires_at = $3, last_sign_in_at = CASE WHEN $4 THEN $5 ELSE last_sign_in_at END "
                    "WHERE twitter_id = $6 RETURNING ") + account_columns,
        {PgParam::bytes(sealed.access_token),
         sealed.refresh_token.empty() ? PgParam::null() : PgParam::bytes(sealed.refresh_token),
         PgParam::text(std::to_string(sealed.expires_at)), PgParam::text(signing_in ? "true" : "false"),
         PgParam::text(format_rfc3339_utc(now)), PgParam::text(std::string(twitter_id))},
        signing_in ? std::optional<WebhookEventType>(WebhookEventType::account_signed_in) : std::nullopt, now,
        "no account for this Twitter id");
}

AccountResult<Account> PostgresAccountStore::delete_account(std::int64_t id) {
    return change_one(std::string("DELETE FROM accounts WHERE id = $1 RETURNING ") + account_columns,
                      {PgParam::text(std::to_string(id))}, WebhookEventType::account_deleted, clock_.unix_seconds(),
                      "no such account");
}

AccountResult<OAuth2Grant> PostgresAccountStore::oauth2_grant_of(std::string_view twitter_id) {
    return open_account_grant(cipher_, find_by_twitter_id(twitter_id));
}

AccountResult<AccessTokens> PostgresAccountStore::tokens_of(std::string_view twitter_id) {
    return open_account_tokens(cipher_, find_by_twitter_id(twitter_id));
}

AccountResult<AccessTokens> PostgresAccountStore::decrypt_tokens(const Account& account) const {
    return open_account_tokens(cipher_, account);
}

AccountResult<std::int64_t> PostgresAccountStore::count() {
    std::optional<AccountError> error;
    std::optional<std::int64_t> total;
    auto done = client_.with_connection([&](PgConnection& connection) -> StoreResult<bool> {
        error.reset();
        std::optional<PgResult> rows;
        auto step = must(connection, "SELECT count(*) FROM accounts", {}, error, &rows);
        if (!step || !step.value()) return step;
        total = rows->integer(0, 0);
        return true;
    });
    return outcome(done, error, total);
}

}  // namespace perch
