// Escaping for the emulator's few HTML pages.
#pragma once

#include <string>
#include <string_view>

namespace perch::emulator {

// Escapes & < > " ' so text is safe in element content and quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace perch::emulator
