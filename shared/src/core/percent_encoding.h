// Percent-encoding exactly as OAuth 1.0a wants it (RFC 5849 §3.6).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace perch {

// Unreserved bytes (A-Z a-z 0-9 - . _ ~) pass; every other byte becomes %XX with
// upper-case hex. Works on bytes, so UTF-8 text is encoded byte by byte.
std::string percent_encode(std::string_view bytes);

enum class PlusMeans { plus, space };

// Strict decoding: a '%' not followed by two hex digits, a decoded NUL, or a
// result that is not valid UTF-8 is an invalid_encoding error, never a guess.
// With PlusMeans::space (HTML forms, query strings) '+' decodes to ' '.
Result<std::string> percent_decode(std::string_view text, PlusMeans plus = PlusMeans::plus);

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

}  // namespace perch
