#include "store/sqlite_account_store.h"

#include <ctime>
#include <exception>
#include <mutex>

#include "store/account_rules.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/sqlite_outbox.h"
#include "store/token_key_check.h"

namespace perch {

struct SqliteAccountStore::Connection {
    Connection(const std::string& path, sqlite::Database::Mode mode) : db(path, mode) {}
    std::mutex mutex;
    sqlite::Database db;
};

namespace {

// Column order shared by every SELECT/RETURNING below and read_account().
constexpr const char* account_columns =
    "id, twitter_id, username, first_name, last_name, email, timezone, picture, "
    "created_at, last_sign_in_at, access_token, access_token_secret, "
    "oauth2_access_token, oauth2_refresh_token, oauth2_expires_at";

Account read_account(const sqlite::Statement& row) {
    Account account;
    account.id = row.column_int64(0);
    account.twitter_id = row.column_text(1);
    account.username = row.column_text(2);
    account.first_name = row.column_text(3);
    account.last_name = row.column_text(4);
    account.email = row.column_text(5);
    account.timezone = row.column_text(6);
    account.picture = row.column_text(7);
    account.created_at = row.column_text(8);
    account.last_sign_in_at = row.column_text(9);
    account.sealed_access_token = row.column_blob(10);
    account.sealed_access_token_secret = row.column_blob(11);
    account.sealed_oauth2 = SealedOAuth2Grant{row.column_blob(12), row.column_blob(13), row.column_int64(14)};
    return account;
}

// Runs `body`, turning anything SQLite (or the migrations) throw into an error.
template <typename T, typename Body>
AccountResult<T> guarded(std::string_view what, Body&& body) {
    try {
        return body();
    } catch (const SchemaRefused& e) {
        return AccountError{AccountErrorKind::schema_refused, e.what()};
    } catch (const TokenKeyMismatch& e) {
        return AccountError{AccountErrorKind::token_key_mismatch, e.what()};
    } catch (const std::exception& e) {
        return AccountError{AccountErrorKind::storage, std::string(what) + ": " + e.what()};
    }
}

void configure(sqlite::Database& db, const AccountStoreOptions& options) {
    db.exec("PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms));
    db.exec("PRAGMA foreign_keys = ON");
    // A deleted account's sealed tokens are zeroed in the file, not left in free pages.
    db.exec("PRAGMA secure_delete = ON");
    db.exec(options.durability == AccountStoreOptions::Durability::full ? "PRAGMA synchronous = FULL"
                                                                         : "PRAGMA synchronous = NORMAL");
}

}  // namespace

SqliteAccountStore::SqliteAccountStore(const TokenCipher& cipher, const Clock& clock,
                           std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader)
    : cipher_(cipher), clock_(clock), writer_(std::move(writer)), reader_(std::move(reader)) {}

SqliteAccountStore::~SqliteAccountStore() = default;

AccountResult<std::unique_ptr<AccountStore>> SqliteAccountStore::open(const AccountStoreOptions& options,
                                                                const TokenCipher& cipher,
                                                                const Clock& clock) {
    return guarded<std::unique_ptr<AccountStore>>(
        "cannot open account database " + options.path, [&]() -> std::unique_ptr<AccountStore> {
            auto writer = std::make_unique<Connection>(options.path,
                                                       sqlite::Database::Mode::read_write_create);
            configure(writer->db, options);
            // Refuse a newer or foreign file before changing anything in it.
            check_schema(writer->db, account_migrations());
            const std::string journal = writer->db.query_text("PRAGMA journal_mode = WAL");
            if (journal != "wal") {
                throw sqlite::Failure(0, "WAL journal mode unavailable (got \"" + journal + "\")");
            }
            {
                // Schema and key check together: a new database never exists without its check value.
                sqlite::Transaction transaction(writer->db);
                apply_migrations(writer->db, account_migrations());
                verify_token_key(writer->db, cipher);
                transaction.commit();
            }

            auto reader =
                std::make_unique<Connection>(options.path, sqlite::Database::Mode::read_write);
            configure(reader->db, options);
            reader->db.exec("PRAGMA query_only = ON");
            return std::unique_ptr<AccountStore>(
                new SqliteAccountStore(cipher, clock, std::move(writer), std::move(reader)));
        });
}

AccountResult<Account> SqliteAccountStore::register_account(const NewAccount& account) {
    if (auto error = check_new_account(account)) return *error;
    const std::int64_t now_seconds = clock_.unix_seconds();
    const std::string now = format_rfc3339_utc(now_seconds);
    // Encrypt before taking the lock: it needs no database.
    const SealedTokens sealed =
        seal_tokens(cipher_, account.twitter_id, account.access_token, account.access_token_secret);
    const SealedOAuth2Grant sealed_oauth2 =
        account.oauth2 ? seal_oauth2_grant(cipher_, account.twitter_id, *account.oauth2) : SealedOAuth2Grant{};

    std::lock_guard<std::mutex> lock(writer_->mutex);
    return guarded<Account>("register account", [&]() -> AccountResult<Account> {
        sqlite::Database& db = writer_->db;
        // IMMEDIATE: the checks below and the insert see the same database.
        sqlite::Transaction transaction(db);
        {
            auto exists = db.cached("SELECT 1 FROM accounts WHERE twitter_id = ?1");
            exists->bind(1, account.twitter_id);
            if (exists->step()) {
                return AccountError{AccountErrorKind::already_registered,
                                    "this Twitter account is already registered"};
            }
        }
        {
            auto taken = db.cached("SELECT 1 FROM accounts WHERE username = ?1");
            taken->bind(1, account.form.username);
            if (taken->step()) {
                return AccountError{AccountErrorKind::username_taken, "this username is taken"};
            }
        }
        Account stored;
        {
            auto insert = db.cached(
                std::string("INSERT INTO accounts (twitter_id, username, first_name, last_name, "
                            "email, timezone, picture, access_token, access_token_secret, "
                            "created_at, last_sign_in_at, oauth2_access_token, oauth2_refresh_token, "
                            "oauth2_expires_at) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13) RETURNING ") +
                account_columns);
            insert->bind(1, account.twitter_id)
                .bind(2, account.form.username)
                .bind(3, account.form.first_name)
                .bind(4, account.form.last_name)
                .bind(5, account.form.email)
                .bind(6, account.form.timezone)
                .bind(7, account.picture)
                .bind_blob(8, sealed.token)
                .bind_blob(9, sealed.secret)
                .bind(10, now)
                .bind_blob(11, sealed_oauth2.access_token)
                .bind_blob(12, sealed_oauth2.refresh_token)
                .bind(13, sealed_oauth2.expires_at);
            if (!insert->step()) throw sqlite::Failure(0, "INSERT returned no row");
            stored = read_account(*insert);
            insert->run();
        }
        if (recording()) insert_event(db, event_for(WebhookEventType::account_created, now_seconds, stored));
        transaction.commit();
        events_committed();
        return stored;
    });
}

AccountResult<std::optional<Account>> SqliteAccountStore::find_by_twitter_id(std::string_view twitter_id) {
    std::lock_guard<std::mutex> lock(reader_->mutex);
    return guarded<std::optional<Account>>("find account", [&]() -> std::optional<Account> {
        auto select = reader_->db.cached(std::string("SELECT ") + account_columns +
                                         " FROM accounts WHERE twitter_id = ?1");
        select->bind(1, twitter_id);
        if (!select->step()) return std::nullopt;
        return read_account(*select);
    });
}

AccountResult<std::optional<Account>> SqliteAccountStore::find_by_id(std::int64_t id) {
    std::lock_guard<std::mutex> lock(reader_->mutex);
    return guarded<std::optional<Account>>("find account", [&]() -> std::optional<Account> {
        auto select = reader_->db.cached(std::string("SELECT ") + account_columns +
                                         " FROM accounts WHERE id = ?1");
        select->bind(1, id);
        if (!select->step()) return std::nullopt;
        return read_account(*select);
    });
}

AccountResult<Account> SqliteAccountStore::refresh_tokens_and_sign_in(
    std::string_view twitter_id, std::string_view access_token,
    std::string_view access_token_secret) {
    if (auto error = check_value("twitter_id", twitter_id, 1, max_twitter_id_bytes)) return *error;
    if (auto error = check_tokens(access_token, access_token_secret)) return *error;
    const std::int64_t now_seconds = clock_.unix_seconds();
    const std::string now = format_rfc3339_utc(now_seconds);
    const SealedTokens sealed = seal_tokens(cipher_, twitter_id, access_token, access_token_secret);

    std::lock_guard<std::mutex> lock(writer_->mutex);
    return guarded<Account>("sign in account", [&]() -> AccountResult<Account> {
        // One transaction: both tokens, the time and the event change together.
        sqlite::Transaction transaction(writer_->db);
        auto update = writer_->db.cached(
            std::string("UPDATE accounts SET access_token = ?1, access_token_secret = ?2, "
                        "last_sign_in_at = ?3 WHERE twitter_id = ?4 RETURNING ") +
            account_columns);
        update->bind_blob(1, sealed.token).bind_blob(2, sealed.secret).bind(3, now).bind(4, twitter_id);
        if (!update->step()) {
            return AccountError{AccountErrorKind::not_found, "no account for this Twitter id"};
        }
        Account account = read_account(*update);
        update->run();
        if (recording()) {
            insert_event(writer_->db, event_for(WebhookEventType::account_signed_in, now_seconds, account));
        }
        transaction.commit();
        events_committed();
        return account;
    });
}

AccountResult<Account> SqliteAccountStore::store_oauth2_grant(std::string_view twitter_id, const OAuth2Grant& grant,
                                                              bool signing_in) {
    if (auto error = check_value("twitter_id", twitter_id, 1, max_twitter_id_bytes)) return *error;
    if (auto error = check_oauth2(grant)) return *error;
    const std::int64_t now_seconds = clock_.unix_seconds();
    const std::string now = format_rfc3339_utc(now_seconds);
    const SealedOAuth2Grant sealed = seal_oauth2_grant(cipher_, twitter_id, grant);

    std::lock_guard<std::mutex> lock(writer_->mutex);
    return guarded<Account>("store OAuth 2.0 grant", [&]() -> AccountResult<Account> {
        // One transaction: the grant, the time and the event change together.
        sqlite::Transaction transaction(writer_->db);
        auto update = writer_->db.cached(
            std::string("UPDATE accounts SET oauth2_access_token = ?1, oauth2_refresh_token = ?2, "
                        "oauth2_expires_at = ?3, last_sign_in_at = CASE WHEN ?4 THEN ?5 ELSE last_sign_in_at END "
                        "WHERE twitter_id = ?6 RETURNING ") +
            account_columns);
        update->bind_blob(1, sealed.access_token)
            .bind_blob(2, sealed.refresh_token)
            .bind(3, sealed.expires_at)
            .bind(4, static_cast<std::int64_t>(signing_in ? 1 : 0))
            .bind(5, now)
            .bind(6, twitter_id);
        if (!update->step()) return AccountError{AccountErrorKind::not_found, "no account for this Twitter id"};
        Account account = read_account(*update);
        update->run();
        const bool event = signing_in && recording();
        if (event) insert_event(writer_->db, event_for(WebhookEventType::account_signed_in, now_seconds, account));
        transaction.commit();
        if (event) events_committed();
        return account;
    });
}

AccountResult<Account> SqliteAccountStore::delete_account(std::int64_t id) {
    const std::int64_t now_seconds = clock_.unix_seconds();
    std::lock_guard<std::mutex> lock(writer_->mutex);
    return guarded<Account>("delete account", [&]() -> AccountResult<Account> {
        // One transaction: the row (with its tokens and grant) and the event.
        sqlite::Transaction transaction(writer_->db);
        auto remove = writer_->db.cached(std::string("DELETE FROM accounts WHERE id = ?1 RETURNING ") + account_columns);
        remove->bind(1, id);
        if (!remove->step()) return AccountError{AccountErrorKind::not_found, "no such account"};
        Account account = read_account(*remove);
        remove->run();
        if (recording()) insert_event(writer_->db, event_for(WebhookEventType::account_deleted, now_seconds, account));
        transaction.commit();
        events_committed();
        return account;
    });
}

AccountResult<OAuth2Grant> SqliteAccountStore::oauth2_grant_of(std::string_view twitter_id) {
    return open_account_grant(cipher_, find_by_twitter_id(twitter_id));
}

AccountResult<AccessTokens> SqliteAccountStore::tokens_of(std::string_view twitter_id) {
    return open_account_tokens(cipher_, find_by_twitter_id(twitter_id));
}

AccountResult<AccessTokens> SqliteAccountStore::decrypt_tokens(const Account& account) const {
    return open_account_tokens(cipher_, account);
}

AccountResult<std::int64_t> SqliteAccountStore::count() {
    std::lock_guard<std::mutex> lock(reader_->mutex);
    return guarded<std::int64_t>("count accounts", [&]() -> std::int64_t {
        auto select = reader_->db.cached("SELECT count(*) FROM accounts");
        select->step();
        return select->column_int64(0);
    });
}

}  // namespace perch
