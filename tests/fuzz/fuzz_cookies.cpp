// The proxy's Cookie header parser (proxy/src/app/cookies.cpp), how a session id
// is picked from it (session_store.cpp's is_session_id_text and a real
// InMemorySessionStore), and how the browser's flow cookies are read
// (flow_cookies.cpp with a real FlowSeal). The input is one or more Cookie
// headers separated by '\n' (a header value never holds one). Never crashes;
// every pair is a piece of its header; duplicates are kept in order; the
// session id that would be used is only ever 43 base64url characters and a
// live session; the flows read are ours only, at most as many as asked,
// newest first, and only ever what FlowSeal itself sealed.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "app/cookies.h"
#include "app/flow_cookies.h"
#include "app/route_support.h"  // session_cookie_name
#include "app/sealed_flow.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "core/callback.h"
#include "fuzz_check.h"
#include "store/session_store.h"

namespace {

using perch::CookiePair;

class FixedClock final : public perch::Clock {
public:
    std::int64_t unix_seconds() const override { return 1700000000; }
    std::chrono::steady_clock::time_point monotonic() const override { return {}; }
};

// Every fill is `byte` repeated, so the ids are known (0x00 -> 43 'A',
// 0xFB -> "-_v7-_v7..."); the seeds and the dictionary hold both.
class RepeatedByte final : public perch::RandomSource {
public:
    unsigned char byte = 0;
    void fill(unsigned char* out, std::size_t size) override { std::memset(out, byte, size); }
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_base64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_plain_message(const std::string& message) {
    if (message.empty() || message.size() > 80) return false;
    for (char c : message) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

void check_pairs(std::string_view header, const perch::CookieLimits& limits, const std::vector<CookiePair>& pairs) {
    PERCH_FUZZ_CHECK(header.size() <= limits.max_header_bytes);
    PERCH_FUZZ_CHECK(pairs.size() <= limits.max_pairs);
    std::size_t from = 0;
    for (const CookiePair& pair : pairs) {
        // A name: non-empty, trimmed, and within one ';'-separated item.
        PERCH_FUZZ_CHECK(!pair.name.empty());
        PERCH_FUZZ_CHECK(!is_space(pair.name.front()) && !is_space(pair.name.back()));
        PERCH_FUZZ_CHECK(pair.name.find_first_of(";=") == std::string::npos);
        PERCH_FUZZ_CHECK(pair.value.find(';') == std::string::npos);
        // Pairs come in header order, each from its own item.
        const std::size_t at = header.find(pair.name, from);
        PERCH_FUZZ_CHECK(at != std::string_view::npos);
        PERCH_FUZZ_CHECK(header.find(pair.value, at + pair.name.size()) != std::string_view::npos);
        const std::size_t end = header.find(';', at);
        from = end == std::string_view::npos ? header.size() : end + 1;
    }
    // Written back as `name="value"; ...` (quotes keep the value's own edges),
    // the header reads as the same pairs.
    std::string written;
    for (const CookiePair& pair : pairs) {
        if (!written.empty()) written += "; ";
        written += pair.name + "=\"" + pair.value + "\"";
    }
    const auto again = perch::parse_cookie_header(written, {written.size(), pairs.size()});
    PERCH_FUZZ_CHECK(again.ok());
    PERCH_FUZZ_CHECK(again.value().size() == pairs.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        PERCH_FUZZ_CHECK(again.value()[i].name == pairs[i].name && again.value()[i].value == pairs[i].value);
    }
}

// The flow cookies the proxy would read from these headers. The seal's key
// and nonces are fixed, so the seeds can hold genuine sealed flows
// (tests/fuzz/corpus/fuzz_cookies/flow_*): anything else never opens.
void check_flows(const std::vector<std::string>& headers, const perch::ProxyConfig& config) {
    RepeatedByte random;
    const perch::FlowSeal seal(perch::TokenKey{{0x70, 0x65, 0x72, 0x63, 0x68}}, random);
    perch::HttpRequest request;
    for (const std::string& header : headers) request.headers.emplace("cookie", header);
    const std::size_t keep = 3;
    const perch::BrowserFlows flows = perch::read_browser_flows(request, config, seal, keep);
    PERCH_FUZZ_CHECK(flows.kept.size() <= keep);
    const std::string_view prefix = perch::flow_cookie_prefix(config);
    std::vector<std::string> names;
    for (const perch::BrowserFlow& flow : flows.kept) {
        PERCH_FUZZ_CHECK(flow.cookie_name.size() == prefix.size() + 11 && flow.cookie_name.rfind(prefix, 0) == 0);
        PERCH_FUZZ_CHECK(perch::is_token_text(flow.flow.id) && flow.flow.id.size() <= perch::max_token_length);
        PERCH_FUZZ_CHECK(perch::is_token_text(flow.flow.secret) && flow.flow.secret.size() <= perch::max_token_length);
        // A flow that opened is exactly what seal() makes of it: nothing else authenticates.
        random.byte = 0x00;
        const std::string resealed = seal.seal(flow.flow, flow.cookie_name);
        // Sent under that name as the parser reads it (whitespace around '=' is trimmed).
        const std::vector<std::string> sent = perch::cookie_values(headers, flow.cookie_name);
        PERCH_FUZZ_CHECK(std::find(sent.begin(), sent.end(), resealed) != sent.end());
        names.push_back(flow.cookie_name);
    }
    for (std::size_t i = 1; i < flows.kept.size(); ++i) {
        PERCH_FUZZ_CHECK(flows.kept[i - 1].flow.expires_unix >= flows.kept[i].flow.expires_unix);
    }
    for (const std::string& name : flows.to_forget) {
        PERCH_FUZZ_CHECK(name.size() == prefix.size() + 11 && name.rfind(prefix, 0) == 0);
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    PERCH_FUZZ_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    std::vector<std::string> headers;
    for (std::size_t start = 0; start <= input.size() && headers.size() < 8;) {
        const std::size_t end = std::min(input.find('\n', start), input.size());
        headers.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }

    // Both names the proxy uses: __Host-perch_session (https) when the input's
    // length is odd, perch_session (plain http) when it is even.
    perch::ProxyConfig config;
    config.secure_cookies = size % 2 == 1;
    const std::string_view cookie_name = perch::session_cookie_name(config);

    // Each header on its own, with the defaults and with tight limits.
    std::vector<std::string> expected;  // every value of that cookie, as documented
    const perch::CookieLimits defaults{};
    for (const std::string& header : headers) {
        const auto parsed = perch::parse_cookie_header(header, defaults);
        if (!parsed.ok()) {
            const auto code = parsed.error().code;
            PERCH_FUZZ_CHECK(code == perch::ErrorCode::too_long || code == perch::ErrorCode::too_many);
            PERCH_FUZZ_CHECK((code == perch::ErrorCode::too_long) == (header.size() > defaults.max_header_bytes));
            PERCH_FUZZ_CHECK(is_plain_message(parsed.error().message));
            continue;
        }
        check_pairs(header, defaults, parsed.value());
        for (const CookiePair& pair : parsed.value()) {
            if (pair.name == cookie_name) expected.push_back(pair.value);
        }
        // A limit is an error, never a truncation.
        const std::size_t count = parsed.value().size();
        if (count > 0) {
            const auto fewer = perch::parse_cookie_header(header, {defaults.max_header_bytes, count - 1});
            PERCH_FUZZ_CHECK(!fewer.ok() && fewer.error().code == perch::ErrorCode::too_many);
        }
        if (!header.empty()) {
            const auto shorter = perch::parse_cookie_header(header, {header.size() - 1, defaults.max_pairs});
            PERCH_FUZZ_CHECK(!shorter.ok() && shorter.error().code == perch::ErrorCode::too_long);
        }
    }
    const std::vector<std::string> values = perch::cookie_values(headers, cookie_name);
    PERCH_FUZZ_CHECK(values == expected);

    // A store with one live session (43 'A') and one that was ended
    // ("-_-_..."), as the proxy would hold them.
    FixedClock clock;
    RepeatedByte random;
    perch::InMemorySessionStore sessions(perch::SessionLimits{}, clock, random);
    random.byte = 0xFB;
    const std::optional<std::string> ended = sessions.create(perch::NewSession{});
    random.byte = 0x00;
    const std::optional<std::string> live = sessions.create(perch::NewSession{});
    PERCH_FUZZ_CHECK(ended && live && *live == std::string(perch::session_id_length, 'A'));
    sessions.destroy(*ended);

    // The proxy's choice (api_handlers.cpp current_session_id): the first
    // value shaped like an id that names a live session.
    std::optional<std::string> chosen;
    for (const std::string& value : values) {
        const bool shaped = perch::is_session_id_text(value);
        bool all_base64url = value.size() == perch::session_id_length;
        for (char c : value) all_base64url = all_base64url && is_base64url(c);
        PERCH_FUZZ_CHECK(shaped == all_base64url);
        // The store refuses a malformed id by itself too.
        const bool known = sessions.touch(value);
        PERCH_FUZZ_CHECK(!known || (shaped && value == *live));
        if (!chosen && shaped && known) chosen = value;
    }
    if (chosen) {
        PERCH_FUZZ_CHECK(*chosen == *live);
    } else {
        for (const std::string& value : values) PERCH_FUZZ_CHECK(value != *live);
    }

    check_flows(headers, config);

    // Set-Cookie never carries a byte that could split or extend the header,
    // whatever name and value it is handed.
    const std::string name = headers.front().substr(0, headers.front().find('='));
    const std::string value = headers.size() > 1 ? headers[1] : std::string();
    perch::SetCookieOptions options;
    options.path = headers.size() > 2 ? headers[2] : std::string("/");
    options.max_age_seconds = static_cast<std::int64_t>(size) - 100;
    for (const std::string& set_cookie : {perch::build_set_cookie(name, value, options),
                                          perch::build_clear_cookie(name, options)}) {
        for (char c : set_cookie) {
            const auto u = static_cast<unsigned char>(c);
            PERCH_FUZZ_CHECK(u >= 0x20 && u < 0x7F);
        }
        const auto first = perch::parse_cookie_header(set_cookie, {set_cookie.size(), 64});
        PERCH_FUZZ_CHECK(first.ok());
    }
    return 0;
}
