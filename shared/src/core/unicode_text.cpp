#include "core/unicode_text.h"

namespace perch {
namespace {

struct Range {
    char32_t first;
    char32_t last;
};

template <std::size_t N>
bool in_ranges(char32_t c, const Range (&ranges)[N]) {
    for (const Range& range : ranges) {
        if (c >= range.first && c <= range.last) return true;
    }
    return false;
}

// From DerivedCoreProperties.txt and PropList.txt, Unicode 17.
constexpr Range default_ignorable[] = {
    {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},   {0x115F, 0x1160},
    {0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x200B, 0x200F},   {0x202A, 0x202E},
    {0x2060, 0x206F},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},
    {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFF8},   {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0000, 0xE0FFF},
};

constexpr Range white_space[] = {
    {0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0},
    {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
    {0x205F, 0x205F}, {0x3000, 0x3000},
};

constexpr Range bidi_control[] = {
    {0x061C, 0x061C}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069},
};

constexpr char32_t braille_pattern_blank = 0x2800;

}  // namespace

CodePoint decode_utf8(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
        return i + k < s.size() && byte(i + k) >= lo && byte(i + k) <= hi;
    };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return {b0, 1, true};
    if (b0 >= 0xC2 && b0 <= 0xDF && cont(1, 0x80, 0xBF)) {
        return {((b0 & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu), 2, true};
    }
    // E0 needs A0.. (no overlongs), ED needs ..9F (no surrogates).
    if (b0 >= 0xE0 && b0 <= 0xEF &&
        cont(1, b0 == 0xE0 ? 0xA0 : 0x80, b0 == 0xED ? 0x9F : 0xBF) && cont(2, 0x80, 0xBF)) {
        return {((b0 & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu), 3,
                true};
    }
    // F0 needs 90.. (no overlongs), F4 needs ..8F (nothing above U+10FFFF).
    if (b0 >= 0xF0 && b0 <= 0xF4 &&
        cont(1, b0 == 0xF0 ? 0x90 : 0x80, b0 == 0xF4 ? 0x8F : 0xBF) && cont(2, 0x80, 0xBF) &&
        cont(3, 0x80, 0xBF)) {
        return {((b0 & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) |
                    ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu),
                4, true};
    }
    return {0, 1, false};
}

bool is_white_space(char32_t c) { return in_ranges(c, white_space); }

bool is_default_ignorable(char32_t c) { return in_ranges(c, default_ignorable); }

bool is_bidi_control(char32_t c) { return in_ranges(c, bidi_control); }

bool is_invisible(char32_t c) {
    return is_white_space(c) || is_default_ignorable(c) || c == braille_pattern_blank;
}

bool is_control_or_line_break(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

}  // namespace perch
