#include "core/json_input.h"

#include <set>
#include <string>
#include <vector>

namespace perch {
namespace {

using json = nlohmann::json;

// A validating SAX pass that runs before any DOM is built. nlohmann's parser
// is iterative, so refusing the container that goes one level too deep stops
// hostile nesting after O(max_depth) work, whatever the input length. It also
// refuses duplicate object keys: different parsers keep different duplicates,
// and the proxy and the page must read one and the same value.
class Validator final : public nlohmann::json_sax<json> {
public:
    explicit Validator(std::size_t max_depth) : max_depth_(max_depth) {}

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }

    bool start_object(std::size_t) override { return open(); }
    bool key(string_t& name) override {
        if (!keys_.back().insert(name).second) {
            failure_ = Failure::duplicate_key;
            return false;
        }
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(); }
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

private:
    bool open() {
        if (keys_.size() >= max_depth_) {
            failure_ = Failure::too_deep;
            return false;
        }
        keys_.emplace_back();  // arrays get an unused key set; it keeps the depth
        return true;
    }
    bool close() {
        keys_.pop_back();
        return true;
    }

    std::size_t max_depth_;
    std::vector<std::set<std::string>> keys_;
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

    Validator validator(limits.max_depth);
    const bool valid = json::sax_parse(first, last, &validator);
    if (!valid) {
        switch (validator.failure()) {
            case Validator::Failure::too_deep:
                return Error{ErrorCode::invalid_json, "JSON is nested deeper than " +
                                                          std::to_string(limits.max_depth) +
                                                          " levels"};
            case Validator::Failure::duplicate_key:
                return Error{ErrorCode::invalid_json, "JSON has a duplicate object key"};
            case Validator::Failure::syntax:
            case Validator::Failure::none:
                break;
        }
        // The position counts bytes read; it is all a stranger's text is given back as.
        return Error{ErrorCode::invalid_json, "JSON is not valid (error at byte " +
                                                  std::to_string(validator.position()) + ")"};
    }

    // Known good and shallow: build the DOM without exceptions.
    json value = json::parse(first, last, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return Error{ErrorCode::invalid_json, "JSON is not valid"};
    }
    return value;
}

}  // namespace perch
