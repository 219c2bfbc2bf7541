// parse_query must never crash, must honour its limits, and formatting what it
// parsed must parse back to the very same pairs. Also round-trips the raw input
// through percent_encode/percent_decode.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "core/percent_encoding.h"
#include "core/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto decoded = perch::percent_decode(perch::percent_encode(input));
    const bool decodable = perch::is_valid_utf8(input) && input.find('\0') == std::string_view::npos;
    PERCH_FUZZ_CHECK(decoded.ok() == decodable);
    if (decoded.ok()) PERCH_FUZZ_CHECK(decoded.value() == input);

    const perch::QueryLimits limits{};
    const auto parsed = perch::parse_query(input, limits);
    if (!parsed.ok()) {
        const auto code = parsed.error().code;
        PERCH_FUZZ_CHECK(code == perch::ErrorCode::too_long || code == perch::ErrorCode::too_many ||
                         code == perch::ErrorCode::invalid_encoding);
        PERCH_FUZZ_CHECK(!parsed.error().message.empty());
        return 0;
    }
    PERCH_FUZZ_CHECK(input.size() <= limits.max_length);
    const perch::Params& params = parsed.value();
    PERCH_FUZZ_CHECK(params.size() <= limits.max_pairs);
    for (const perch::Param& param : params) {
        PERCH_FUZZ_CHECK(param.name.size() <= limits.max_name_length);
        PERCH_FUZZ_CHECK(param.value.size() <= limits.max_value_length);
        PERCH_FUZZ_CHECK(perch::is_valid_utf8(param.name) && perch::is_valid_utf8(param.value));
        PERCH_FUZZ_CHECK(param.name.find('\0') == std::string::npos);
        PERCH_FUZZ_CHECK(param.value.find('\0') == std::string::npos);
        PERCH_FUZZ_CHECK(perch::count_params(params, param.name) >= 1);
    }

    // Encoding can triple the length, so the re-parse lifts the limits: the
    // property under test is the encoding, not the bounds.
    constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
    const std::string formatted = perch::format_query(params);
    const auto again = perch::parse_query(formatted, perch::QueryLimits{unlimited, unlimited, unlimited, unlimited});
    PERCH_FUZZ_CHECK(again.ok());
    PERCH_FUZZ_CHECK(again.value() == params);
    PERCH_FUZZ_CHECK(perch::format_query(again.value()) == formatted);
    return 0;
}
