// What both JSON readers share (json_input.cpp, json_reader.cpp): the value
// built as the parser goes, the checks made on the way, and the one mapping
// from how a parse ended to parse_json's answer. Internal to the core.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_input.h"
#include "core/result.h"

namespace perch::json_detail {

using json = nlohmann::json;

// Builds the value event by event and refuses, as it goes, the container that
// goes one level too deep and a duplicate object key: different parsers keep
// different duplicates, and the proxy and the page must read one and the same
// value.
class Builder {
public:
    explicit Builder(std::size_t max_depth) : max_depth_(max_depth) {}

    bool null() { return put(nullptr); }
    bool boolean(bool value) { return put(value); }
    bool number_integer(json::number_integer_t value) { return put(value); }
    bool number_unsigned(json::number_unsigned_t value) { return put(value); }
    bool number_float(json::number_float_t value) { return put(value); }
    bool string(std::string& value) { return put(std::move(value)); }

    bool start_object() { return open(json::value_t::object); }
    bool key(std::string& name) {
        json& object = *open_.back();
        if (object.contains(name)) {
            failure_ = Failure::duplicate_key;
            return false;
        }
        slot_ = &object[std::move(name)];
        return true;
    }
    bool end_object() { return close(); }
    bool start_array() { return open(json::value_t::array); }
    bool end_array() { return close(); }
    // `position` counts the bytes read up to and including the one that broke it.
    bool syntax_error(std::size_t position) {
        failure_ = Failure::syntax;
        position_ = position;
        return false;
    }

    // The container being filled is an array (else an object); precondition: one is open.
    bool in_array() const { return open_.back()->is_array(); }
    bool in_container() const { return !open_.empty(); }

    enum class Failure { none, too_deep, duplicate_key, syntax };
    Failure failure() const { return failure_; }
    std::size_t position() const { return position_; }
    json take() { return std::move(root_); }

private:
    // Where the next value goes: the root, the end of the open array, or the
    // slot the last key made in the open object.
    template <typename Value>
    json* place(Value&& value) {
        if (open_.empty()) {
            root_ = json(std::forward<Value>(value));
            return &root_;
        }
        json& container = *open_.back();
        if (container.is_array()) {
            container.push_back(json(std::forward<Value>(value)));
            return &container.back();
        }
        *slot_ = json(std::forward<Value>(value));
        return slot_;
    }
    template <typename Value>
    bool put(Value&& value) {
        place(std::forward<Value>(value));
        return true;
    }
    bool open(json::value_t type) {
        if (open_.size() >= max_depth_) {
            failure_ = Failure::too_deep;
            return false;
        }
        open_.push_back(place(type));
        return true;
    }
    bool close() {
        open_.pop_back();
        return true;
    }

    std::size_t max_depth_;
    json root_;
    std::vector<json*> open_;  // the containers being filled, outermost first
    json* slot_ = nullptr;
    Failure failure_ = Failure::none;
    std::size_t position_ = 0;
};

// The checks made before any parsing: size, emptiness, NUL bytes.
std::optional<Error> check_before_parsing(std::string_view text, const JsonLimits& limits);

// parse_json's answer once the parser has stopped (`valid`: it accepted the text).
Result<json> finish(Builder& builder, bool valid, const JsonLimits& limits);

}  // namespace perch::json_detail
