#include "js_text.h"

namespace perch::wasm {
namespace {

// The loops below write through raw pointers into presized strings: with
// Emscripten's JS-based exceptions every call that may throw (such as
// push_back) inside a function with cleanups goes through a JS trampoline,
// which would cost a round trip per character.

bool is_high_surrogate(char32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
bool is_low_surrogate(char32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }
bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Code point at `i` (a pair, or a single unit that may be a lone surrogate)
// and how many units it used.
char32_t code_point_at(std::u16string_view units, std::size_t i, std::size_t& used) {
    char32_t unit = units[i];
    if (is_high_surrogate(unit) && i + 1 < units.size() && is_low_surrogate(units[i + 1])) {
        used = 2;
        return 0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00);
    }
    used = 1;
    return unit;
}

std::size_t utf8_length(char32_t cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

char* put_utf8(char* out, char32_t cp) {
    if (cp < 0x80) {
        *out++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
        *out++ = static_cast<char>(0xC0 | (cp >> 6));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {  // includes lone surrogates: the WTF-8 form
        *out++ = static_cast<char>(0xE0 | (cp >> 12));
        *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        *out++ = static_cast<char>(0xF0 | (cp >> 18));
        *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

char16_t* put_utf16(char16_t* out, char32_t cp) {
    if (cp < 0x10000) {
        *out++ = static_cast<char16_t>(cp);
    } else {
        cp -= 0x10000;
        *out++ = static_cast<char16_t>(0xD800 | (cp >> 10));
        *out++ = static_cast<char16_t>(0xDC00 | (cp & 0x3FF));
    }
    return out;
}

// One step of decoding at `bytes[i]`: the code point (or U+FFFD) and the
// number of bytes it used. Ranges follow Unicode Table 3-7, except that ED
// may also start a surrogate (A0..BF), which is how lone surrogates travel.
char32_t decode_step(std::string_view bytes, std::size_t i, std::size_t& used) {
    constexpr char32_t replacement = 0xFFFD;
    const auto lead = static_cast<unsigned char>(bytes[i]);
    used = 1;
    if (lead < 0x80) return lead;
    std::size_t length = 0;
    unsigned char second_min = 0x80, second_max = 0xBF;
    char32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2; cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3; cp = lead & 0x0F;
        if (lead == 0xE0) second_min = 0xA0;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4; cp = lead & 0x07;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        return replacement;
    }
    // The longest valid prefix is consumed; a broken sequence is one U+FFFD.
    for (; used < length; ++used) {
        if (i + used >= bytes.size()) return replacement;
        const auto byte = static_cast<unsigned char>(bytes[i + used]);
        const bool ok = used == 1 ? (byte >= second_min && byte <= second_max) : is_continuation(byte);
        if (!ok) return replacement;
        cp = (cp << 6) | (byte & 0x3F);
    }
    return cp;
}

}  // namespace

std::string utf16_to_utf8(std::u16string_view units) {
    std::size_t length = 0;
    for (std::size_t i = 0, used = 0; i < units.size(); i += used) {
        length += utf8_length(code_point_at(units, i, used));
    }
    std::string out(length, '\0');
    char* cursor = out.data();
    for (std::size_t i = 0, used = 0; i < units.size(); i += used) {
        cursor = put_utf8(cursor, code_point_at(units, i, used));
    }
    return out;
}

std::u16string utf8_to_utf16(std::string_view bytes) {
    std::u16string out(bytes.size(), u'\0');  // each byte yields at most one unit
    char16_t* cursor = out.data();
    for (std::size_t i = 0, used = 0; i < bytes.size(); i += used) {
        cursor = put_utf16(cursor, decode_step(bytes, i, used));
    }
    out.resize(static_cast<std::size_t>(cursor - out.data()));
    return out;
}

}  // namespace perch::wasm
