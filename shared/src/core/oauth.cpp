#include "core/oauth.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/percent_encoding.h"
#include "core/text.h"

namespace perch {
namespace {

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
bool is_unreserved(char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
    return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

Error invalid_uri(std::string message) { return Error{ErrorCode::invalid_uri, std::move(message)}; }

// RFC 3986 path characters: pchar and '/', with every '%' starting an escape.
bool is_valid_path(std::string_view path) {
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '%') {
            if (i + 2 >= path.size()) return false;
            if (!is_hex(path[i + 1]) || !is_hex(path[i + 2])) return false;
            i += 2;
        } else if (!(is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/')) {
            return false;
        }
    }
    return true;
}

bool is_valid_reg_name(std::string_view host) {
    return std::all_of(host.begin(), host.end(), is_unreserved);
}

// "[...]" holding an IPv6 (or IPvFuture-free) literal: hex digits, ':' and '.'.
bool is_valid_ip_literal(std::string_view host) {
    if (host.size() < 3 || host.front() != '[' || host.back() != ']') return false;
    const std::string_view inside = host.substr(1, host.size() - 2);
    return std::all_of(inside.begin(), inside.end(),
                       [](char c) { return is_hex(c) || c == ':' || c == '.'; }) &&
           inside.find(':') != std::string_view::npos;
}

// 1..65535 without leading zeros; 0 when invalid.
unsigned parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || text.front() == '0') return 0;
    unsigned port = 0;
    for (char c : text) {
        if (!is_digit(c)) return 0;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    return port <= 65535 ? port : 0;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

}  // namespace

Result<std::string> base_string_uri(std::string_view url) {
    if (url.size() > max_url_length) {
        return Error{ErrorCode::too_long,
                     "URL is longer than " + std::to_string(max_url_length) + " bytes"};
    }
    for (char c : url) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b >= 0x7F) {
            return invalid_uri("URL contains a space, control or non-ASCII character");
        }
    }
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return invalid_uri("URL is not absolute");
    const std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return invalid_uri("URL scheme must be http or https");

    std::string_view rest = url.substr(scheme_end + 3);
    const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    const std::string_view authority = rest.substr(0, authority_end);
    std::string_view path = rest.substr(authority_end);
    path = path.substr(0, std::min(path.find_first_of("?#"), path.size()));

    if (authority.find('@') != std::string_view::npos) {
        return invalid_uri("URL must not contain user information");
    }
    std::string_view host = authority;
    std::string_view port_text;
    bool has_port = false;
    const std::size_t colon = authority.rfind(':');
    const std::size_t bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port_text = authority.substr(colon + 1);
        has_port = true;
    }
    if (host.empty()) return invalid_uri("URL has no host");
    if (!is_valid_reg_name(host) && !is_valid_ip_literal(host)) {
        return invalid_uri("URL has an invalid host");
    }
    unsigned port = 0;
    if (has_port) {
        port = parse_port(port_text);
        if (port == 0) return invalid_uri("URL has an invalid port");
    }
    if (!is_valid_path(path)) return invalid_uri("URL has an invalid path");

    std::string out = scheme + "://" + lower(host);
    const unsigned default_port = scheme == "http" ? 80 : 443;
    if (has_port && port != default_port) out += ":" + std::to_string(port);
    out += path.empty() ? std::string_view("/") : path;
    return out;
}

std::string normalize_parameters(const Params& params) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params.size());
    for (const Param& param : params) {
        encoded.emplace_back(percent_encode(param.name), percent_encode(param.value));
    }
    std::sort(encoded.begin(), encoded.end());  // byte order, name then value
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (i > 0) out.push_back('&');
        out += encoded[i].first;
        out.push_back('=');
        out += encoded[i].second;
    }
    return out;
}

Result<std::string> signature_base_string(std::string_view method, std::string_view url,
                                          const Params& params) {
    if (method.empty()) return Error{ErrorCode::invalid_field, "HTTP method is empty"};
    auto uri = base_string_uri(url);
    if (!uri) return uri.error();
    std::string upper(method);
    std::transform(upper.begin(), upper.end(), upper.begin(), to_upper);
    return percent_encode(upper) + "&" + percent_encode(uri.value()) + "&" +
           percent_encode(normalize_parameters(params));
}

