// Reading arguments from, and building results for, JavaScript. Every reader
// checks the JS type first and never throws: a value of the wrong type reads
// as empty (strings) or as unknown (numbers).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <emscripten/val.h>

namespace perch::wasm {

// A JS string as UTF-8 (see js_text.h); anything that is not a string is "".
// At most `max_units` UTF-16 code units are copied into wasm memory; callers
// pick a bound for which the prefix gets the same answer as the whole input.
std::string string_arg(const emscripten::val& value, std::size_t max_units);

// A string argument copied whole (form and profile fields, text to encode).
std::string string_arg(const emscripten::val& value);

// A finite JS number, otherwise nullopt (null, undefined, NaN, ±Infinity, "5").
std::optional<double> number_arg(const emscripten::val& value);

// `object[key]`, or undefined when `object` is not an object. The JS side
// (api.js) hands us plain snapshots, so reading a property runs no user code.
emscripten::val field(const emscripten::val& object, const char* key);

emscripten::val js_string(std::string_view utf8);

}  // namespace perch::wasm
