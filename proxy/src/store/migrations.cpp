#include "store/migrations.h"

namespace perch {

const std::vector<Migration>& account_migrations() {
    // STRICT: SQLite enforces the column types. Tokens are sealed BLOBs (token_cipher.h).
    // username's NOCASE collation makes its UNIQUE index, and lookups, case-insensitive.
    static const std::vector<Migration> migrations = {
        {1, "accounts table",
         R"sql(
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    twitter_id          TEXT NOT NULL UNIQUE CHECK (length(twitter_id) > 0),
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) > 0),
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    email               TEXT NOT NULL,
    timezone            TEXT NOT NULL,
    picture             TEXT NOT NULL,
    access_token        BLOB NOT NULL,
    access_token_secret BLOB NOT NULL,
    created_at          TEXT NOT NULL,
    last_sign_in_at     TEXT NOT NULL
) STRICT;
)sql"},
        // Perch's own facts about the database, e.g. the token key's check
        // value (token_key_check.h). Never a secret.
        {2, "metadata table",
         R"sql(
CREATE TABLE perch_metadata (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
        // The OAuth 2.0 grant (store/oauth2_grant.h): sealed tokens, empty
        // BLOBs or NULL when absent. An account signed up with OAuth 2.0
        // keeps empty BLOBs in the OAuth 1.0a token columns.
        {3, "OAuth 2.0 grant columns",
         R"sql(
ALTER TABLE accounts ADD COLUMN oauth2_access_token BLOB;
ALTER TABLE accounts ADD COLUMN oauth2_refresh_token BLOB;
ALTER TABLE accounts ADD COLUMN oauth2_expires_at INTEGER;
)sql"},
        // AUTOINCREMENT: a deleted account's id is never handed to a new one,
        // so a session left signed in to it elsewhere can never become another
        // person's. The webhook outbox (webhook_outbox.h): times in unix ms.
        {4, "account ids never reused; webhook outbox",
         R"sql(
CREATE TABLE accounts_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    twitter_id           TEXT NOT NULL UNIQUE CHECK (length(twitter_id) > 0),
    username             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) > 0),
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    email                TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    picture              TEXT NOT NULL,
    access_token         BLOB NOT NULL,
    access_token_secret  BLOB NOT NULL,
    created_at           TEXT NOT NULL,
    last_sign_in_at      TEXT NOT NULL,
    oauth2_access_token  BLOB,
    oauth2_refresh_token BLOB,
    oauth2_expires_at    INTEGER
) STRICT;
INSERT INTO accounts_new SELECT id, twitter_id, username, first_name, last_name, email, timezone, picture,
    access_token, access_token_secret, created_at, last_sign_in_at, oauth2_access_token, oauth2_refresh_token,
    oauth2_expires_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at);
)sql"},
    };
    return migrations;
}

namespace {

int known_version(const std::vector<Migration>& migrations) {
    return migrations.empty() ? 0 : migrations.back().version;
}

}  // namespace

int check_schema(sqlite::Database& db, const std::vector<Migration>& migrations) {
    const auto version = db.query_int64("PRAGMA user_version");
    const auto application = db.query_int64("PRAGMA application_id");
    const bool ours = application == perch_application_id;
    if (!ours && (application != 0 || version != 0)) {
        throw SchemaRefused("database is not a Perch account database (application_id " +
                            std::to_string(application) + ", user_version " +
                            std::to_string(version) + ")");
    }
    if (!ours) {
        // Tables, views, indexes and triggers count; SQLite's own sqlite_* objects do not.
        const auto objects = db.query_int64(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
        if (objects > 0) {
            throw SchemaRefused(
                "database is not a Perch account database: it has tables but not Perch's schema "
                "marker (application_id)");
        }
    }
    if (version > known_version(migrations)) {
        throw SchemaRefused("database schema version " + std::to_string(version) +
                            " is newer than this perch-proxy understands (" +
                            std::to_string(known_version(migrations)) +
                            "); run a newer perch-proxy or restore a backup");
    }
    return static_cast<int>(version);
}

int migrate(sqlite::Database& db, const std::vector<Migration>& migrations) {
    sqlite::Transaction transaction(db);
    const int version = apply_migrations(db, migrations);
    transaction.commit();
    return version;
}

int apply_migrations(sqlite::Database& db, const std::vector<Migration>& migrations) {
    // Checked again under the write lock: another process may have migrated meanwhile.
    const int current = check_schema(db, migrations);
    int expected = 1;
    for (const auto& migration : migrations) {
        if (migration.version != expected++) {
            throw std::logic_error("account migrations must be numbered 1, 2, 3, ... without gaps");
        }
        if (migration.version <= current) continue;
        db.exec(migration.sql);
        // PRAGMA takes no bound parameters; the value is our own integer.
        db.exec("PRAGMA user_version = " + std::to_string(migration.version));
    }
    if (current < known_version(migrations)) {
        db.exec("PRAGMA application_id = " + std::to_string(perch_application_id));
    }
    return known_version(migrations);
}

}  // namespace perch