std::string signing_key(std::string_view consumer_secret, std::string_view token_secret) {
    return percent_encode(consumer_secret) + "&" + percent_encode(token_secret);
}

std::string authorization_header(const Params& oauth_params, std::string_view realm) {
    std::string out = "OAuth ";
    bool first = true;
    auto append = [&](std::string_view name, std::string_view value) {
        if (!first) out += ", ";
        first = false;
        out += percent_encode(name);
        out += "=\"";
        out += percent_encode(value);
        out += '"';
    };
    if (!realm.empty()) append("realm", realm);
    for (const Param& param : oauth_params) append(param.name, param.value);
    return out;
}

Result<Params> parse_authorization_header(std::string_view header) {
    if (header.size() > max_authorization_header_length) {
        return Error{ErrorCode::too_long, "Authorization header is longer than " +
                                              std::to_string(max_authorization_header_length) +
                                              " bytes"};
    }
    auto invalid = [](std::string message) {
        return Error{ErrorCode::invalid_field, "Authorization header " + std::move(message)};
    };
    if (header.size() < 6 || lower(header.substr(0, 5)) != "oauth" || header[5] != ' ') {
        return invalid("does not use the OAuth scheme");
    }
    std::size_t i = 5;
    while (i < header.size() && header[i] == ' ') ++i;
    if (i == header.size()) return invalid("has no parameters");

    Params params;
    std::size_t pairs = 0;
    std::vector<std::string> seen;  // every decoded name, realm included
    while (true) {
        const std::size_t name_start = i;
        while (i < header.size() && (is_unreserved(header[i]) || header[i] == '%')) ++i;
        const std::string_view raw_name = header.substr(name_start, i - name_start);
        if (raw_name.empty()) return invalid("expects a parameter name at byte " + std::to_string(i));
        if (i + 1 >= header.size() || header[i] != '=' || header[i + 1] != '"') {
            return invalid("expects =\" after a parameter name at byte " + std::to_string(i));
        }
        i += 2;
        auto name = percent_decode(raw_name);
        if (!name) return Error{ErrorCode::invalid_encoding, "Authorization header parameter name: " +
                                                                 name.error().message};
        const bool is_realm = name.value() == "realm";

        const std::size_t value_start = i;
        while (i < header.size() && header[i] != '"') {
            const char c = header[i];
            const bool allowed = is_realm ? (c >= 0x20 && c < 0x7F && c != '\\')
                                          : (is_unreserved(c) || c == '%');
            if (!allowed) return invalid("has a character not allowed in a value at byte " +
                                         std::to_string(i));
            ++i;
        }
        if (i == header.size()) return invalid("has an unterminated quoted value");
        const std::string_view raw_value = header.substr(value_start, i - value_start);
        ++i;  // closing quote

        if (++pairs > max_authorization_params) {
            return Error{ErrorCode::too_many, "Authorization header has more than " +
                                                  std::to_string(max_authorization_params) +
                                                  " parameters"};
        }
        if (std::find(seen.begin(), seen.end(), name.value()) != seen.end()) {
            return invalid("repeats a parameter");
        }
        seen.push_back(name.value());
        if (!is_realm) {
            auto value = percent_decode(raw_value);
            if (!value) return Error{ErrorCode::invalid_encoding, "Authorization header parameter value: " +
                                                                      value.error().message};
            params.push_back(Param{std::move(name).value(), std::move(value).value()});
        }

        while (i < header.size() && is_ows(header[i])) ++i;
        if (i == header.size()) break;
        if (header[i] != ',') return invalid("expects a comma at byte " + std::to_string(i));
        ++i;
        while (i < header.size() && is_ows(header[i])) ++i;
        if (i == header.size()) return invalid("ends with a comma");
    }
    return params;
}

}  // namespace perch
