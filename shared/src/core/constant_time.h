#pragma once

#include <string_view>

namespace perch {

// Compares without an early exit on the first differing byte, so the time does
// not tell an attacker how much of a secret they guessed. Lengths may differ
// (a length difference is not treated as secret). Two empty strings are equal;
// callers that must never match on "missing" check emptiness first.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace perch
