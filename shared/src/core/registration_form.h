// The registration form: pre-filling it from a profile and validating it.
// Rules are documented in docs/registration-form.md (linked from the README).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"

namespace perch {

struct RegistrationForm {
    std::string username;
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string timezone;  // IANA name ("Europe/Berlin") or "UTC", "UTC+05:30", "UTC-04:30"
};

struct FieldError {
    std::string field;    // "username", "first_name", ...
    std::string message;  // for a person: "Enter an email address."
};

struct Validation {
    bool ok() const { return errors.empty(); }
    std::vector<FieldError> errors;  // every failing field at once, in form order
};

RegistrationForm prefill(const Profile& profile);
Validation validate_registration(const RegistrationForm& form);

// "UTC", "UTC+05:30", "UTC-04:30" for a number of hours (rounded to minutes).
std::string format_utc_offset(double hours);

}  // namespace perch
