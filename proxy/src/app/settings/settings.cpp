#include "app/settings/settings.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <CLI/CLI.hpp>
#include <openssl/crypto.h>

namespace perch {

namespace {

constexpr std::size_t max_secret_file_bytes = 4096;

}  // namespace

Result<std::string> read_secret_file(const std::string& path, const std::string& setting) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return Error{ErrorCode::invalid_field,
                     "cannot read " + setting + " " + path + ": " + std::strerror(errno)};
    }
    std::string content(max_secret_file_bytes + 1, '\0');
    file.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(file.gcount()));
    if (content.size() > max_secret_file_bytes) {
        return Error{ErrorCode::too_long, setting + " " + path + " is larger than 4 KiB"};
    }
    if (!content.empty() && content.back() == '\n') content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
    return content;
}

Error bad(const std::string& source, const std::string& what) {
    return Error{ErrorCode::invalid_field, source + " " + what};
}

Result<std::optional<std::string>> secret_value(const Settings& settings, const Setting& direct,
                                                const Setting& file) {
    std::optional<Value> value;
    std::optional<Value> path;
    if (settings.from_flag(direct) || settings.from_flag(file)) {
        if (settings.from_flag(direct)) value = settings.get(direct);
        if (settings.from_flag(file)) path = settings.get(file);
    } else {
        value = settings.get(direct);
        path = settings.get(file);
    }
    if (value && path) {
        return Error{ErrorCode::invalid_field,
                     std::string("set only one of ") + value->source + " and " + path->source};
    }
    if (value) return std::optional<std::string>(value->text);
    if (path) {
        auto content = read_secret_file(path->text, path->source);
        if (!content) return content.error();
        return std::optional<std::string>(content.value());
    }
    return std::optional<std::string>();
}


Result<TokenKey> key_setting(const Settings& s, const Setting& direct, const Setting& file,
                             const std::string& what) {
    auto key_text = secret_value(s, direct, file);
    if (!key_text) return key_text.error();
    if (!key_text.value() || key_text.value()->empty()) {
        return Error{ErrorCode::missing_field, std::string(direct.env) + " or " + file.env + " (" +
                                                   direct.flag + "[-file]) is required: 64 hex digits, "
                                                   "e.g. from openssl rand -hex 32"};
    }
    auto parsed_key = parse_token_key(*key_text.value());
    OPENSSL_cleanse(key_text.value()->data(), key_text.value()->size());
    if (!parsed_key) {
        return Error{ErrorCode::invalid_field, "the " + what + " (" + direct.env +
                                                   "[_FILE]) must be 64 hex digits (32 bytes)"};
    }
    return parsed_key;
}

Result<std::string> database_setting(const Settings& s, const Setting& setting, const std::string& fallback) {
    auto value = s.get(setting);
    if (!value) return fallback;
    if (value->text.empty()) return bad(value->source, "must not be empty");
    return value->text;
}

Setting& Settings::add(const char* env, const char* flag, const std::string& help) {
    settings_.push_back(std::make_unique<Setting>(Setting{env, flag, {}, nullptr}));
    Setting& setting = *settings_.back();
    setting.option = app_.add_option(flag, setting.flag_value, help + " [env " + env + "]");
    return setting;
}

bool Settings::from_flag(const Setting& setting) const { return setting.option->count() > 0; }

void Settings::wipe(const Setting& setting) {
    for (auto& owned : settings_) {
        if (owned.get() == &setting) OPENSSL_cleanse(owned->flag_value.data(), owned->flag_value.size());
    }
}

std::optional<Value> Settings::get(const Setting& setting) const {
    if (from_flag(setting)) return Value{setting.flag_value, setting.flag};
    if (auto text = env_(setting.env)) return Value{*text, setting.env};
    return std::nullopt;
}

}  // namespace perch
