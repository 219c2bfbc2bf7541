#include "store/oauth2_grant.h"

#include <vector>

#include <openssl/crypto.h>

#include "store/sqlite.h"
#include "store/stored_tokens.h"

namespace perch {
namespace {

constexpr std::string_view access_field = "oauth2_access_token";
constexpr std::string_view refresh_field = "oauth2_refresh_token";

std::string seal_one(const TokenCipher& cipher, std::string_view field, std::string_view twitter_id,
                     std::string_view token) {
    return token.empty() ? std::string() : cipher.seal(token, stored_token_binding(field, twitter_id));
}

Result<std::string> open_one(const TokenCipher& cipher, std::string_view field, std::int64_t row_id,
                             std::string_view twitter_id, const std::string& sealed) {
    if (sealed.empty()) return std::string();
    auto opened = cipher.open(sealed, stored_token_binding(field, twitter_id));
    if (!opened) {
        return Error{ErrorCode::invalid_field, "the stored " + std::string(field) + " of account row " +
                                                   std::to_string(row_id) + " does not open: " +
                                                   opened.error().message};
    }
    return std::move(opened).value();
}

}  // namespace

SealedOAuth2Grant seal_oauth2_grant(const TokenCipher& cipher, std::string_view twitter_id, const OAuth2Grant& grant) {
    return SealedOAuth2Grant{seal_one(cipher, access_field, twitter_id, grant.access_token),
                             seal_one(cipher, refresh_field, twitter_id, grant.refresh_token), grant.expires_at};
}

Result<OAuth2Grant> open_oauth2_grant(const TokenCipher& cipher, std::int64_t row_id, std::string_view twitter_id,
                                      const SealedOAuth2Grant& sealed) {
    auto access = open_one(cipher, access_field, row_id, twitter_id, sealed.access_token);
    if (!access) return access.error();
    auto refresh = open_one(cipher, refresh_field, row_id, twitter_id, sealed.refresh_token);
    if (!refresh) {
        OPENSSL_cleanse(access.value().data(), access.value().size());
        return refresh.error();
    }
    return OAuth2Grant{std::move(access).value(), std::move(refresh).value(), sealed.expires_at};
}

Result<std::int64_t> reseal_oauth2_grants(sqlite::Database& db, const TokenCipher& current, const TokenCipher& next) {
    struct Row {
        std::int64_t id;
        std::string twitter_id;
        SealedOAuth2Grant sealed;
    };
    std::vector<Row> rows;
    {
        auto select = db.cached(
            "SELECT id, twitter_id, oauth2_access_token, oauth2_refresh_token, oauth2_expires_at FROM accounts "
            "WHERE length(oauth2_access_token) > 0 OR length(oauth2_refresh_token) > 0 ORDER BY id");
        while (select->step()) {
            rows.push_back(Row{select->column_int64(0), select->column_text(1),
                               SealedOAuth2Grant{select->column_blob(2), select->column_blob(3), select->column_int64(4)}});
        }
    }
    std::int64_t tokens = 0;
    for (const Row& row : rows) {
        auto grant = open_oauth2_grant(current, row.id, row.twitter_id, row.sealed);
        if (!grant) return grant.error();
        const SealedOAuth2Grant resealed = seal_oauth2_grant(next, row.twitter_id, grant.value());
        tokens += (grant.value().access_token.empty() ? 0 : 1) + (grant.value().refresh_token.empty() ? 0 : 1);
        OPENSSL_cleanse(grant.value().access_token.data(), grant.value().access_token.size());
        OPENSSL_cleanse(grant.value().refresh_token.data(), grant.value().refresh_token.size());
        auto update = db.cached("UPDATE accounts SET oauth2_access_token = ?1, oauth2_refresh_token = ?2 WHERE id = ?3");
        update->bind_blob(1, resealed.access_token).bind_blob(2, resealed.refresh_token).bind(3, row.id);
        update->run();
    }
    return tokens;
}

}  // namespace perch
