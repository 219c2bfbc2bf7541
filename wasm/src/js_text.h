// Converting between JS strings (UTF-16 code units) and the core's UTF-8 bytes.
//
// Embind's own std::string conversion pairs a lone surrogate with whatever
// code unit follows it, silently turning bad text into a different valid
// character. We convert ourselves, with one rule each way:
// - to UTF-8: a lone surrogate becomes its 3-byte generalized-UTF-8 form
//   (U+D800 -> ED A0 80, "WTF-8"). That is not valid UTF-8, so the core's
//   strict checks reject it wherever it validates text; nothing is guessed.
// - from UTF-8: those 3-byte forms turn back into the same lone code unit (so
//   text that merely passes through comes back unchanged); any other byte
//   sequence that is not UTF-8 becomes U+FFFD, one per maximal bad subpart.
#pragma once

#include <string>
#include <string_view>

namespace perch::wasm {

std::string utf16_to_utf8(std::u16string_view units);
std::u16string utf8_to_utf16(std::string_view bytes);

}  // namespace perch::wasm
