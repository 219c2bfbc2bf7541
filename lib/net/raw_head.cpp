#include "net/raw_head.h"

#include "core/text.h"

namespace perch {
namespace {

bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<RawHeaders> parse_raw_headers(std::string_view head) {
    RawHeaders headers;
    bool request_line = true;
    while (!head.empty()) {
        const auto end = head.find('\n');
        std::string_view line = head.substr(0, end);
        head = end == std::string_view::npos ? std::string_view() : head.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (request_line) {
            request_line = false;
            continue;
        }
        if (line.empty()) return headers;  // end of the head
        if (line.front() == ' ' || line.front() == '\t') return std::nullopt;  // obs-fold
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        std::string name(line.substr(0, colon));
        for (char& c : name) {
            if (!is_token_char(c)) return std::nullopt;
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        const std::string_view value = trim(line.substr(colon + 1));
        for (char c : value)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return std::nullopt;
        headers.emplace(std::move(name), std::string(value));
    }
    return std::nullopt;  // no empty line: the head was cut short
}

}  // namespace perch
