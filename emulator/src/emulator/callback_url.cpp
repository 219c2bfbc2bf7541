#include "emulator/callback_url.h"

#include "core/oauth.h"
#include "core/text.h"

namespace perch::emulator {
namespace {

constexpr std::size_t max_callback_length = 2048;

std::string_view without_query(std::string_view url) { return url.substr(0, url.find('?')); }

// The part between "://" and the first '/', '?' or end.
std::string_view authority(std::string_view url) {
    const auto start = url.find("://");
    if (start == std::string_view::npos) return {};
    std::string_view rest = url.substr(start + 3);
    return rest.substr(0, rest.find_first_of("/?"));
}

}  // namespace

CallbackCheck check_callback(std::string_view callback, const std::vector<std::string>& allowed) {
    if (callback == "oob") return CallbackCheck::ok;
    if (callback.empty() || callback.size() > max_callback_length) return CallbackCheck::malformed;
    for (unsigned char c : callback)
        if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\') return CallbackCheck::malformed;
    if (!istarts_with(callback, "http://") && !istarts_with(callback, "https://"))
        return CallbackCheck::malformed;
    const std::string_view host = authority(callback);
    if (host.empty() || host.find('@') != std::string_view::npos) return CallbackCheck::malformed;
    for (char c : host) {
        const bool fine = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        if (!fine) return CallbackCheck::malformed;
    }
    if (!base_string_uri(callback)) return CallbackCheck::malformed;
    if (allowed.empty()) return CallbackCheck::ok;
    for (const std::string& entry : allowed)
        if (without_query(callback) == entry) return CallbackCheck::ok;
    return CallbackCheck::not_approved;
}

bool is_registered_redirect(std::string_view uri, const std::vector<std::string>& registered) {
    if (registered.empty()) return uri != "oob" && check_callback(uri, {}) == CallbackCheck::ok;
    for (const std::string& entry : registered)
        if (uri == entry) return true;
    return false;
}

std::string callback_origin(std::string_view callback) {
    if (callback == "oob") return {};
    const auto scheme_end = callback.find("://");
    if (scheme_end == std::string_view::npos) return {};
    std::string origin(callback.substr(0, scheme_end + 3));
    for (char& c : origin)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    origin += authority(callback);
    return origin;
}

std::string callback_redirect(std::string_view callback, const Params& params) {
    std::string url(callback);
    if (params.empty()) return url;
    const auto question = url.find('?');
    if (question == std::string::npos) url += '?';
    else if (question + 1 != url.size() && url.back() != '&') url += '&';
    url += format_query(params);
    return url;
}

}  // namespace perch::emulator
