#include "app/admin_api.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "app/routes.h"
#include "base/log.h"
#include "core/constant_time.h"
#include "core/text.h"

namespace perch {
namespace {

constexpr std::string_view accounts_prefix = "/v1/accounts/";
constexpr std::string_view credentials_suffix = "/credentials";
constexpr std::size_t max_id_digits = 64;

HttpResponse with_headers(HttpResponse response) {
    response.headers.emplace_back("Cache-Control", "no-store");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
}

HttpResponse error(int status, std::string_view code, std::string_view message) {
    return with_headers(error_response(status, code, message));
}

// "Bearer <token>" (scheme case-insensitive, RFC 6750), exactly one header.
bool bearer_matches(const HttpRequest& request, const std::string& token) {
    const auto range = request.headers.equal_range("authorization");
    if (range.first == range.second || std::next(range.first) != range.second) return false;
    const std::string& value = range.first->second;
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() || !iequals(std::string_view(value).substr(0, scheme.size()), scheme)) {
        return false;
    }
    return constant_time_equal(std::string_view(value).substr(scheme.size()), token);
}

}  // namespace

std::string credentials_path_id(const std::string& path) {
    if (!starts_with(path, accounts_prefix) || path.size() <= accounts_prefix.size() + credentials_suffix.size() ||
        path.compare(path.size() - credentials_suffix.size(), credentials_suffix.size(), credentials_suffix) != 0) {
        return {};
    }
    std::string id = path.substr(accounts_prefix.size(),
                                 path.size() - accounts_prefix.size() - credentials_suffix.size());
    const bool digits = std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits && id.size() <= max_id_digits ? id : std::string();
}

AdminApi::AdminApi(std::string token, AccountStore& accounts, OAuth2Client* oauth2, const Clock& clock, Log* log)
    : token_(std::move(token)), accounts_(accounts), refresher_(accounts, oauth2, clock), log_(log) {}

void AdminApi::note(const std::string& twitter_id, const std::string& outcome) const {
    if (log_ != nullptr) log_->info("admin credentials: account " + twitter_id + ": " + outcome);
}

HttpResponse AdminApi::handle(const HttpRequest& request) {
    try {
        // The bearer first: without it nothing, not even which routes exist, is told.
        if (!bearer_matches(request, token_)) {
            if (log_ != nullptr) log_->warn("admin: refused a request without the admin bearer token");
            HttpResponse refused = error(401, "not_authenticated", "This listener needs the admin bearer token.");
            refused.headers.emplace_back("WWW-Authenticate", "Bearer");
            return refused;
        }
        const std::string twitter_id = credentials_path_id(request.path);
        if (twitter_id.empty()) return error(404, "not_found", "There is no such admin route.");
        if (request.method != "GET" && request.method != "HEAD") {
            HttpResponse refused = error(405, "method_not_allowed", "This method is not allowed here.");
            refused.headers.emplace_back("Allow", "GET, HEAD");
            return refused;
        }
        return credentials(twitter_id);
    } catch (...) {
        if (log_ != nullptr) log_->error("admin: a request failed with an exception; answered 500");
        return error(500, "internal", "Internal error.");
    }
}

HttpResponse AdminApi::credentials(const std::string& twitter_id) {
    auto found = accounts_.find_by_twitter_id(twitter_id);
    if (!found) {
        note(twitter_id, "account store failed (" + std::string(to_string(found.error().kind)) +
                             "): " + found.error().message);
        const bool passing = found.error().kind == AccountErrorKind::unavailable;
        return error(passing ? 503 : 500, passing ? "unavailable" : "internal",
                     "The account store could not be read just now.");
    }
    if (!found.value()) {
        note(twitter_id, "not found");
        return error(404, "not_found", "There is no account with this X id.");
    }
    if (!found.value()->sealed_oauth2.access_token.empty()) return oauth2_credentials(twitter_id);

    auto tokens = accounts_.decrypt_tokens(*found.value());
    if (!tokens) {
        note(twitter_id, "OAuth 1.0a tokens unreadable: " + tokens.error().message);
        return error(500, "internal", "The stored credentials could not be read.");
    }
    note(twitter_id, "OAuth 1.0a tokens given");
    nlohmann::json body{{"protocol", "oauth1"},
                        {"token", std::move(tokens.value().token)},
                        {"token_secret", std::move(tokens.value().secret)}};
    return with_headers(json_response(body));
}

HttpResponse AdminApi::oauth2_credentials(const std::string& twitter_id) {
    const long long before = refresher_.refreshes();
    auto grant = refresher_.current(twitter_id);
    if (!grant) {
        const RefreshFailure& failure = grant.error();
        note(twitter_id, "no access token: " + failure.message);
        switch (failure.kind) {
            case RefreshFailure::Kind::no_grant:
                return error(409, "reauthorization_required",
                             "The access token has expired and cannot be renewed; the person must sign in again.");
            case RefreshFailure::Kind::store:
                return error(500, "internal", "The stored credentials could not be read or saved.");
            case RefreshFailure::Kind::provider:
                break;
        }
        switch (failure.provider.kind) {
            case ProviderFailure::Kind::grant_refused:
                return error(409, "reauthorization_required",
                             "X refused to renew the access token; the person must sign in again.");
            case ProviderFailure::Kind::timeout:
                return error(504, "provider_timeout", "X did not answer in time.");
            case ProviderFailure::Kind::rate_limited: {
                const std::string seconds = std::to_string(std::max(1LL, failure.provider.retry_after_seconds));
                HttpResponse busy = error(503, "provider_rate_limited", "X is busy; try again in " + seconds + " s.");
                busy.headers.emplace_back("Retry-After", seconds);
                return busy;
            }
            case ProviderFailure::Kind::error:
                break;
        }
        return error(502, "provider_error", "X could not renew the access token.");
    }
    // Another caller may have led the refresh this one waited for: "renewed" is this process's view.
    note(twitter_id, refresher_.refreshes() != before ? "OAuth 2.0 access token given (renewed)"
                                                      : "OAuth 2.0 access token given");
    const OAuth2Grant& value = grant.value();
    nlohmann::json body{{"protocol", "oauth2"}, {"access_token", value.access_token}};
    body["expires_at"] = value.expires_at > 0 ? nlohmann::json(format_rfc3339_utc(value.expires_at)) : nlohmann::json();
    return with_headers(json_response(body));
}

}  // namespace perch
