#include "app/metered_transport.h"

#include <chrono>
#include <string>
#include <utility>

namespace perch {

std::string_view provider_endpoint(std::string_view url) {
    const std::size_t scheme = url.find("://");
    const std::size_t path_start = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    std::string_view path = path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
    path = path.substr(0, path.find_first_of("?#"));
    // Suffixes, so an X API base URL with a path of its own still matches.
    static const std::pair<std::string_view, std::string_view> known[] = {
        {"/oauth/request_token", "request_token"},
        {"/oauth/access_token", "access_token"},
        {"/1.1/account/verify_credentials.json", "verify_credentials"},
        {"/2/users/me", "users_me"},
        {"/2/oauth2/token", "oauth2_token"},
    };
    for (const auto& [suffix, name] : known) {
        if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) return name;
    }
    return "other";
}

std::string provider_status(const TransportResult& result) {
    if (result) {
        const int status = result.value().status;
        return status >= 100 && status <= 599 ? std::to_string(status) : std::string("invalid");
    }
    switch (result.error().failure) {
        case TransportFailure::timeout: return "timeout";
        case TransportFailure::connection: return "connection";
        case TransportFailure::too_large: return "too_large";
        case TransportFailure::tls: return "tls";
        case TransportFailure::invalid_url: return "invalid_url";
    }
    return "error";
}

TransportResult MeteredTransport::send(const OutgoingRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    TransportResult result = inner_.send(request);
    metrics_.provider_request(provider_endpoint(request.url), provider_status(result),
                              std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace perch
