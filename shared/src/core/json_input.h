// Strict, bounded JSON parsing for text that comes from a stranger.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace perch {

struct JsonLimits {
    std::size_t max_bytes = 1024 * 1024;
    std::size_t max_depth = 32;
};

// Parses without throwing. Too large -> too_long; invalid JSON, nesting deeper
// than max_depth (checked before the parser recurses), invalid UTF-8 in a
// string, or a duplicate key in one object -> invalid_json.
// nlohmann's parser, or, in the sign-up page's build (PERCH_JSON_OWN_READER),
// read_json: the same answers without nlohmann's parser, strtod or printf,
// most of the page's WebAssembly module.
Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits = {});

// The two implementations, each always built so that the unit tests and the
// fuzz target hold them to the same answer, error positions included.
Result<nlohmann::json> parse_json_with_nlohmann(std::string_view text, const JsonLimits& limits = {});
Result<nlohmann::json> read_json(std::string_view text, const JsonLimits& limits = {});

}  // namespace perch
