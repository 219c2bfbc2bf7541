// parse_json (shared/src/core/json_input.cpp), the gate for every JSON text a
// stranger sends: never crashes or throws, honours its size and depth limits,
// refuses duplicate keys, builds what nlohmann's parser builds, and what it
// accepts writes out and reads back equal. read_json, the page's own reader
// (json_reader.cpp), answers exactly as it does.
// Also feeds accepted values to parse_user and map_profile's DOM overload.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/api_types.h"
#include "fuzz_check.h"
#include "core/json_input.h"
#include "core/percent_encoding.h"
#include "core/profile.h"
#include "../support/json_typed.h"

namespace {

using json = nlohmann::json;

// Nesting depth without recursion (a scalar is 0, [] is 1, [[]] is 2).
std::size_t depth_of(const json& root) {
    std::size_t deepest = 0;
    std::vector<std::pair<const json*, std::size_t>> stack{{&root, 0}};
    while (!stack.empty()) {
        const auto [value, depth] = stack.back();
        stack.pop_back();
        if (!value->is_structured()) continue;
        if (depth + 1 > deepest) deepest = depth + 1;
        for (const json& child : *value) stack.emplace_back(&child, depth + 1);
    }
    return deepest;
}

// Object keys and string values in the DOM, counted without recursion.
struct DomCounts {
    std::size_t keys = 0;
    bool strings_utf8 = true;
};

DomCounts count_dom(const json& root) {
    DomCounts counts;
    std::vector<const json*> stack{&root};
    while (!stack.empty()) {
        const json* value = stack.back();
        stack.pop_back();
        if (value->is_string()) {
            counts.strings_utf8 = counts.strings_utf8 && perch::is_valid_utf8(value->get_ref<const std::string&>());
        } else if (value->is_object()) {
            for (const auto& item : value->items()) {
                counts.keys += 1;
                counts.strings_utf8 = counts.strings_utf8 && perch::is_valid_utf8(item.key());
                stack.push_back(&item.value());
            }
        } else if (value->is_array()) {
            for (const json& child : *value) stack.push_back(&child);
        }
    }
    return counts;
}

// Counts the keys as nlohmann's own SAX parser sees them in the text, so a
// duplicate that the DOM would silently collapse shows up as a difference.
class KeyCounter final : public nlohmann::json_sax<json> {
public:
    std::size_t keys = 0;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override {
        ++keys;
        return true;
    }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
        return false;
    }
};

// Error messages are built from constants and numbers: short printable ASCII
// that never repeats the stranger's text.
bool is_plain_message(const std::string& message) {
    if (message.empty() || message.size() > 80) return false;
    for (char c : message) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

void check_error(const perch::Error& error) {
    PERCH_FUZZ_CHECK(error.code == perch::ErrorCode::invalid_json || error.code == perch::ErrorCode::too_long);
    PERCH_FUZZ_CHECK(is_plain_message(error.message));
}

void check_accepted(std::string_view text, const perch::JsonLimits& limits, const json& value) {
    PERCH_FUZZ_CHECK(text.size() <= limits.max_bytes);
    PERCH_FUZZ_CHECK(text.find('\0') == std::string_view::npos);
    PERCH_FUZZ_CHECK(!value.is_discarded());
    PERCH_FUZZ_CHECK(depth_of(value) <= limits.max_depth);

    const DomCounts counts = count_dom(value);
    PERCH_FUZZ_CHECK(counts.strings_utf8);
    // The value built during the checking pass is the one nlohmann's own
    // parser builds from the same text.
    PERCH_FUZZ_CHECK(value == json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false));
    KeyCounter counter;
    PERCH_FUZZ_CHECK(json::sax_parse(text.data(), text.data() + text.size(), &counter));
    PERCH_FUZZ_CHECK(counter.keys == counts.keys);  // no duplicate key was collapsed

    // Valid UTF-8 throughout, so the strict writer never throws; what it
    // writes is read back as the same value (unbounded size: escapes differ).
    const std::string written = value.dump();
    const auto again = perch::parse_json(written, {std::numeric_limits<std::size_t>::max(), limits.max_depth});
    PERCH_FUZZ_CHECK(again.ok());
    PERCH_FUZZ_CHECK(again.value() == value);
    PERCH_FUZZ_CHECK(again.value().dump() == written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // The defaults (1 MiB, depth 32) and the request bodies' limits (16 KiB, depth 4).
    const perch::JsonLimits wide{};
    const perch::JsonLimits narrow{perch::api::max_request_body, 4};
    const auto loose = perch::parse_json(text, wide);
    const auto strict = perch::parse_json(text, narrow);

    if (loose.ok()) check_accepted(text, wide, loose.value());
    else check_error(loose.error());
    if (strict.ok()) check_accepted(text, narrow, strict.value());
    else check_error(strict.error());

    // The sign-up page's own reader gives the same answer: the same value with
    // the same number types, or the same error naming the same byte.
    for (const perch::JsonLimits& limits : {wide, narrow}) {
        PERCH_FUZZ_CHECK(perch::test::json_answers_differ(perch::read_json(text, limits),
                                                          perch::parse_json_with_nlohmann(text, limits))
                             .empty());
    }

    // A tighter depth limit only ever refuses more, and refuses exactly the
    // values nested deeper than it.
    if (strict.ok()) PERCH_FUZZ_CHECK(loose.ok() && loose.value() == strict.value());
    if (loose.ok() && text.size() <= narrow.max_bytes) {
        PERCH_FUZZ_CHECK(strict.ok() == (depth_of(loose.value()) <= narrow.max_depth));
    }

    // One byte over the size limit is refused for its size alone.
    if (!text.empty()) {
        const auto small = perch::parse_json(text, {text.size() - 1, wide.max_depth});
        PERCH_FUZZ_CHECK(!small.ok() && small.error().code == perch::ErrorCode::too_long);
    }

    if (loose.ok()) {
        // Readers of accepted values must not throw either.
        const auto user = perch::api::parse_user(loose.value());
        if (user.ok()) {
            const auto again = perch::api::parse_user(perch::api::to_json(user.value()));
            PERCH_FUZZ_CHECK(again.ok());
            PERCH_FUZZ_CHECK(perch::api::to_json(again.value()) == perch::api::to_json(user.value()));
        } else {
            PERCH_FUZZ_CHECK(!user.error().message.empty());
        }
        (void)perch::map_profile(loose.value());
    }
    return 0;
}
