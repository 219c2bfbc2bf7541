#include "js_values.h"

#include <cmath>

#include <emscripten/emscripten.h>

#include "js_text.h"

// Makes a JS string from UTF-16 code units, verbatim (embind's u16string path
// goes through TextDecoder for long strings, which would replace a lone
// surrogate, and otherwise appends one character at a time).
EM_JS(emscripten::EM_VAL, perch_js_string_from_utf16, (const char16_t* units, size_t length), {
    var begin = units >> 1;
    var end = begin + length;
    var text = "";
    for (var i = begin; i < end; i += 8192) {
        text += String.fromCharCode.apply(null, HEAPU16.subarray(i, Math.min(i + 8192, end)));
    }
    return Emval.toHandle(text);
});

namespace perch::wasm {

using emscripten::val;

std::string string_arg(const val& value, std::size_t max_units) {
    if (!value.isString()) return {};
    if (value["length"].as<double>() > static_cast<double>(max_units)) {
        return utf16_to_utf8(value.call<val>("slice", 0.0, static_cast<double>(max_units))
                                 .as<std::u16string>());
    }
    return utf16_to_utf8(value.as<std::u16string>());
}

std::string string_arg(const val& value) {
    if (!value.isString()) return {};
    return utf16_to_utf8(value.as<std::u16string>());
}

std::optional<double> number_arg(const val& value) {
    if (!value.isNumber()) return std::nullopt;
    double number = value.as<double>();
    if (!std::isfinite(number)) return std::nullopt;
    return number;
}

val field(const val& object, const char* key) {
    if (object.typeOf().as<std::string>() != "object" || object.isNull()) return val::undefined();
    return object[key];
}

val js_string(std::string_view utf8) {
    const std::u16string units = utf8_to_utf16(utf8);
    return val::take_ownership(perch_js_string_from_utf16(units.data(), units.size()));
}

}  // namespace perch::wasm
