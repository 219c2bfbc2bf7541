// The token key's check value in the database: a start with another key than
// the one the stored tokens are sealed with is refused, instead of running
// until the first use of a token finds them unreadable.
//
// The value (TokenCipher::key_check_value) is an HMAC under a key derived from
// the token key: it tells keys apart and reveals nothing about the key itself.
// It lives in perch_metadata (migration 2) under the name "token_key_check".
#pragma once

#include <stdexcept>

#include "store/sqlite.h"
#include "store/token_cipher.h"

namespace perch {

// The given key is not the database's token key.
class TokenKeyMismatch : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class TokenKeyCheck {
    matched,   // the stored check value is this key's
    recorded,  // there was none: this key's is stored now (see verify_token_key)
};

// Call inside a write transaction (BEGIN IMMEDIATE), after the migrations.
// With a check value stored: compares it with the key's in constant time and
// throws TokenKeyMismatch if they differ.
// Without one (a new database, or one written before check values existed):
// the key is adopted and its check value written — but only if it opens the
// stored tokens of the oldest account, when there is one; else TokenKeyMismatch.
// So an upgraded database adopts the key it was written with, not any key.
TokenKeyCheck verify_token_key(sqlite::Database& db, const TokenCipher& cipher);

// Stores (or replaces) the key's check value. Inside the caller's transaction.
void record_token_key(sqlite::Database& db, const TokenCipher& cipher);

}  // namespace perch
