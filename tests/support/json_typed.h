// A JSON value written out with the type of every value in it, so that two
// values compare equal only with the same number types too (== and dump()
// each miss one: 1 == 1u, and dump() writes both as 1).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace perch::test {

inline std::string typed_dump(const nlohmann::json& value) {
    std::string out;
    std::vector<const nlohmann::json*> stack{&value};
    while (!stack.empty()) {
        const nlohmann::json* item = stack.back();
        stack.pop_back();
        out += std::to_string(static_cast<int>(item->type()));
        if (item->is_structured()) {
            out += '(';
            for (const auto& child : *item) stack.push_back(&child);
        }
    }
    return out + value.dump();
}

}  // namespace perch::test
