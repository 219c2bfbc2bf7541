// Query strings and application/x-www-form-urlencoded bodies.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace perch {

struct Param {
    std::string name;
    std::string value;
    bool operator==(const Param& other) const { return name == other.name && value == other.value; }
};

// Ordered, duplicates kept: OAuth signs every pair, and callers must be able to
// see a duplicated oauth_token rather than have one silently win.
using Params = std::vector<Param>;

struct QueryLimits {
    std::size_t max_length = 8 * 1024;       // whole input, in bytes, including a leading '?'
    std::size_t max_pairs = 64;
    std::size_t max_name_length = 256;       // decoded bytes
    std::size_t max_value_length = 4 * 1024; // decoded bytes
};

// Parses "a=1&b=2" (a leading '?' is allowed; '+' is a space; "a" alone is a
// pair with an empty value; empty segments such as "a=1&&b=2" are skipped).
// Exceeding a limit is a too_long / too_many error, never a truncation;
// bad encoding is invalid_encoding.
Result<Params> parse_query(std::string_view query, const QueryLimits& limits = {});

// Encodes pairs as name=value joined by '&', each side percent_encode()d.
std::string format_query(const Params& params);

// The value of the only pair named `name` (the first one if it is duplicated);
// nullopt when absent. Callers that must reject duplicates use count_params().
std::optional<std::string> find_param(const Params& params, std::string_view name);
std::size_t count_params(const Params& params, std::string_view name);

}  // namespace perch
