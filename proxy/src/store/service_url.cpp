#include "store/service_url.h"

#include <cctype>

#include "core/percent_encoding.h"

namespace perch {

namespace {

constexpr std::size_t max_url_length = 4096;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
}

Error invalid(std::string what) { return Error{ErrorCode::invalid_uri, std::move(what)}; }

// Whatever follows "scheme://" up to the path: [userinfo@]host[:port].
struct Authority {
    bool has_userinfo = false;
    std::string user;
    bool has_password = false;
    std::string password;
    std::string host;
    int port = 0;  // 0: not given
};

bool plain_text(std::string_view text) {
    for (unsigned char c : text) {
        if (c <= 0x20 || c >= 0x7f) return false;
    }
    return true;
}

Result<std::string> decode_part(std::string_view text, const char* what) {
    auto decoded = percent_decode(text, PlusMeans::plus);
    if (!decoded || decoded.value().find('\0') != std::string::npos) {
        return invalid(std::string("its ") + what + " is not valid percent-encoded text");
    }
    return decoded;
}

Result<Authority> parse_authority(std::string_view text) {
    Authority out;
    const auto at = text.rfind('@');
    if (at != std::string_view::npos) {
        out.has_userinfo = true;
        const std::string_view info = text.substr(0, at);
        text.remove_prefix(at + 1);
        const auto colon = info.find(':');
        auto user = decode_part(info.substr(0, colon), "user name");
        if (!user) return user.error();
        out.user = std::move(user).value();
        if (colon != std::string_view::npos) {
            auto password = decode_part(info.substr(colon + 1), "password");
            if (!password) return password.error();
            out.has_password = true;
            out.password = std::move(password).value();
        }
    }
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return invalid("its IPv6 host has no closing ']'");
        out.host = std::string(text.substr(1, close - 1));
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return invalid("has text after its IPv6 host");
            port_text = rest.substr(1);
            if (port_text.empty()) return invalid("has an empty port");
        }
    } else {
        const auto colon = text.rfind(':');
        out.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = text.substr(colon + 1);
            if (port_text.empty()) return invalid("has an empty port");
        }
    }
    if (out.host.empty()) return invalid("has no host");
    for (char c : out.host) {
        const auto u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || c == '.' || c == '-' || c == '_' || c == ':')) {
            return invalid("has a host with characters a host name cannot have");
        }
    }
    if (!port_text.empty()) {
        if (port_text.size() > 5) return invalid("has a port outside 1-65535");
        int port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return invalid("has a port that is not a number");
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535) return invalid("has a port outside 1-65535");
        out.port = port;
    }
    return out;
}

// Splits "scheme://authority[/path][?query]" after the scheme was checked.
struct Parts {
    std::string_view authority;
    std::string_view path;   // without the leading '/'
    std::string_view query;  // without the '?'
    bool has_path = false;
};

Result<Parts> split(std::string_view url, std::size_t scheme_length) {
    if (url.size() > max_url_length) return invalid("is longer than 4096 characters");
    if (!plain_text(url)) return invalid("contains spaces, control or non-ASCII characters");
    if (url.find('#') != std::string_view::npos) return invalid("has a fragment");
    std::string_view rest = url.substr(scheme_length);
    Parts parts;
    const auto query = rest.find('?');
    if (query != std::string_view::npos) {
        parts.query = rest.substr(query + 1);
        rest = rest.substr(0, query);
    }
    // The password may hold '/', so the path starts at the first '/' after the '@'.
    const auto at = rest.rfind('@');
    const auto slash = rest.find('/', at == std::string_view::npos ? 0 : at);
    parts.authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        parts.has_path = true;
        parts.path = rest.substr(slash + 1);
    }
    return parts;
}

}  // namespace

bool is_redis_url(std::string_view text) { return starts_with_nocase(text, "redis://"); }

bool is_postgres_url(std::string_view text) {
    return starts_with_nocase(text, "postgresql://") || starts_with_nocase(text, "postgres://");
}

Result<RedisUrl> parse_redis_url(std::string_view url) {
    if (!is_redis_url(url)) return invalid("must start with redis://");
    auto parts = split(url, 8);
    if (!parts) return parts.error();
    if (!parts.value().query.empty()) return invalid("takes no query parameters");
    auto authority = parse_authority(parts.value().authority);
    if (!authority) return authority.error();
    const Authority& a = authority.value();
    RedisUrl out;
    out.host = a.host;
    if (a.port != 0) out.port = a.port;
    if (a.has_userinfo && !a.has_password && !a.user.empty()) {
        return invalid("names a user without a password (redis://user:password@host)");
    }
    out.user = a.user;
    out.password = a.password;
    const std::string_view db = parts.value().path;
    if (!db.empty()) {
        if (db.size() > 5) return invalid("has a database number that is too large");
        int n = 0;
        for (char c : db) {
            if (c < '0' || c > '9') return invalid("has a database that is not a number (redis://host:6379/0)");
            n = n * 10 + (c - '0');
        }
        out.database = n;
    }
    return out;
}

Result<PostgresUrl> parse_postgres_url(std::string_view url) {
    if (!is_postgres_url(url)) return invalid("must start with postgresql:// or postgres://");
    const std::size_t scheme_length = starts_with_nocase(url, "postgresql://") ? 13 : 11;
    auto parts = split(url, scheme_length);
    if (!parts) return parts.error();
    auto authority = parse_authority(parts.value().authority);
    if (!authority) return authority.error();
    const Authority& a = authority.value();
    if (a.user.empty()) return invalid("names no user (postgresql://user:password@host/db)");
    PostgresUrl out;
    out.host = a.host;
    if (a.port != 0) out.port = a.port;
    out.user = a.user;
    out.password = a.password;
    auto database = decode_part(parts.value().path, "database name");
    if (!database) return database.error();
    out.database = std::move(database).value();
    if (out.database.empty() || out.database.find('/') != std::string::npos) {
        return invalid("names no database (postgresql://user:password@host/db)");
    }
    std::string_view query = parts.value().query;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        if (name != "sslmode" || eq == std::string_view::npos) {
            return invalid("takes only the sslmode query parameter");
        }
        const std::string_view mode = pair.substr(eq + 1);
        if (mode != "disable" && mode != "allow" && mode != "prefer" && mode != "require" &&
            mode != "verify-ca" && mode != "verify-full") {
            return invalid("has an sslmode libpq does not know");
        }
        out.sslmode = std::string(mode);
    }
    return out;
}

std::string masked_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const std::size_t start = scheme_end + 3;
    // The user info ends at the last '@' before the query: a password may hold '@' or '/'.
    const auto query = url.find('?', start);
    const std::string_view head = url.substr(0, query);
    const auto at = head.rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    const auto colon = url.find(':', start);
    if (colon == std::string_view::npos || colon > at) return std::string(url);
    std::string out(url.substr(0, colon + 1));
    out += "****";
    out += url.substr(at);
    return out;
}

}  // namespace perch
