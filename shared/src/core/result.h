// Errors as values: the core never throws on bad input, it returns a Result.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace perch {

enum class ErrorCode {
    invalid_encoding,   // malformed %XX, NUL, or a byte sequence that is not UTF-8
    too_long,           // an input exceeds a documented size limit
    too_many,           // an input has more items than a documented limit allows
    invalid_uri,        // not an absolute http(s) URI we can normalise
    invalid_json,       // not JSON, or nested deeper than allowed
    missing_field,      // a required field is absent or null
    invalid_field,      // a field is present but has the wrong type or form
    provider_error,     // the provider answered with an error or an unusable body
};

// Stable snake_case name used in JSON error bodies ("invalid_encoding", ...).
std::string_view to_string(ErrorCode code);

struct Error {
    ErrorCode code;
    std::string message;
};

// A value or an error. E is Error for the core; a room whose callers branch on
// something richer (the provider's failure kind, the account store's error
// kind, the transport's failure) names its own E, with the same shape: a code
// or kind and a message.
template <typename T, typename E = Error>
class Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design
    // Result<T>(ErrorCode::too_long, "…"), AccountResult<T>(AccountErrorKind::invalid, "…").
    template <typename Kind, typename = std::enable_if_t<std::is_enum_v<Kind>>>
    Result(Kind kind, std::string message) : state_(std::in_place_index<1>, E{kind, std::move(message)}) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    // Precondition: ok().
    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }

    // Precondition: !ok().
    const E& error() const& { return std::get<1>(state_); }
    E& error() & { return std::get<1>(state_); }

private:
    std::variant<T, E> state_;
};

}  // namespace perch
