// A JSON value written out with the type of every value in it, so that two
// values compare equal only with the same number types too (== and dump()
// each miss one: 1 == 1u, and dump() writes both as 1).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_input.h"

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

// How two parses of one text differ ("" when they give the same answer: the
// same value with the same number types, or the same error naming the same
// byte). The unit tests and the fuzz target hold read_json to nlohmann's.
inline std::string json_answers_differ(const Result<nlohmann::json>& ours, const Result<nlohmann::json>& reference) {
    if (ours.ok() != reference.ok()) {
        return ours.ok() ? "ours accepted, the reference refused" : "ours refused, the reference accepted";
    }
    if (reference.ok()) {
        if (typed_dump(ours.value()) != typed_dump(reference.value())) {
            return "values differ: " + typed_dump(ours.value()) + " vs " + typed_dump(reference.value());
        }
        return "";
    }
    if (ours.error().code != reference.error().code || ours.error().message != reference.error().message) {
        return "errors differ: " + ours.error().message + " vs " + reference.error().message;
    }
    return "";
}

}  // namespace perch::test
