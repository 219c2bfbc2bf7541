// The Twitter user the emulator signs in, and its verify_credentials rendering.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace perch::emulator {

// A user object shaped like Twitter's v1.1 verify_credentials answer, chosen
// to exercise profile mapping: a 64-bit id (beyond 2^53), a non-ASCII name,
// an _normal image URL, a null utc_offset, an email.
nlohmann::json default_user();

// Checks a user object: an object with id_str (decimal, 1-19 digits, fits an
// unsigned 64-bit), id (optional; if present an integer equal to id_str;
// filled in from id_str when absent), screen_name and name (non-empty
// strings). Returns the completed user or an error naming the field.
Result<nlohmann::json> validate_user(nlohmann::json user);

// Reads and validates --user FILE.json (size-capped). Errors are one line.
Result<nlohmann::json> load_user_file(const std::string& path);

struct VerifyCredentialsOptions {
    bool include_email = false;
    bool skip_status = false;
    bool include_entities = true;
};

// Twitter's booleans for these parameters: "true", "t" or "1" (any case) mean true.
bool twitter_true(std::string_view value);

// The user as verify_credentials returns it under `options`: email only with
// include_email, no status with skip_status, no entities without include_entities.
std::string render_verify_credentials(const nlohmann::json& user,
                                      const VerifyCredentialsOptions& options);

}  // namespace perch::emulator
