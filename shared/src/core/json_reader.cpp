// read_json: the core's own strict JSON reader, for the sign-up page's
// WebAssembly build, where nlohmann's parser with the strtod and printf it
// pulls in was most of the module. It answers exactly as parse_json does with
// nlohmann's parser (tests/core and fuzz_json_input hold it to that): the same
// grammar (RFC 8259, a leading UTF-8 BOM skipped), the same UTF-8 and escape
// checks, the same number types, and a syntax error reported at the same byte.
// To get those positions it reads as nlohmann's lexer does: one byte at a
// time, counting every byte read (the end of input too) and un-reading the
// byte after a number.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/json_builder.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// The JavaScript engine's Number() rounds a decimal correctly, as strtod
// does; the text is a JSON number the reader has already checked (ASCII).
// NOLINTNEXTLINE: EM_JS defines a function from JavaScript source.
EM_JS(double, perch_decimal_to_double, (const char* text, int length), {
    let s = "";
    for (let i = 0; i < length; i++) s += String.fromCharCode(HEAPU8[text + i]);
    return Number(s);
});
#endif

namespace perch {
namespace {

using json_detail::Builder;
using json_detail::json;

constexpr int end_of_input = -1;

enum class Token {
    begin_array, end_array, begin_object, end_object, name_separator, value_separator,
    literal_true, literal_false, literal_null, value_string, value_unsigned, value_integer,
    value_float, end, error
};

double decimal_to_double(const std::string& text) {
#ifdef __EMSCRIPTEN__
    return perch_decimal_to_double(text.data(), static_cast<int>(text.size()));
#else
    return std::strtod(text.c_str(), nullptr);
#endif
}

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    std::size_t position() const { return read_; }
    std::string& string() { return buffer_; }
    std::uint64_t unsigned_value() const { return unsigned_; }
    std::int64_t integer_value() const { return integer_; }
    double float_value() const { return float_; }

    Token scan() {
        if (read_ == 0 && !skip_bom()) return Token::error;
        do {
            get();
        } while (current_ == ' ' || current_ == '\t' || current_ == '\n' || current_ == '\r');
        switch (current_) {
            case '[': return Token::begin_array;
            case ']': return Token::end_array;
            case '{': return Token::begin_object;
            case '}': return Token::end_object;
            case ':': return Token::name_separator;
            case ',': return Token::value_separator;
            case 't': return literal("true", Token::literal_true);
            case 'f': return literal("false", Token::literal_false);
            case 'n': return literal("null", Token::literal_null);
            case '"': return scan_string();
            case end_of_input: return Token::end;
            default: return current_ == '-' || is_digit(current_) ? scan_number() : Token::error;
        }
    }

private:
    static bool is_digit(int c) { return c >= '0' && c <= '9'; }

    int get() {
        ++read_;
        current_ = read_ <= text_.size() ? static_cast<unsigned char>(text_[read_ - 1]) : end_of_input;
        return current_;
    }
    // The next get() reads the same byte again.
    void unget() { --read_; }

    bool skip_bom() {
        if (get() == 0xEF) return get() == 0xBB && get() == 0xBF;
        unget();
        return true;
    }

    Token literal(std::string_view word, Token token) {
        for (std::size_t i = 1; i < word.size(); ++i) {
            if (get() != word[i]) return Token::error;
        }
        return token;
    }

