#include "store/token_key_check.h"

#include <optional>
#include <string>

#include "core/constant_time.h"
#include "store/stored_tokens.h"

namespace perch {

namespace {

constexpr const char* check_name = "token_key_check";

std::optional<std::string> stored_check_value(sqlite::Database& db) {
    auto select = db.cached("SELECT value FROM perch_metadata WHERE name = ?1");
    select->bind(1, std::string_view(check_name));
    if (!select->step()) return std::nullopt;
    return select->column_blob(0);
}

// True when there is no account, or the oldest account's tokens open under `cipher`.
bool opens_stored_tokens(sqlite::Database& db, const TokenCipher& cipher) {
    auto oldest = db.cached(
        "SELECT id, twitter_id, access_token, access_token_secret FROM accounts ORDER BY id LIMIT 1");
    if (!oldest->step()) return true;
    const SealedTokens sealed{oldest->column_blob(2), oldest->column_blob(3)};
    return open_tokens(cipher, oldest->column_int64(0), oldest->column_text(1), sealed).ok();
}

}  // namespace

TokenKeyCheck verify_token_key(sqlite::Database& db, const TokenCipher& cipher) {
    if (const auto stored = stored_check_value(db)) {
        if (!constant_time_equal(*stored, cipher.key_check_value())) {
            throw TokenKeyMismatch("the token key does not match the database's key check value");
        }
        return TokenKeyCheck::matched;
    }
    if (!opens_stored_tokens(db, cipher)) {
        throw TokenKeyMismatch("the token key does not open the stored tokens of the oldest account");
    }
    record_token_key(db, cipher);
    return TokenKeyCheck::recorded;
}

void record_token_key(sqlite::Database& db, const TokenCipher& cipher) {
    auto upsert = db.cached(
        "INSERT INTO perch_metadata (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
    upsert->bind(1, std::string_view(check_name)).bind_blob(2, cipher.key_check_value());
    upsert->run();
}

}  // namespace perch
