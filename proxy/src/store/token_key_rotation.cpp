#include "store/token_key_rotation.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "store/oauth2_grant.h"
#include "store/sqlite.h"
#include "store/stored_tokens.h"
#include "store/token_key_check.h"

namespace perch {

namespace {

struct StoredRow {
    std::int64_t id = 0;
    std::string twitter_id;
    SealedTokens sealed;
};

std::vector<StoredRow> read_rows(sqlite::Database& db) {
    std::vector<StoredRow> rows;
    auto select = db.cached(
        "SELECT id, twitter_id, access_token, access_token_secret FROM accounts ORDER BY id");
    while (select->step()) {
        rows.push_back(StoredRow{select->column_int64(0), select->column_text(1),
                                 SealedTokens{select->column_blob(2), select->column_blob(3)}});
    }
    return rows;
}

void wipe(AccessTokens& tokens) {
    OPENSSL_cleanse(tokens.token.data(), tokens.token.size());
    OPENSSL_cleanse(tokens.secret.data(), tokens.secret.size());
}

// The body of the one transaction; returns an error value for an unreadable
// token (the caller's transaction then rolls back), throws for everything else.
AccountResult<RotationSummary> reseal_all(sqlite::Database& db, const TokenCipher& current,
                                          const TokenCipher& next) {
    if (check_schema(db, account_migrations()) == 0) {
        throw SchemaRefused("database has no Perch schema yet; there is nothing to rotate");
    }
    apply_migrations(db, account_migrations());
    verify_token_key(db, current);
    RotationSummary summary;
    for (const StoredRow& row : read_rows(db)) {
        auto tokens = open_tokens(current, row.id, row.twitter_id, row.sealed);
        if (!tokens) return AccountError{AccountErrorKind::token_unreadable, tokens.error().message};
        // An account signed up with OAuth 2.0 has no OAuth 1.0a tokens.
        const bool oauth1 = !tokens.value().token.empty() || !tokens.value().secret.empty();
        const SealedTokens resealed =
            seal_tokens(next, row.twitter_id, tokens.value().token, tokens.value().secret);
        wipe(tokens.value());
        auto update = db.cached(
            "UPDATE accounts SET access_token = ?1, access_token_secret = ?2 WHERE id = ?3");
        update->bind_blob(1, resealed.token).bind_blob(2, resealed.secret).bind(3, row.id);
        update->run();
        ++summary.accounts;
        summary.tokens += oauth1 ? 2 : 0;
    }
    auto oauth2 = reseal_oauth2_grants(db, current, next);
    if (!oauth2) return AccountError{AccountErrorKind::token_unreadable, oauth2.error().message};
    summary.tokens += oauth2.value();
    record_token_key(db, next);
    return summary;
}

}  // namespace

AccountResult<RotationSummary> rotate_token_key(const std::string& path, const TokenCipher& current,
                                                const TokenCipher& next) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        return AccountError{AccountErrorKind::storage, "no such database file"};
    }
    try {
        sqlite::Database db(path, sqlite::Database::Mode::read_write);
        db.exec("PRAGMA busy_timeout = 0");
        // Set before the first read, so SQLite takes the database file's
        // exclusive lock (and keeps the WAL index in its own memory): it cannot
        // get it while any other connection, an idle perch-proxy's included,
        // has the file open — and then refuses at once instead of waiting.
        db.exec("PRAGMA locking_mode = EXCLUSIVE");
        db.exec("PRAGMA synchronous = FULL");
        sqlite::Transaction transaction(db);
        auto summary = reseal_all(db, current, next);
        if (summary) transaction.commit();
        return summary;
    } catch (const SchemaRefused& e) {
        return AccountError{AccountErrorKind::schema_refused, e.what()};
    } catch (const TokenKeyMismatch& e) {
        return AccountError{AccountErrorKind::token_key_mismatch, e.what()};
    } catch (const sqlite::Failure& e) {
        if ((e.code() & 0xff) == SQLITE_BUSY) {
            return AccountError{AccountErrorKind::database_in_use,
                                "another process has the database open"};
        }
        return AccountError{AccountErrorKind::storage, std::string("rotate token key: ") + e.what()};
    } catch (const std::exception& e) {
        return AccountError{AccountErrorKind::storage, std::string("rotate token key: ") + e.what()};
    }
}

}  // namespace perch
