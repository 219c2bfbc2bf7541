// Addresses of the servers a proxy may share state through: Redis for
// sessions (PERCH_SESSION_STORE) and PostgreSQL for accounts (PERCH_DATABASE).
// A password may be part of the URL, so the text is never printed as given:
// masked_url() is what logs and error messages show.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace perch {

struct RedisUrl {
    std::string host;      // IPv6 without brackets
    int port = 6379;
    int database = 0;      // SELECT n; 0..15 on a default Redis
    std::string user;      // "" = the default user (AUTH password alone)
    std::string password;  // "" = no AUTH
};

// redis://[[user]:password@]host[:port][/db]. Percent-escapes in user and
// password are decoded. Errors never echo the password.
Result<RedisUrl> parse_redis_url(std::string_view url);

struct PostgresUrl {
    std::string host;
    int port = 5432;
    std::string database;
    std::string user;
    std::string password;
    std::string sslmode;  // "" when not given: libpq's own default
};

// postgresql://user[:password]@host[:port]/db[?sslmode=…] (postgres:// too).
// The only query parameter taken is sslmode; any other is refused rather than
// silently ignored.
Result<PostgresUrl> parse_postgres_url(std::string_view url);

// True when the text names one of the schemes above (case-insensitive).
bool is_redis_url(std::string_view text);
bool is_postgres_url(std::string_view text);

// The URL with any password replaced by "****" ("redis://:****@host:6379/0").
// Text that is not a URL with user info comes back unchanged.
std::string masked_url(std::string_view url);

}  // namespace perch