    // Four hex digits after \u, or -1.
    int code_unit() {
        int value = 0;
        for (int i = 0; i < 4; ++i) {
            const int c = get();
            int digit = -1;
            if (c >= '0' && c <= '9') digit = c - '0';
            else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
            else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    void add_code_point(std::uint32_t cp) {
        if (cp < 0x80) {
            buffer_ += static_cast<char>(cp);
        } else if (cp < 0x800) {
            buffer_ += static_cast<char>(0xC0 | (cp >> 6));
            buffer_ += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            buffer_ += static_cast<char>(0xE0 | (cp >> 12));
            buffer_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            buffer_ += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            buffer_ += static_cast<char>(0xF0 | (cp >> 18));
            buffer_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            buffer_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            buffer_ += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // The bytes after a UTF-8 lead byte: the first within [first_low, first_high],
    // the others continuation bytes; false at the first one out of range.
    bool continuation(int count, int first_low, int first_high) {
        buffer_ += static_cast<char>(current_);
        for (int i = 0; i < count; ++i) {
            const int c = get();
            const int low = i == 0 ? first_low : 0x80;
            const int high = i == 0 ? first_high : 0xBF;
            if (c < low || c > high) return false;
            buffer_ += static_cast<char>(c);
        }
        return true;
    }

    bool escape() {
        switch (get()) {
            case '"': buffer_ += '"'; return true;
            case '\\': buffer_ += '\\'; return true;
            case '/': buffer_ += '/'; return true;
            case 'b': buffer_ += '\b'; return true;
            case 'f': buffer_ += '\f'; return true;
            case 'n': buffer_ += '\n'; return true;
            case 'r': buffer_ += '\r'; return true;
            case 't': buffer_ += '\t'; return true;
            case 'u': break;
            default: return false;
        }
        const int first = code_unit();
        if (first < 0) return false;
        std::uint32_t cp = static_cast<std::uint32_t>(first);
        if (first >= 0xD800 && first <= 0xDBFF) {
            if (get() != '\\' || get() != 'u') return false;
            const int second = code_unit();
            if (second < 0xDC00 || second > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(second) - 0xDC00);
        } else if (first >= 0xDC00 && first <= 0xDFFF) {
            return false;
        }
        add_code_point(cp);
        return true;
    }

    Token scan_string() {
        buffer_.clear();
        while (true) {
            const int c = get();
            bool ok = true;
            if (c == '"') return Token::value_string;
            if (c == '\\') ok = escape();
            else if (c >= 0x20 && c <= 0x7F) buffer_ += static_cast<char>(c);
            else if (c >= 0xC2 && c <= 0xDF) ok = continuation(1, 0x80, 0xBF);
            else if (c == 0xE0) ok = continuation(2, 0xA0, 0xBF);
            else if (c == 0xED) ok = continuation(2, 0x80, 0x9F);
            else if (c >= 0xE1 && c <= 0xEF) ok = continuation(2, 0x80, 0xBF);
            else if (c == 0xF0) ok = continuation(3, 0x90, 0xBF);
            else if (c >= 0xF1 && c <= 0xF3) ok = continuation(3, 0x80, 0xBF);
            else if (c == 0xF4) ok = continuation(3, 0x80, 0x8F);
            else ok = false;  // the end of input, a control character, a byte no UTF-8 starts with
            if (!ok) return Token::error;
        }
    }

    void digits() {
        while (is_digit(get())) buffer_ += static_cast<char>(current_);
    }

    // RFC 8259's number, read as nlohmann's lexer reads it: after the number
    // the next byte is read and un-read; a byte that breaks the number is not.
    Token scan_number() {
        buffer_.assign(1, static_cast<char>(current_));
        Token type = Token::value_unsigned;
        if (current_ == '-') {
            type = Token::value_integer;
            if (!is_digit(get())) return Token::error;
            buffer_ += static_cast<char>(current_);
        }
        if (current_ == '0') get();
        else digits();
        if (current_ == '.') {
            type = Token::value_float;
            buffer_ += '.';
            if (!is_digit(get())) return Token::error;
            buffer_ += static_cast<char>(current_);
            digits();
        }
        if (current_ == 'e' || current_ == 'E') {
            type = Token::value_float;
            buffer_ += static_cast<char>(current_);
            get();
            if (current_ == '+' || current_ == '-') {
                buffer_ += static_cast<char>(current_);
                get();
            }
            if (!is_digit(current_)) return Token::error;
            buffer_ += static_cast<char>(current_);
            digits();
        }
        unget();
        if (type != Token::value_float && whole_number(type)) return type;
        float_ = decimal_to_double(buffer_);
        return Token::value_float;
    }

    // The buffer as a 64-bit integer (unsigned, or negative for value_integer);
    // false when it does not fit, and then it is read as a double.
    bool whole_number(Token type) {
        const bool negative = type == Token::value_integer;
        std::uint64_t magnitude = 0;
        for (std::size_t i = negative ? 1 : 0; i < buffer_.size(); ++i) {
            const auto digit = static_cast<std::uint64_t>(buffer_[i] - '0');
            if (magnitude > (UINT64_MAX - digit) / 10) return false;
            magnitude = magnitude * 10 + digit;
        }
        if (!negative) {
            unsigned_ = magnitude;
            return true;
        }
        if (magnitude > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
        integer_ = magnitude == 0 ? 0 : -static_cast<std::int64_t>(magnitude - 1) - 1;
        return true;
    }

    std::string_view text_;
    std::size_t read_ = 0;  // bytes read, the end of input counted as one
    int current_ = end_of_input;
    std::string buffer_;  // the string or number being read
    std::uint64_t unsigned_ = 0;
    std::int64_t integer_ = 0;
    double float_ = 0;
};

// nlohmann's parser, iterative as it is: hostile nesting is refused by the
// Builder after O(max_depth) work, whatever the input length.
class Parser {
public:
    Parser(std::string_view text, Builder& builder) : lexer_(text), builder_(builder) {}

    bool parse() {
        token_ = lexer_.scan();
        if (!value_loop()) return false;
        if (lexer_.scan() != Token::end) return error();
        return true;
    }

private:
    bool error() { return builder_.syntax_error(lexer_.position()); }
    Token next() { return token_ = lexer_.scan(); }

    // A key, its colon, and the token after it; false on any failure.
    bool key_and_colon() {
        if (token_ != Token::value_string) return error();
        if (!builder_.key(lexer_.string())) return false;
        if (next() != Token::name_separator) return error();
        next();
        return true;
    }

    bool value_loop() {
        bool closed = false;  // a container just ended: go straight to what follows it
        while (true) {
            if (!closed) {
                switch (token_) {
                    case Token::begin_object:
                        if (!builder_.start_object()) return false;
                        if (next() == Token::end_object) {
                            if (!builder_.end_object()) return false;
                            break;
                        }
                        if (!key_and_colon()) return false;
                        continue;
                    case Token::begin_array:
                        if (!builder_.start_array()) return false;
                        if (next() == Token::end_array) {
                            if (!builder_.end_array()) return false;
                            break;
                        }
                        continue;
                    case Token::value_float:
                        if (!std::isfinite(lexer_.float_value())) return error();
                        builder_.number_float(lexer_.float_value());
                        break;
                    case Token::literal_false: builder_.boolean(false); break;
                    case Token::literal_true: builder_.boolean(true); break;
                    case Token::literal_null: builder_.null(); break;
                    case Token::value_integer: builder_.number_integer(lexer_.integer_value()); break;
                    case Token::value_unsigned: builder_.number_unsigned(lexer_.unsigned_value()); break;
                    case Token::value_string: builder_.string(lexer_.string()); break;
                    default: return error();
                }
            }
            closed = false;
            if (!builder_.in_container()) return true;
            if (builder_.in_array()) {
                if (next() == Token::value_separator) {
                    next();
                    continue;
                }
                if (token_ != Token::end_array) return error();
                builder_.end_array();
                closed = true;
                continue;
            }
            if (next() == Token::value_separator) {
                next();
                if (!key_and_colon()) return false;
                continue;
            }
            if (token_ != Token::end_object) return error();
            builder_.end_object();
            closed = true;
        }
    }

    Lexer lexer_;
    Builder& builder_;
    Token token_ = Token::error;
};

}  // namespace

Result<json> read_json(std::string_view text, const JsonLimits& limits) {
    if (auto refused = json_detail::check_before_parsing(text, limits)) return std::move(*refused);
    Builder builder(limits.max_depth);
    const bool valid = Parser(text, builder).parse();
    return json_detail::finish(builder, valid, limits);
}

}  // namespace perch
