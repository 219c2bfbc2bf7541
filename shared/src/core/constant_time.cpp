#include "core/constant_time.h"

#include <algorithm>

namespace perch {

bool constant_time_equal(std::string_view a, std::string_view b) {
    // Visit every byte of the longer input and fold differences with OR: the
    // loop's length depends only on the sizes, never on where the bytes differ.
    const std::size_t length = std::max(a.size(), b.size());
    unsigned int difference = a.size() == b.size() ? 0u : 1u;
    for (std::size_t i = 0; i < length; ++i) {
        const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
        const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
        difference |= x ^ y;
    }
    return difference == 0;
}

}  // namespace perch
