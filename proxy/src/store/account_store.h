// Accounts: what the proxy stores about a person who registered, and the
// interface every account store implements (today: SqliteAccountStore,
// store/sqlite_account_store.h).
#pragma once


#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/api_types.h"
#include "core/result.h"
#include "base/clock.h"
#include "core/registration_form.h"
#include "store/oauth2_grant.h"
#include "store/stored_tokens.h"
#include "store/token_cipher.h"
#include "store/webhook_event.h"

namespace perch {

enum class AccountErrorKind {
    already_registered,  // the Twitter id already has an account
    username_taken,      // another account has this username (compared case-insensitively)
    not_found,           // no account with that Twitter id (refresh_tokens_and_sign_in)
    invalid,             // a value breaks the store's own limits (see NewAccount)
    schema_refused,      // open(): the file has a newer schema, or is not Perch's
    token_key_mismatch,  // open(): the token key is not the one the database's tokens are sealed with
    token_unreadable,    // tokens_of(): a stored token does not open (altered, moved, other key)
    database_in_use,     // rotate_token_key(): another process has the database open
    storage,             // the database failed (disk full, I/O error, busy past the timeout, ...)
    unavailable,         // a database server (PostgreSQL) could not be reached in time
};

// "already_registered", "username_taken", ... (usable as a JSON error code).
std::string_view to_string(AccountErrorKind kind);

struct AccountError {
    AccountErrorKind kind;
    std::string message;  // for logs: names no token, key or form value
};

template <typename T>
using AccountResult = Result<T, AccountError>;

// What /api/register stores. The form must already have passed
// validate_registration; the store only enforces its own limits (→ invalid):
// twitter_id 1..64 bytes, username non-empty, every text field at most 1024
// bytes (picture 2048), both OAuth 1.0a tokens 1..1024 bytes (or both empty
// with an OAuth 2.0 grant), no NUL bytes.
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

// What every store does with an account it has read: its OAuth 1.0a tokens,
// or its OAuth 2.0 grant, opened. Errors: not_found (no account, or no grant),
// token_unreadable; `found`'s own error is passed on.
AccountResult<AccessTokens> open_account_tokens(const TokenCipher& cipher, const Account& account);
AccountResult<AccessTokens> open_account_tokens(const TokenCipher& cipher,
                                                const AccountResult<std::optional<Account>>& found);
AccountResult<OAuth2Grant> open_account_grant(const TokenCipher& cipher,
                                              const AccountResult<std::optional<Account>>& found);

// Every account store implements this; the proxy holds one for its lifetime.
// Thread-safe: all methods may be called concurrently. Nothing throws: every
// method returns AccountResult.
class AccountStore {
public:
    virtual ~AccountStore() = default;

    // One transaction: the account exists completely or not at all.
    // created_at = last_sign_in_at = now.
    // Errors: already_registered (checked first), username_taken, invalid, storage.
    virtual AccountResult<Account> register_account(const NewAccount& account) = 0;

    // nullopt if there is no such account. Errors: storage.
    virtual AccountResult<std::optional<Account>> find_by_twitter_id(std::string_view twitter_id) = 0;
    virtual AccountResult<std::optional<Account>> find_by_id(std::int64_t id) = 0;

    // A returning user: stores the new tokens and sets last_sign_in_at = now, in
    // one statement. Returns the updated account.
    // Errors: not_found, invalid, storage.
    virtual AccountResult<Account> refresh_tokens_and_sign_in(std::string_view twitter_id,
                                                              std::string_view access_token,
                                                              std::string_view access_token_secret) = 0;

    // A returning OAuth 2.0 user: stores the new grant (replacing the old one)
    // and, when `signing_in`, sets last_sign_in_at = now; one statement.
    // Errors: not_found, invalid, storage.
    virtual AccountResult<Account> store_oauth2_grant(std::string_view twitter_id, const OAuth2Grant& grant,
                                                      bool signing_in) = 0;

    // The account's OAuth 2.0 grant, opened. Errors: not_found (no account, or
    // no grant), token_unreadable, storage.
    virtual AccountResult<OAuth2Grant> oauth2_grant_of(std::string_view twitter_id) = 0;

    // The account's Twitter tokens, opened: for the proxy's own use of them
    // (e.g. calling Twitter as that person). Errors: not_found; token_unreadable
    // when a stored token does not open (altered, moved from another row or
    // column, or sealed under another key) — the message names the account row,
    // never a token or the key; storage. A caller must treat token_unreadable as
    // a failure to log at error level and never fall back to anything.
    virtual AccountResult<AccessTokens> tokens_of(std::string_view twitter_id) = 0;

    // The same for an account already read. Errors: token_unreadable.
    virtual AccountResult<AccessTokens> decrypt_tokens(const Account& account) const = 0;

    virtual AccountResult<std::int64_t> count() = 0;

    // Deletes the account with its stored tokens and OAuth 2.0 grant (they
    // live in its row) in one transaction, and returns what it was. Its id is
    // never given to another account. Errors: not_found, storage, unavailable.
    virtual AccountResult<Account> delete_account(std::int64_t id) = 0;

    // Webhook events on: from now on register_account (account.created), a
    // sign-in (refresh_tokens_and_sign_in, store_oauth2_grant with signing_in:
    // account.signed_in) and delete_account (account.deleted) each add their
    // event to the outbox in the same transaction as the change. Call once,
    // before the store is shared between threads.
    void record_events(EventRecorder recorder) { events_ = std::move(recorder); }

protected:
    bool recording() const { return events_.random != nullptr; }
    PendingEvent event_for(WebhookEventType type, std::int64_t unix_seconds, const Account& account) const {
        return make_event(*events_.random, type, unix_seconds, account);
    }
    void events_committed() const {
        if (recording() && events_.committed) events_.committed();
    }

private:
    EventRecorder events_;
};

}  // namespace perch
