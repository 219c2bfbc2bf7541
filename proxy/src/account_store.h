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
// Errors: every method returns AccountResult; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "api_types.h"
#include "clock.h"
#include "registration_form.h"
#include "store/oauth2_grant.h"
#include "stored_tokens.h"
#include "token_cipher.h"

namespace perch {

namespace sqlite {
class Database;
}

enum class AccountErrorKind {
    already_registered,  // the Twitter id already has an account
    username_taken,      // another account has this username (compared case-insensitively)
    not_found,           // no account with that Twitter id (refresh_tokens_and_sign_in)
    invalid,             // a value breaks the store's own limits (see NewAccount)
    schema_refused,      // open(): the file has a newer schema, or is not Perch's
    token_key_mismatch,  // open(): the token key is not the one the database's tokens are sealed with
    token_unreadable,    // tokens_of(): a stored token does not open (altered, moved, other key)
    database_in_use,     // rotate_token_key(): another process has the database open
    storage,             // SQLite failed (disk full, I/O error, busy past the timeout, ...)
};

// "already_registered", "username_taken", ... (usable as a JSON error code).
std::string_view to_string(AccountErrorKind kind);

struct AccountError {
    AccountErrorKind kind;
    std::string message;  // for logs: names no token, key or form value
};

template <typename T>
class AccountResult {
public:
    AccountResult(T value) : state_(std::move(value)) {}                // NOLINT: implicit by design
    AccountResult(AccountError error) : state_(std::move(error)) {}     // NOLINT: implicit by design
    AccountResult(AccountErrorKind kind, std::string message)
        : state_(AccountError{kind, std::move(message)}) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    // Precondition: ok().
    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }

    // Precondition: !ok().
    const AccountError& error() const { return std::get<1>(state_); }

private:
    std::variant<T, AccountError> state_;
};

// What /api/register stores. The form must already have passed
// validate_registration; the store only enforces its own limits (→ invalid):
// twitter_id 1..64 bytes, username non-empty, every text field at most 1024
// bytes (picture 2048), both tokens 1..1024 bytes, no NUL bytes.
struct NewAccount {
    std::string twitter_id;  // from the proxy's own exchange with Twitter, never from the browser
    RegistrationForm form;
    std::string picture;     // profile image URL ("" if none)
    std::string access_token;         // OAuth 1.0a; both empty for an OAuth 2.0 sign-up
    std::string access_token_secret;
    // OAuth 2.0 sign-ups: access token 1..4096 bytes, refresh token 0..4096.
    std::optional<OAuth2Grant> oauth2;
};

struct Account {
    std::int64_t id = 0;
    std::string twitter_id;
    std::string username;
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string timezone;
    std::string picture;
    std::string created_at;       // RFC 3339 UTC, "2024-05-01T12:34:56Z"
    std::string last_sign_in_at;  // RFC 3339 UTC
    // Sealed (encrypted) tokens as stored; open them with tokens_of() or decrypt_tokens().
    std::string sealed_access_token;
    std::string sealed_access_token_secret;
    // The OAuth 2.0 grant as stored (empty when none); open with oauth2_grant_of().
    SealedOAuth2Grant sealed_oauth2;
};

// The account as the browser may see it: no tokens, sealed or not.
api::User to_api_user(const Account& account);

// "1970-01-01T00:00:00Z" style, UTC, second precision.
std::string format_rfc3339_utc(std::int64_t unix_seconds);

struct AccountStoreOptions {
    // full: every successful write is fsynced (survives power loss). normal: a
    //   write survives kill -9 but the last ones may be lost on power loss;
    //   about 10x the write rate. Production uses full (see the top of this file).
    enum class Durability { full, normal };

    std::string path = "perch.db";  // PERCH_DATABASE
    int busy_timeout_ms = 5000;     // wait this long for another process's lock
    Durability durability = Durability::full;
};

class AccountStore {
public:
    // Opens (creating if needed) and migrates the database, and checks that
    // `cipher` holds the key the stored tokens are sealed with (token_key_check.h;
    // a new database records it), all in one transaction. `cipher` and `clock`
    // must outlive the store. Errors: schema_refused, token_key_mismatch, storage.
    static AccountResult<std::unique_ptr<AccountStore>> open(const AccountStoreOptions& options,
                                                             const TokenCipher& cipher,
                                                             const Clock& clock);
    ~AccountStore();
    AccountStore(const AccountStore&) = delete;
    AccountStore& operator=(const AccountStore&) = delete;

    // One transaction: the account exists completely or not at all.
    // created_at = last_sign_in_at = now.
    // Errors: already_registered (checked first), username_taken, invalid, storage.
    AccountResult<Account> register_account(const NewAccount& account);

    // nullopt if there is no such account. Errors: storage.
    AccountResult<std::optional<Account>> find_by_twitter_id(std::string_view twitter_id);
    AccountResult<std::optional<Account>> find_by_id(std::int64_t id);

    // A returning user: stores the new tokens and sets last_sign_in_at = now, in
    // one statement. Returns the updated account.
    // Errors: not_found, invalid, storage.
    AccountResult<Account> refresh_tokens_and_sign_in(std::string_view twitter_id,
                                                      std::string_view access_token,
                                                      std::string_view access_token_secret);

    // A returning OAuth 2.0 user: stores the new grant (replacing the old one)
    // and, when `signing_in`, sets last_sign_in_at = now; one statement.
    // Errors: not_found, invalid, storage.
    AccountResult<Account> store_oauth2_grant(std::string_view twitter_id, const OAuth2Grant& grant, bool signing_in);

    // The account's OAuth 2.0 grant, opened. Errors: not_found (no account, or
    // no grant), token_unreadable, storage.
    AccountResult<OAuth2Grant> oauth2_grant_of(std::string_view twitter_id);

    // The account's Twitter tokens, opened: for the proxy's own use of them
    // (e.g. calling Twitter as that person). Errors: not_found; token_unreadable
    // when a stored token does not open (altered, moved from another row or
    // column, or sealed under another key) — the message names the account row,
    // never a token or the key; storage. A caller must treat token_unreadable as
    // a failure to log at error level and never fall back to anything.
    AccountResult<AccessTokens> tokens_of(std::string_view twitter_id);

    // The same for an account already read. Errors: token_unreadable.
    AccountResult<AccessTokens> decrypt_tokens(const Account& account) const;

    AccountResult<std::int64_t> count();

private:
    struct Connection;
    AccountStore(const TokenCipher& cipher, const Clock& clock, std::unique_ptr<Connection> writer,
                 std::unique_ptr<Connection> reader);

    const TokenCipher& cipher_;
    const Clock& clock_;
    std::unique_ptr<Connection> writer_;
    std::unique_ptr<Connection> reader_;
};

}  // namespace perch
