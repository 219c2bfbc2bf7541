// The machinery under the settings tables of app/config.cpp: a --flag and its
// PERCH_ variable per setting (a flag wins), secrets from a value or a file,
// integers within a range. Messages name the setting, never a secret's value.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/settings/config.h"
#include "core/result.h"
#include "core/text.h"
#include "store/token_cipher.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace perch {

// Reads a small secret file; strips one trailing newline. Messages name the file, never its content.
Result<std::string> read_secret_file(const std::string& path, const std::string& setting);

// One setting: a --flag and its PERCH_ variable.
struct Setting {
    const char* env;
    const char* flag;
    std::string flag_value;
    CLI::Option* option = nullptr;
};

// A setting's value: the flag if given, else the variable; `source` names where it came from.
struct Value {
    std::string text;
    std::string source;
};

class Settings {
public:
    Settings(CLI::App& app, const EnvLookup& env) : app_(app), env_(env) {}

    // Declares a --flag and its variable; `help` is shown by --help with the variable's name.
    Setting& add(const char* env, const char* flag, const std::string& help);

    bool from_flag(const Setting& setting) const;

    // Overwrites a flag's text (a secret) once it has been used.
    void wipe(const Setting& setting);

    // The flag if given, else the variable, else nullopt.
    std::optional<Value> get(const Setting& setting) const;

private:
    CLI::App& app_;
    const EnvLookup& env_;
    std::vector<std::unique_ptr<Setting>> settings_;
};

// "<source> <what>", e.g. "PERCH_THREADS must be an integer from 1 to 256".
Error bad(const std::string& source, const std::string& what);

// Exactly one of a value and a file holding it; a flag for either beats the variables for both.
Result<std::optional<std::string>> secret_value(const Settings& settings, const Setting& direct,
                                                const Setting& file);

// An integer setting in [min, max], or `fallback` when it is not set.
template <typename T>
Result<T> integer_setting(const Settings& settings, const Setting& setting, T fallback, long long min,
                          long long max) {
    auto value = settings.get(setting);
    if (!value) return fallback;
    auto number = parse_integer(value->text, min, max);
    if (!number) {
        return bad(value->source, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<T>(*number);
}

// A 64-hex-digit key from a value-or-file pair of settings, e.g. PERCH_TOKEN_KEY
// and PERCH_TOKEN_KEY_FILE; `what` names it in messages ("token key").
Result<TokenKey> key_setting(const Settings& s, const Setting& direct, const Setting& file,
                             const std::string& what);

// The database path: `fallback` when not set, never empty.
Result<std::string> database_setting(const Settings& s, const Setting& setting, const std::string& fallback);

}  // namespace perch
