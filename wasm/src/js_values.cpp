#include "js_values.h"

#include <cmath>

#include "js_text.h"

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

val js_string(std::string_view utf8) { return val(utf8_to_utf16(utf8)); }

}  // namespace perch::wasm
