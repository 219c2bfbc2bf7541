#include "net/request_head.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/text.h"

namespace perch {
namespace {

// A table per byte class, so a head is checked with one lookup per byte.
struct ByteClass {
    bool member[256] = {};
    constexpr ByteClass(std::string_view extra, bool alphanumeric) {
        for (char c : extra) member[static_cast<unsigned char>(c)] = true;
        for (int c = 0; alphanumeric && c < 256; ++c) {
            member[c] = member[c] || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
    }
    bool all_of(std::string_view text) const {
        return std::all_of(text.begin(), text.end(), [this](char c) { return member[static_cast<unsigned char>(c)]; });
    }
};

// RFC 9110 §5.6.2 tchar.
constexpr ByteClass token_chars("!#$%&'*+-.^_`|~", true);
// What RFC 3986 allows in host [":" port]: reg-name, IP literals, pct-encoding.
constexpr ByteClass host_chars("-._~!$&'()*+,;=:[]%", true);
// field-vchar, SP and HTAB (RFC 9110 §5.5): every byte but the other controls and DEL.
constexpr ByteClass field_chars = [] {
    ByteClass chars("\t", false);
    for (int c = 0x20; c < 256; ++c) chars.member[c] = c != 0x7f;
    return chars;
}();

bool is_token(std::string_view text) { return !text.empty() && token_chars.all_of(text); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim_whitespace(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// What the scan has learnt so far.
struct HeadSoFar {
    std::string method;
    std::string target;
    std::string version;
    std::size_t header_lines = 0;
    bool has_content_length = false;
    std::uint64_t content_length = 0;
    bool has_host = false;
};

RefusedHead refusal(const HeadSoFar& head, int status, std::string code, std::string message) {
    return RefusedHead{status, std::move(code), std::move(message), head.method, head.target};
}

RefusedHead malformed(const HeadSoFar& head, std::string message) {
    return refusal(head, 400, "bad_request", std::move(message));
}

RefusedHead too_large_head(const HeadSoFar& head, std::string message) {
    return refusal(head, 431, "request_header_fields_too_large", std::move(message));
}

std::optional<RefusedHead> read_request_line(std::string_view line, HeadSoFar& head) {
    const auto refused = [&head] {
        return malformed(head, "the request line is not METHOD SP target SP HTTP/1.x");
    };
    const std::size_t first = line.find(' ');
    if (first == std::string_view::npos) return refused();
    const std::size_t second = line.find(' ', first + 1);
    if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) return refused();
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, second - first - 1);
    const std::string_view version = line.substr(second + 1);
    if (!is_token(method) || target.empty() || (version != "HTTP/1.1" && version != "HTTP/1.0")) return refused();
    if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return refused();
    head.method = method;
    head.target = target;
    head.version = version;
    return std::nullopt;
}

std::optional<RefusedHead> read_content_length(std::string_view value, HeadSoFar& head) {
    if (head.has_content_length) return malformed(head, "more than one Content-Length");
    // 18 digits cannot overflow 64 bits; a longer value is refused, never wrapped.
    if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), is_digit)) {
        return malformed(head, "Content-Length is not a plain decimal number");
    }
    head.has_content_length = true;
    for (char c : value) head.content_length = head.content_length * 10 + static_cast<std::uint64_t>(c - '0');
    return std::nullopt;
}

std::optional<RefusedHead> read_header_line(std::string_view line, HeadSoFar& head) {
    if (line.front() == ' ' || line.front() == '\t') return malformed(head, "obsolete line folding is not accepted");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return malformed(head, "a header line has no colon");
    const std::string_view name = line.substr(0, colon);
    if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        return malformed(head, "whitespace between a header name and its colon");
    }
    if (!is_token(name)) return malformed(head, "a header name is not a token");
    const std::string_view value = trim_whitespace(line.substr(colon + 1));
    if (!field_chars.all_of(value)) {
        return malformed(head, "a header value holds a control character");
    }
    if (iequals(name, "Transfer-Encoding")) {
        return malformed(head, "Transfer-Encoding is not accepted: send a Content-Length");
    }
    if (iequals(name, "Content-Length")) return read_content_length(value, head);
    if (iequals(name, "Host")) {
        if (head.has_host) return malformed(head, "more than one Host");
        if (!host_chars.all_of(value)) {
            return malformed(head, "Host is not a host[:port]");
        }
        head.has_host = true;
    }
    return std::nullopt;
}

HeadDecision complete_head(HeadSoFar&& head, std::size_t head_bytes, const HeadLimits& limits) {
    if (head.version == "HTTP/1.1" && !head.has_host) return malformed(head, "an HTTP/1.1 request needs a Host");
    if (!head.has_content_length && (head.method == "POST" || head.method == "PUT" || head.method == "PATCH")) {
        return refusal(head, 411, "length_required", "a request body needs a Content-Length");
    }
    if (head.content_length > limits.max_body_bytes) {
        return refusal(head, 413, "too_large",
                       "request body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    return AcceptedHead{head_bytes, head.content_length, std::move(head.method), std::move(head.target),
                        std::move(head.version)};
}

}  // namespace

HeadDecision decide_request_head(std::string_view bytes, const HeadLimits& limits) {
    const std::string_view window = bytes.substr(0, std::min(bytes.size(), limits.max_head_bytes));
    HeadSoFar head;
    bool request_line = true;
    for (std::size_t start = 0;;) {
        const std::size_t lf = window.find('\n', start);
        const std::size_t line_bytes = (lf == std::string_view::npos ? window.size() : lf + 1) - start;
        if (request_line && line_bytes > limits.max_request_line_bytes) {
            return refusal(head, 414, "uri_too_long", "request URI is too long");
        }
        if (!request_line && line_bytes > limits.max_header_line_bytes) {
            return too_large_head(head, "a header line is longer than " + std::to_string(limits.max_header_line_bytes) +
                                            " bytes");
        }
        if (lf == std::string_view::npos) {
            if (bytes.size() < limits.max_head_bytes) return IncompleteHead{};
            return too_large_head(head, "the request head is longer than " + std::to_string(limits.max_head_bytes) +
                                            " bytes");
        }
        std::string_view line = window.substr(start, lf - start);
        start = lf + 1;
        if (line.empty() || line.back() != '\r') return malformed(head, "a line ends in a bare LF");
        line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos) return malformed(head, "a line holds a bare CR");
        if (request_line) {
            request_line = false;
            if (auto refused = read_request_line(line, head)) return *refused;
            continue;
        }
        if (line.empty()) return complete_head(std::move(head), start, limits);
        if (++head.header_lines > limits.max_header_lines) {
            return too_large_head(head, "more than " + std::to_string(limits.max_header_lines) + " header lines");
        }
        if (auto refused = read_header_line(line, head)) return *refused;
    }
}

bool httplib_reads_body(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

}  // namespace perch
