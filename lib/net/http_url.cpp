#include "net/http_url.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace perch {

namespace {

constexpr std::size_t max_url_length = 16 * 1024;

bool is_ipv4_loopback(std::string_view host) {
    // Dotted quad whose first octet is 127.
    int octets = 0;
    std::size_t start = 0;
    while (start <= host.size()) {
        const auto dot = host.find('.', start);
        const auto part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!parse_integer(part, 0, 255) || part.size() > 3) return false;
        if (octets == 0 && part != "127") return false;
        ++octets;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return octets == 4;
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool is_ipv6_text(std::string_view host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    }) && host.find(':') != std::string_view::npos;
}

}  // namespace

std::optional<HostPort> parse_listen(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (!is_ipv6_text(host)) return std::nullopt;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
    }
    const auto number = parse_integer(port, 0, 65535);
    if (!number) return std::nullopt;
    return HostPort{lower(host), static_cast<int>(*number)};
}

Result<HttpUrl> parse_http_url(std::string_view url) {
    const Error invalid{ErrorCode::invalid_uri, "not an absolute http(s) URL"};
    if (url.size() > max_url_length) return Error{ErrorCode::too_long, "URL is longer than 16 KiB"};
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f) return invalid;
    }
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return invalid;
    HttpUrl parts;
    parts.scheme = lower(url.substr(0, scheme_end));
    if (parts.scheme != "http" && parts.scheme != "https") return invalid;
    std::string_view rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (target.find('#') != std::string_view::npos) return invalid;
    if (authority.find('@') != std::string_view::npos) return invalid;

    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return invalid;
        host = authority.substr(1, close - 1);
        if (!is_ipv6_text(host)) return invalid;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid;
            port = after.substr(1);
            if (port.empty()) return invalid;
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return invalid;
        }
        if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return invalid;
    }
    parts.host = lower(host);
    if (!port.empty()) {
        auto number = parse_integer(port, 1, 65535);
        if (!number) return invalid;
        parts.port = static_cast<int>(*number);
        parts.explicit_port = true;
    } else {
        parts.port = parts.scheme == "https" ? 443 : 80;
    }
    parts.target = target.empty() ? std::string("/") : std::string(target);
    if (parts.target.front() == '?') parts.target.insert(0, "/");
    return parts;
}

std::string url_origin(const HttpUrl& url) {
    const bool ipv6 = url.host.find(':') != std::string::npos;
    std::string origin = url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host);
    const int default_port = url.scheme == "https" ? 443 : 80;
    if (url.port != default_port) origin += ":" + std::to_string(url.port);
    return origin;
}

std::string listen_origin(const std::string& host, int port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_loopback_host(const std::string& raw_host) {
    std::string host = lower(raw_host);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
    return is_ipv4_loopback(host);
}

}  // namespace perch
