// Errors as values: the core never throws on bad input, it returns a Result.
#pragma once

#include <string>
#include <string_view>
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

template <typename T>
class Result {
public:
    Result(T value) : state_(std::move(value)) {}            // NOLINT: implicit by design
    Result(Error error) : state_(std::move(error)) {}        // NOLINT: implicit by design
    Result(ErrorCode code, std::string message) : state_(Error{code, std::move(message)}) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    // Precondition: ok().
    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }

    // Precondition: !ok().
    const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

}  // namespace perch
