#include "app/settings/store_settings.h"

#include "core/text.h"
#include "store/service_url.h"

namespace perch {

// A file path, or a PostgreSQL URL; the error never repeats the value (it may
// hold a password).
std::optional<Error> parse_database_setting(ProxyConfig& config, const Value& value) {
    if (value.text.empty()) return bad(value.source, "must not be empty");
    if (is_redis_url(value.text)) return bad(value.source, "must be a SQLite file or a postgresql:// URL, not redis://");
    if (is_postgres_url(value.text)) {
        auto url = parse_postgres_url(value.text);
        if (!url) return bad(value.source, url.error().message + " (postgresql://user:password@host:5432/db)");
    }
    config.database = value.text;
    return std::nullopt;
}

std::optional<Error> parse_session_store_setting(ProxyConfig& config, const Value& value) {
    if (lower(value.text) == "memory") {
        config.session_store = "memory";
        return std::nullopt;
    }
    if (!is_redis_url(value.text)) return bad(value.source, "must be memory or a redis:// URL");
    auto url = parse_redis_url(value.text);
    if (!url) return bad(value.source, url.error().message + " (redis://[[user]:password@]host[:port][/db])");
    config.session_store = value.text;
    return std::nullopt;
}

std::optional<Error> read_password_file(std::string& target, const Value& value) {
    auto password = read_secret_file(value.text, value.source);
    if (!password) return password.error();
    if (password.value().empty()) return bad(value.source, "names an empty file");
    target = std::move(password).value();
    return std::nullopt;
}

std::optional<Error> check_store_passwords(const ProxyConfig& config) {
    if (!config.database_password.empty()) {
        if (!is_postgres_url(config.database)) {
            return Error{ErrorCode::invalid_field, "PERCH_DATABASE_PASSWORD_FILE needs PERCH_DATABASE to be a postgresql:// URL"};
        }
        if (!parse_postgres_url(config.database).value().password.empty()) {
            return Error{ErrorCode::invalid_field, "PERCH_DATABASE holds a password and PERCH_DATABASE_PASSWORD_FILE names "
                                                   "another: give it once"};
        }
    }
    if (!config.session_store_password.empty()) {
        if (!is_redis_url(config.session_store)) {
            return Error{ErrorCode::invalid_field, "PERCH_SESSION_STORE_PASSWORD_FILE needs PERCH_SESSION_STORE to be a redis:// URL"};
        }
        if (!parse_redis_url(config.session_store).value().password.empty()) {
            return Error{ErrorCode::invalid_field, "PERCH_SESSION_STORE holds a password and "
                                                   "PERCH_SESSION_STORE_PASSWORD_FILE names another: give it once"};
        }
    }
    return std::nullopt;
}

}  // namespace perch
