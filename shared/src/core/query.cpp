#include "core/query.h"

#include "core/percent_encoding.h"

namespace perch {
namespace {

// Calls `visit(segment)` for every non-empty '&'-separated segment.
template <typename Visit>
void for_each_segment(std::string_view query, Visit&& visit) {
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        if (end > start) visit(query.substr(start, end - start));
        start = end + 1;
    }
}

}  // namespace

Result<Params> parse_query(std::string_view query, const QueryLimits& limits) {
    if (query.size() > limits.max_length) {
        return Error{ErrorCode::too_long,
                     "query is longer than " + std::to_string(limits.max_length) + " bytes"};
    }
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);

    // Count first, so an oversized query is reported as such whatever it holds.
    std::size_t pairs = 0;
    for_each_segment(query, [&](std::string_view) { ++pairs; });
    if (pairs > limits.max_pairs) {
        return Error{ErrorCode::too_many,
                     "query has more than " + std::to_string(limits.max_pairs) + " parameters"};
    }

    Params params;
    params.reserve(pairs);
    std::optional<Error> failure;
    for_each_segment(query, [&](std::string_view segment) {
        if (failure) return;
        const std::size_t eq = segment.find('=');
        const std::string_view raw_name = segment.substr(0, eq);
        const std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1);
        auto name = percent_decode(raw_name, PlusMeans::space);
        if (!name) {
            failure = Error{ErrorCode::invalid_encoding, "parameter name: " + name.error().message};
            return;
        }
        if (name.value().size() > limits.max_name_length) {
            failure = Error{ErrorCode::too_long, "parameter name is longer than " +
                                                     std::to_string(limits.max_name_length) + " bytes"};
            return;
        }
        auto value = percent_decode(raw_value, PlusMeans::space);
        if (!value) {
            failure = Error{ErrorCode::invalid_encoding, "parameter value: " + value.error().message};
            return;
        }
        if (value.value().size() > limits.max_value_length) {
            failure = Error{ErrorCode::too_long, "parameter value is longer than " +
                                                     std::to_string(limits.max_value_length) + " bytes"};
            return;
        }
        params.push_back(Param{std::move(name).value(), std::move(value).value()});
    });
    if (failure) return *failure;
    return params;
}

std::string format_query(const Params& params) {
    std::string out;
    bool first = true;
    for (const Param& param : params) {
        if (!first) out.push_back('&');
        first = false;
        out += percent_encode(param.name);
        out.push_back('=');
        out += percent_encode(param.value);
    }
    return out;
}

std::optional<std::string> find_param(const Params& params, std::string_view name) {
    for (const Param& param : params) {
        if (param.name == name) return param.value;
    }
    return std::nullopt;
}

std::size_t count_params(const Params& params, std::string_view name) {
    std::size_t count = 0;
    for (const Param& param : params) {
        if (param.name == name) ++count;
    }
    return count;
}

}  // namespace perch
