// parse_authorization_header on arbitrary text, and authorization_header on
// arbitrary pairs: never crashes, and what is built parses back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "core/oauth.h"
#include "core/percent_encoding.h"

namespace {

bool same_after_round_trip(const perch::Params& params, std::string_view realm) {
    const std::string header = perch::authorization_header(params, realm);
    if (header.size() > perch::max_authorization_header_length) return true;  // too big to parse, by design
    const auto again = perch::parse_authorization_header(header);
    if (!again.ok()) return false;
    return again.value() == params && perch::authorization_header(again.value(), realm) == header;
}

bool has(const perch::Params& params, std::string_view name) {
    for (const auto& param : params) {
        if (param.name == name) return true;
    }
    return false;
}

// Pairs cut from the raw bytes: "name\x01value\x02name\x01value...".
perch::Params pairs_from(std::string_view input, std::string& realm) {
    perch::Params params;
    std::size_t start = 0;
    while (start < input.size() && params.size() < perch::max_authorization_params - 1) {
        std::size_t end = input.find('\x02', start);
        if (end == std::string_view::npos) end = input.size();
        const std::string_view item = input.substr(start, end - start);
        start = end + 1;
        const std::size_t split = item.find('\x01');
        const std::string name(item.substr(0, split));
        const std::string value(split == std::string_view::npos ? std::string_view{} : item.substr(split + 1));
        const bool usable = !name.empty() && name != "realm" && !has(params, name) &&
                            perch::is_valid_utf8(name) && perch::is_valid_utf8(value) &&
                            name.find('\0') == std::string::npos && value.find('\0') == std::string::npos;
        if (usable) params.push_back({name, value});
        else if (realm.empty()) realm = value;
    }
    return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto parsed = perch::parse_authorization_header(input);
    if (parsed.ok()) {
        const perch::Params& params = parsed.value();
        PERCH_FUZZ_CHECK(params.size() <= perch::max_authorization_params);
        for (std::size_t i = 0; i < params.size(); ++i) {
            PERCH_FUZZ_CHECK(!params[i].name.empty() && params[i].name != "realm");
            PERCH_FUZZ_CHECK(perch::is_valid_utf8(params[i].name) && perch::is_valid_utf8(params[i].value));
            for (std::size_t j = i + 1; j < params.size(); ++j) PERCH_FUZZ_CHECK(params[i].name != params[j].name);
        }
        if (!params.empty()) PERCH_FUZZ_CHECK(same_after_round_trip(params, {}));
        PERCH_FUZZ_CHECK(same_after_round_trip(params, "r"));
    } else {
        const auto code = parsed.error().code;
        PERCH_FUZZ_CHECK(code == perch::ErrorCode::invalid_field || code == perch::ErrorCode::invalid_encoding ||
                         code == perch::ErrorCode::too_long || code == perch::ErrorCode::too_many);
    }

    std::string realm;
    const perch::Params built = pairs_from(input, realm);
    if (!perch::is_valid_utf8(realm) || realm.find('\0') != std::string::npos) realm.clear();
    if (!built.empty()) PERCH_FUZZ_CHECK(same_after_round_trip(built, realm));
    return 0;
}
