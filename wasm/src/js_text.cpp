#include "js_text.h"

#include <cstdint>

namespace perch::wasm {
namespace {

bool is_high_surrogate(char32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
bool is_low_surrogate(char32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {  // includes lone surrogates: the WTF-8 form
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void append_utf16(std::u16string& out, char32_t cp) {
    if (cp < 0x10000) {
        out += static_cast<char16_t>(cp);
    } else {
        cp -= 0x10000;
        out += static_cast<char16_t>(0xD800 | (cp >> 10));
        out += static_cast<char16_t>(0xDC00 | (cp & 0x3FF));
    }
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::string utf16_to_utf8(std::u16string_view units) {
    std::string out;
    out.reserve(units.size());
    for (std::size_t i = 0; i < units.size(); ++i) {
        char32_t unit = units[i];
        if (is_high_surrogate(unit) && i + 1 < units.size() && is_low_surrogate(units[i + 1])) {
            char32_t low = units[++i];
            append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        } else {
            append_utf8(out, unit);  // a lone surrogate keeps its own value
        }
    }
    return out;
}

std::u16string utf8_to_utf16(std::string_view bytes) {
    constexpr char16_t replacement = 0xFFFD;
    std::u16string out;
    out.reserve(bytes.size());
    std::size_t i = 0;
    while (i < bytes.size()) {
        auto lead = static_cast<unsigned char>(bytes[i]);
        if (lead < 0x80) {
            out += static_cast<char16_t>(lead);
            ++i;
            continue;
        }
        // Sequence length and the allowed range of the second byte (Unicode
        // Table 3-7), except that ED may also start a surrogate (A0..BF).
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
            out += replacement;
            ++i;
            continue;
        }
        // Consume the longest valid prefix; a broken sequence yields one U+FFFD.
        std::size_t consumed = 1;
        bool complete = true;
        for (; consumed < length; ++consumed) {
            if (i + consumed >= bytes.size()) { complete = false; break; }
            auto byte = static_cast<unsigned char>(bytes[i + consumed]);
            bool ok = consumed == 1 ? (byte >= second_min && byte <= second_max)
                                    : is_continuation(byte);
            if (!ok) { complete = false; break; }
            cp = (cp << 6) | (byte & 0x3F);
        }
        i += consumed;
        if (complete) append_utf16(out, cp); else out += replacement;
    }
    return out;
}

}  // namespace perch::wasm
