#include "core/json_input.h"

#include <string>
#include <utility>
#include <vector>

namespace perch {
namespace {

using json = nlohmann::json;

// One SAX pass that checks and builds the value at once. nlohmann's parser is
// iterative, so refusing the container that goes one level too deep stops
// hostile nesting after O(max_depth) work, whatever the input length, and the
// value under construction is never deeper than max_depth either. It also
// refuses duplicate object keys: different parsers keep different duplicates,
// and the proxy and the page must read one and the same value. (One pass
// instead of a checking pass plus json::parse: the parser is instantiated
// once, which keeps the WebAssembly module smaller.)
class Builder final : public nlohmann::json_sax<json> {
public:
    explicit Builder(std::size_t max_depth) : max_depth_(max_depth) {}

    bool null() override { return put(nullptr); }
    bool boolean(bool value) override { return put(value); }
    bool number_integer(number_integer_t value) override { return put(value); }
    bool number_unsigned(number_unsigned_t value) override { return put(value); }
    bool number_float(number_float_t value, const string_t&) override { return put(value); }
    bool string(string_t& value) override { return put(std::move(value)); }
    bool binary(binary_t& value) override { return put(std::move(value)); }

    bool start_object(std::size_t) override { return open(json::value_t::object); }
    bool key(string_t& name) override {
        json& object = *open_.back();
        if (object.contains(name)) {
            failure_ = Failure::duplicate_key;
            return false;
        }
        slot_ = &object[std::move(name)];
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(json::value_t::array); }
    bool end_array() override { return close(); }

    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::json::exception&) override {
        failure_ = Failure::syntax;
        position_ = position;
        return false;
    }

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

}  // namespace

Result<json> parse_json(std::string_view text, const JsonLimits& limits) {
    if (text.size() > limits.max_bytes) {
        return Error{ErrorCode::too_long,
                     "JSON is longer than " + std::to_string(limits.max_bytes) + " bytes"};
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return Error{ErrorCode::invalid_json, "JSON is empty"};
    }
    // nlohmann's lexer takes a NUL for the end of input and would ignore what follows.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        return Error{ErrorCode::invalid_json,
                     "JSON is not valid (error at byte " + std::to_string(nul + 1) + ")"};
    }
    const char* first = text.data();
    const char* last = text.data() + text.size();

    Builder builder(limits.max_depth);
    const bool valid = json::sax_parse(first, last, &builder);
    if (!valid) {
        switch (builder.failure()) {
            case Builder::Failure::too_deep:
                return Error{ErrorCode::invalid_json, "JSON is nested deeper than " +
                                                          std::to_string(limits.max_depth) +
                                                          " levels"};
            case Builder::Failure::duplicate_key:
                return Error{ErrorCode::invalid_json, "JSON has a duplicate object key"};
            case Builder::Failure::syntax:
            case Builder::Failure::none:
                break;
        }
        // The position counts bytes read; it is all a stranger's text is given back as.
        return Error{ErrorCode::invalid_json, "JSON is not valid (error at byte " +
                                                  std::to_string(builder.position()) + ")"};
    }
    return builder.take();
}

}  // namespace perch
