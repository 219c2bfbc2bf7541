// Helpers shared by the registration form's test files.
#pragma once

#include <string>
#include <vector>

#include "core/registration_form.h"

namespace perch::testing {

inline RegistrationForm valid_form() {
    RegistrationForm form;
    form.username = "ada_lovelace";
    form.first_name = "Ada";
    form.last_name = "King Lovelace";
    form.email = "ada@example.com";
    form.timezone = "Europe/London";
    return form;
}

// The message for one field, or "" when it passes.
inline std::string error_for(const RegistrationForm& form, const std::string& field) {
    for (const auto& error : validate_registration(form).errors) {
        if (error.field == field) return error.message;
    }
    return {};
}

inline std::vector<std::string> failing_fields(const RegistrationForm& form) {
    std::vector<std::string> fields;
    for (const auto& error : validate_registration(form).errors) fields.push_back(error.field);
    return fields;
}

}  // namespace perch::testing
