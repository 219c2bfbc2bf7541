#include "core/percent_encoding.h"

namespace perch {
namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

std::string percent_encode(std::string_view bytes) {
    // Sized once, then written in place: OAuth 1.0a signs every request by
    // encoding each parameter and then the whole parameter string again.
    static constexpr char hex[] = "0123456789ABCDEF";
    std::size_t size = bytes.size();
    for (char ch : bytes) size += is_unreserved(static_cast<unsigned char>(ch)) ? 0 : 2;
    std::string out(size, '\0');
    char* to = out.data();
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            *to++ = ch;
        } else {
            *to++ = '%';
            *to++ = hex[c >> 4];
            *to++ = hex[c & 0x0F];
        }
    }
    return out;
}

Result<std::string> percent_decode(std::string_view text, PlusMeans plus) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
            const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0) {
                return Error{ErrorCode::invalid_encoding,
                             "malformed percent-escape at byte " + std::to_string(i)};
            }
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (c == '+' && plus == PlusMeans::space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    if (out.find('\0') != std::string::npos) {
        return Error{ErrorCode::invalid_encoding, "text contains a NUL byte"};
    }
    if (!is_valid_utf8(out)) {
        return Error{ErrorCode::invalid_encoding, "text is not valid UTF-8"};
    }
    return out;
}

// Well-formed sequences per Unicode Table 3-7: the second byte's range depends
// on the first, which is what excludes overlongs, surrogates and > U+10FFFF.
bool is_valid_utf8(std::string_view bytes) {
    std::size_t i = 0;
    const std::size_t n = bytes.size();
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    auto in = [](unsigned char b, unsigned char lo, unsigned char hi) { return b >= lo && b <= hi; };
    while (i < n) {
        const unsigned char b0 = byte(i);
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (in(b0, 0xC2, 0xDF)) {
            length = 2;
        } else if (b0 == 0xE0) {
            length = 3, lo = 0xA0;
        } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
            length = 3;
        } else if (b0 == 0xED) {
            length = 3, hi = 0x9F;  // U+D800..U+DFFF are surrogates
        } else if (b0 == 0xF0) {
            length = 4, lo = 0x90;
        } else if (in(b0, 0xF1, 0xF3)) {
            length = 4;
        } else if (b0 == 0xF4) {
            length = 4, hi = 0x8F;  // nothing above U+10FFFF
        } else {
            return false;  // continuation byte, C0/C1 overlong lead, or F5..FF
        }
        if (n - i < length) return false;
        if (!in(byte(i + 1), lo, hi)) return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (!in(byte(i + k), 0x80, 0xBF)) return false;
        }
        i += length;
    }
    return true;
}

}  // namespace perch
