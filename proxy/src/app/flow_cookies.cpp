#include "app/flow_cookies.h"

#include <algorithm>
#include <set>

#include "app/cookies.h"

namespace perch {
namespace {

constexpr std::size_t flow_id_bytes = 8;  // 11 URL-safe Base64 characters
constexpr std::size_t flow_id_length = 11;

bool is_flow_cookie_name(std::string_view name, std::string_view prefix) {
    if (name.size() != prefix.size() + flow_id_length || name.substr(0, prefix.size()) != prefix) return false;
    return is_base64url_text(name.substr(prefix.size()));
}

SetCookieOptions flow_cookie_options(const ProxyConfig& config) {
    SetCookieOptions options;
    options.secure = config.secure_cookies;
    options.same_site = SameSite::lax;
    options.max_age_seconds = (config.flow_ttl + flow_cookie_grace).count();
    return options;
}

}  // namespace

std::string_view flow_cookie_prefix(const ProxyConfig& config) {
    return config.secure_cookies ? "__Host-perch_flow_" : "perch_flow_";
}

BrowserFlows read_browser_flows(const HttpRequest& request, const ProxyConfig& config, const FlowSeal& seal,
                                std::size_t keep) {
    const std::string_view prefix = flow_cookie_prefix(config);
    BrowserFlows result;
    std::set<std::string> seen;
    const auto headers = request.headers.equal_range("cookie");
    for (auto header = headers.first; header != headers.second; ++header) {
        auto pairs = parse_cookie_header(header->second);  // over its limits: none of it is read
        if (!pairs) continue;
        for (CookiePair& pair : pairs.value()) {
            if (!is_flow_cookie_name(pair.name, prefix) || !seen.insert(pair.name).second) continue;
            if (auto flow = seal.open(pair.value, pair.name)) {
                result.kept.push_back(BrowserFlow{std::move(pair.name), std::move(*flow)});
            } else {
                result.to_forget.push_back(std::move(pair.name));
            }
        }
    }
    // Browsers send older cookies of one path first: reversed, a stable sort by
    // expiry puts the newest first even among flows started in the same second.
    std::reverse(result.kept.begin(), result.kept.end());
    std::stable_sort(result.kept.begin(), result.kept.end(), [](const BrowserFlow& a, const BrowserFlow& b) {
        return a.flow.expires_unix > b.flow.expires_unix;
    });
    while (result.kept.size() > keep) {
        result.to_forget.push_back(std::move(result.kept.back().cookie_name));
        result.kept.pop_back();
    }
    return result;
}

std::string new_flow_cookie_name(const ProxyConfig& config, RandomSource& random) {
    return std::string(flow_cookie_prefix(config)) + random_token(random, flow_id_bytes);
}

std::string flow_cookie(const ProxyConfig& config, const FlowSeal& seal, const std::string& name,
                        const PendingFlow& flow) {
    return build_set_cookie(name, seal.seal(flow, name), flow_cookie_options(config));
}

std::string expired_flow_cookie(const ProxyConfig& config, std::string_view name) {
    return build_clear_cookie(name, flow_cookie_options(config));
}

}  // namespace perch
