// Absolute http(s) URLs and listen addresses, parsed strictly: the outgoing
// client connects only to what these accept, and the proxy's settings use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace perch {

// An absolute http(s) URL split for validation and for connecting.
struct HttpUrl {
    std::string scheme;  // "http" or "https", lower-cased
    std::string host;    // lower-cased; IPv6 without brackets
    int port = 0;        // explicit or the scheme's default
    bool explicit_port = false;
    std::string target;  // path + query as given ("/" when empty), never a fragment
};

// Strict: scheme http/https, a host, optional port 1..65535, no user info, no
// fragment, no whitespace or control characters. Errors are invalid_uri and never
// echo the input.
Result<HttpUrl> parse_http_url(std::string_view url);

// "scheme://host[:port]" with the default port left out, as browsers send Origin.
std::string url_origin(const HttpUrl& url);

// True for 127.0.0.0/8, ::1 and "localhost" (case-insensitive); brackets allowed.
bool is_loopback_host(const std::string& host);

// Host and port from "host:port" or "[v6]:port" (port 0..65535; host lower-cased).
struct HostPort {
    std::string host;
    int port = 0;
};
std::optional<HostPort> parse_listen(std::string_view text);

// "http://host:port" for a listen address ("[::1]" bracketed), e.g. once the real
// port is known after binding port 0.
std::string listen_origin(const std::string& host, int port);

}  // namespace perch
