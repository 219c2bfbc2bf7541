// The framing decision of perch-proxy's connection loop
// (lib/net/request_head.h) on arbitrary bytes, with the shipped limits and
// with tight limits taken from the input's first bytes (the shipped 16 KiB
// head cap is above the fuzzer's 12 KiB inputs). Never crashes; an accepted
// head has exactly one framing, checked by an independent reading of its
// lines; a refusal has a documented status, code and a fixed message; a
// decision never changes when more bytes arrive, and a prefix of an accepted
// head is never decided.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "net/request_head.h"

namespace {

using perch::AcceptedHead;
using perch::HeadDecision;
using perch::HeadLimits;
using perch::IncompleteHead;
using perch::RefusedHead;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool is_plain_message(const std::string& message) {
    if (message.empty() || message.size() > 100) return false;
    return std::all_of(message.begin(), message.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Reads an accepted head again, line by line, without the decision's code.
void check_accepted(std::string_view input, const AcceptedHead& head, const HeadLimits& limits) {
    PERCH_FUZZ_CHECK(head.head_bytes <= input.size() && head.head_bytes <= limits.max_head_bytes);
    const std::string_view bytes = input.substr(0, head.head_bytes);
    // It ends at the first empty line, and every line ends in CRLF, with no other CR or LF, and no NUL.
    PERCH_FUZZ_CHECK(bytes.find("\r\n\r\n") + 4 == bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\n') PERCH_FUZZ_CHECK(i > 0 && bytes[i - 1] == '\r');
        if (bytes[i] == '\r') PERCH_FUZZ_CHECK(i + 1 < bytes.size() && bytes[i + 1] == '\n');
        PERCH_FUZZ_CHECK(bytes[i] != '\0');
    }
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start + 2 < bytes.size();) {
        const std::size_t end = bytes.find("\r\n", start);
        lines.push_back(bytes.substr(start, end - start));
        start = end + 2;
    }
    PERCH_FUZZ_CHECK(!lines.empty() && lines.size() - 1 <= limits.max_header_lines);
    PERCH_FUZZ_CHECK(lines[0] == head.method + " " + head.target + " " + head.version);
    PERCH_FUZZ_CHECK(head.version == "HTTP/1.1" || head.version == "HTTP/1.0");
    PERCH_FUZZ_CHECK(lines[0].size() + 2 <= limits.max_request_line_bytes);

    int lengths = 0;
    int hosts = 0;
    std::string length_value;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        PERCH_FUZZ_CHECK(line.size() + 2 <= limits.max_header_line_bytes);
        const std::size_t colon = line.find(':');
        PERCH_FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
        const std::string name = lower(line.substr(0, colon));
        // No whitespace in or around a name: nobody can read another name into it.
        PERCH_FUZZ_CHECK(name.find_first_of(" \t") == std::string::npos);
        PERCH_FUZZ_CHECK(lower(trim(line.substr(0, colon))) != "transfer-encoding");
        if (name == "content-length") {
            ++lengths;
            length_value = std::string(trim(line.substr(colon + 1)));
        }
        if (name == "host") ++hosts;
    }
    // Exactly one framing: at most one Content-Length, plain digits, equal to body_length.
    PERCH_FUZZ_CHECK(lengths <= 1);
    PERCH_FUZZ_CHECK(hosts <= 1 && (hosts == 1 || head.version == "HTTP/1.0"));
    if (lengths == 1) {
        PERCH_FUZZ_CHECK(!length_value.empty() && length_value.size() <= 18);
        PERCH_FUZZ_CHECK(std::all_of(length_value.begin(), length_value.end(), [](char c) { return c >= '0' && c <= '9'; }));
        PERCH_FUZZ_CHECK(std::stoull(length_value) == head.body_length);
    } else {
        PERCH_FUZZ_CHECK(head.body_length == 0);
        PERCH_FUZZ_CHECK(head.method != "POST" && head.method != "PUT" && head.method != "PATCH");
    }
    PERCH_FUZZ_CHECK(head.body_length <= limits.max_body_bytes);
}

void check_refused(const RefusedHead& refused, const HeadLimits& limits) {
    switch (refused.status) {
        case 400: PERCH_FUZZ_CHECK(refused.code == "bad_request"); break;
        case 411: PERCH_FUZZ_CHECK(refused.code == "length_required"); break;
        case 413: PERCH_FUZZ_CHECK(refused.code == "too_large"); break;
        case 414: PERCH_FUZZ_CHECK(refused.code == "uri_too_long"); break;
        case 431: PERCH_FUZZ_CHECK(refused.code == "request_header_fields_too_large"); break;
        default: PERCH_FUZZ_CHECK(!"a status outside 400, 411, 413, 414, 431");
    }
    PERCH_FUZZ_CHECK(is_plain_message(refused.message));
    if (refused.status == 411) {
        PERCH_FUZZ_CHECK(refused.method == "POST" || refused.method == "PUT" || refused.method == "PATCH");
    }
    // The method and target for the log: both or neither, from a well-formed request line.
    PERCH_FUZZ_CHECK(refused.method.empty() == refused.target.empty());
    PERCH_FUZZ_CHECK(refused.target.size() + refused.method.size() + 12 <= limits.max_request_line_bytes ||
                     refused.target.empty());
    for (char c : refused.target) PERCH_FUZZ_CHECK(c > 0x20 && c < 0x7f);
}

bool same_decision(const HeadDecision& a, const HeadDecision& b) {
    if (a.index() != b.index()) return false;
    if (const auto* refused = std::get_if<RefusedHead>(&a)) {
        const auto& other = std::get<RefusedHead>(b);
        return refused->status == other.status && refused->message == other.message;
    }
    if (const auto* head = std::get_if<AcceptedHead>(&a)) {
        const auto& other = std::get<AcceptedHead>(b);
        return head->head_bytes == other.head_bytes && head->body_length == other.body_length &&
               head->method == other.method && head->target == other.target;
    }
    return true;
}

void check(std::string_view input, const HeadLimits& limits, std::size_t cut) {
    const HeadDecision decision = perch::decide_request_head(input, limits);
    if (const auto* head = std::get_if<AcceptedHead>(&decision)) {
        check_accepted(input, *head, limits);
        // Any shorter piece of the head is not decided yet.
        const std::size_t shorter = cut % head->head_bytes;
        PERCH_FUZZ_CHECK(std::holds_alternative<IncompleteHead>(perch::decide_request_head(input.substr(0, shorter), limits)));
    } else if (const auto* refused = std::get_if<RefusedHead>(&decision)) {
        check_refused(*refused, limits);
    } else {
        PERCH_FUZZ_CHECK(input.size() < limits.max_head_bytes);
        PERCH_FUZZ_CHECK(input.find("\r\n\r\n") == std::string_view::npos);
    }
    // What arrives later never changes a decision, and a piece is undecided or decided alike.
    const std::string longer = std::string(input) + "\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n";
    const HeadDecision extended = perch::decide_request_head(longer, limits);
    if (!std::holds_alternative<IncompleteHead>(decision)) PERCH_FUZZ_CHECK(same_decision(decision, extended));
    const HeadDecision piece = perch::decide_request_head(input.substr(0, cut % (input.size() + 1)), limits);
    if (!std::holds_alternative<IncompleteHead>(piece)) PERCH_FUZZ_CHECK(same_decision(piece, decision));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    // Tight limits, so the caps are reached within the fuzzer's input sizes.
    HeadLimits tight;
    tight.max_head_bytes = 16 + data[0] * 16u;
    tight.max_header_lines = data[1] % 16;
    tight.max_request_line_bytes = 8 + data[2] * 4u;
    tight.max_header_line_bytes = 8 + data[3] * 4u;
    tight.max_body_bytes = data[1] * 8u;
    const std::size_t cut = static_cast<std::size_t>(data[0]) * 257 + data[3];
    const std::string_view input(reinterpret_cast<const char*>(data) + 4, size - 4);
    check(input, HeadLimits{}, cut);
    check(input, tight, cut);
    return 0;
}
