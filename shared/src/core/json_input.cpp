#include "core/json_input.h"

#include <string>

#include "core/json_builder.h"

namespace perch {
namespace json_detail {

std::optional<Error> check_before_parsing(std::string_view text, const JsonLimits& limits) {
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
    return std::nullopt;
}

Result<json> finish(Builder& builder, bool valid, const JsonLimits& limits) {
    if (valid) return builder.take();
    switch (builder.failure()) {
        case Builder::Failure::too_deep:
            return Error{ErrorCode::invalid_json,
                         "JSON is nested deeper than " + std::to_string(limits.max_depth) + " levels"};
        case Builder::Failure::duplicate_key:
            return Error{ErrorCode::invalid_json, "JSON has a duplicate object key"};
        case Builder::Failure::syntax:
        case Builder::Failure::none:
            break;
    }
    // The position counts bytes read; it is all a stranger's text is given back as.
    return Error{ErrorCode::invalid_json,
                 "JSON is not valid (error at byte " + std::to_string(builder.position()) + ")"};
}

}  // namespace json_detail

namespace {

using json_detail::Builder;
using json_detail::json;

// nlohmann's SAX events into the shared Builder, in one pass: nlohmann's
// parser is iterative, so refusing the container that goes one level too deep
// stops hostile nesting after O(max_depth) work, whatever the input length.
class Sax final : public nlohmann::json_sax<json> {
public:
    explicit Sax(Builder& builder) : builder_(builder) {}

    bool null() override { return builder_.null(); }
    bool boolean(bool value) override { return builder_.boolean(value); }
    bool number_integer(number_integer_t value) override { return builder_.number_integer(value); }
    bool number_unsigned(number_unsigned_t value) override { return builder_.number_unsigned(value); }
    bool number_float(number_float_t value, const string_t&) override { return builder_.number_float(value); }
    bool string(string_t& value) override { return builder_.string(value); }
    // Only binary formats (CBOR, ...) produce these, never JSON text.
    bool binary(binary_t&) override { return builder_.syntax_error(0); }
    bool start_object(std::size_t) override { return builder_.start_object(); }
    bool key(string_t& name) override { return builder_.key(name); }
    bool end_object() override { return builder_.end_object(); }
    bool start_array(std::size_t) override { return builder_.start_array(); }
    bool end_array() override { return builder_.end_array(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) override {
        return builder_.syntax_error(position);
    }

private:
    Builder& builder_;
};

}  // namespace

Result<json> parse_json_with_nlohmann(std::string_view text, const JsonLimits& limits) {
    if (auto refused = json_detail::check_before_parsing(text, limits)) return std::move(*refused);
    Builder builder(limits.max_depth);
    Sax sax(builder);
    const bool valid = json::sax_parse(text.data(), text.data() + text.size(), &sax);
    return json_detail::finish(builder, valid, limits);
}

Result<json> parse_json(std::string_view text, const JsonLimits& limits) {
#ifdef PERCH_JSON_OWN_READER
    return read_json(text, limits);
#else
    return parse_json_with_nlohmann(text, limits);
#endif
}

}  // namespace perch
