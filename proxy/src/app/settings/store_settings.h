// The settings that choose where sessions and accounts live (PERCH_SESSION_STORE,
// PERCH_DATABASE and their password files). A URL may hold a password, so no
// error here repeats a value.
#pragma once

#include <optional>
#include <string>

#include "app/settings/config.h"
#include "app/settings/settings.h"

namespace perch {

// PERCH_DATABASE: a SQLite file path, or a postgresql:// (postgres://) URL.
std::optional<Error> parse_database_setting(ProxyConfig& config, const Value& value);

// PERCH_SESSION_STORE: memory, or a redis:// URL.
std::optional<Error> parse_session_store_setting(ProxyConfig& config, const Value& value);

// A *_PASSWORD_FILE: the file's text (one trailing newline ignored), not empty.
std::optional<Error> read_password_file(std::string& target, const Value& value);

// A password comes once: in the URL or in its file, and a file only with a
// URL of its kind.
std::optional<Error> check_store_passwords(const ProxyConfig& config);

}  // namespace perch
