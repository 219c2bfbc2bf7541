// Re-sealing every stored token under a new token key (perch-proxy rotate-token-key).
#pragma once

#include <cstdint>
#include <string>

#include "store/account_store.h"
#include "store/token_cipher.h"

namespace perch {

struct RotationSummary {
    std::int64_t accounts = 0;
    std::int64_t tokens = 0;  // OAuth 1.0a token and secret, OAuth 2.0 access and refresh tokens
};

// Opens every stored token of the database at `path` with `current`, re-seals
// it under `next` (bound to the same row and column) and stores `next`'s key
// check value — in ONE transaction: a failure or a crash at any point leaves
// the database exactly as it was.
//
// The database must exist and be Perch's (an older schema is migrated inside
// the same transaction), and no other process may have it open: the rotation
// takes SQLite's exclusive lock, which a running perch-proxy's open connection
// prevents (database_in_use; nothing waits). Errors:
//   storage             no file at `path`, or SQLite failed;
//   schema_refused      not a Perch database, a newer schema, or no schema yet;
//   database_in_use     another connection has the database open;
//   token_key_mismatch  `current` is not the database's key (check value);
//   token_unreadable    an account's tokens do not open under `current`
//                       (tampered, or moved between rows or columns): the
//                       message names the account's row id, never a token.
AccountResult<RotationSummary> rotate_token_key(const std::string& path, const TokenCipher& current,
                                                const TokenCipher& next);

}  // namespace perch
