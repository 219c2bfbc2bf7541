// UTF-8 decoding and the few Unicode character properties the form rules and
// the profile mapping need. Hand-written because the core must build to
// WebAssembly without ICU; the tables are short and tests/js checks them
// against the JavaScript engine's own \p{…} properties.
#pragma once

#include <cstddef>
#include <string_view>

namespace perch {

// One code point at byte `i`, strictly: no overlongs, no surrogates, nothing
// above U+10FFFF. A malformed sequence is {0, 1, false}: one byte.
struct CodePoint {
    char32_t value;
    std::size_t length;
    bool valid;
};

CodePoint decode_utf8(std::string_view s, std::size_t i);

// Visits each code point; false at the first malformed sequence.
template <typename Visit>
bool for_each_code_point(std::string_view s, Visit visit) {
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint cp = decode_utf8(s, i);
        if (!cp.valid) return false;
        visit(cp.value);
        i += cp.length;
    }
    return true;
}

// Unicode's White_Space property (tab, line breaks, NBSP, U+3000, ...).
bool is_white_space(char32_t c);

// Unicode's Default_Ignorable_Code_Point property: characters a renderer
// draws as nothing (U+200B, U+200C/D, U+2060, U+FEFF, U+00AD, U+180E,
// the Hangul fillers, variation selectors, tags, bidi controls, ...).
bool is_default_ignorable(char32_t c);

// Unicode's Bidi_Control property: the embeddings, overrides and isolates
// (U+202A..U+202E, U+2066..U+2069) and the marks U+200E, U+200F, U+061C.
bool is_bidi_control(char32_t c);

// Draws nothing a reader can see: White_Space, Default_Ignorable_Code_Point,
// and U+2800 BRAILLE PATTERN BLANK (a symbol, in neither property, that
// every font draws empty).
bool is_invisible(char32_t c);

// C0, DEL, C1, and the two Unicode line breaks (C0/C1 hold the others).
bool is_control_or_line_break(char32_t c);

}  // namespace perch
