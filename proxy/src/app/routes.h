// The request router: a table of small route functions over plain structs, and
// the one wrapper that turns their errors and exceptions into JSON and adds the
// security headers. Testable without sockets.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "app/settings/config.h"
#include "base/crypto.h"
#include "net/http_types.h"
#include "store/consumed_flows.h"
#include "app/sealed_flow.h"
#include "store/session_store.h"
#include "app/static_files.h"
#include "provider/twitter_client.h"

namespace perch {

class AccountStore;
class Log;
class Metrics;
class OAuth2Client;
class RequestLimiter;

// A server /healthz asks about (Redis, PostgreSQL): why it failed, for the
// operator's log, or nullopt when it answers.
struct DependencyCheck {
    std::string name;  // "redis", "postgresql"
    std::function<std::optional<std::string>()> failure;
};

// Everything a route may use, injected; one per proxy.
struct AppContext {
    const ProxyConfig& config;
    TwitterClient& twitter;
    SessionStore& sessions;
    const FlowSeal& flow_seal;       // seals the flows browsers keep
    ConsumedFlows& consumed_flows;   // single use of each flow across the process
    AccountStore& accounts;
    const Clock& clock;
    RandomSource& random;
    Log* log = nullptr;  // warnings only (the HTTP server writes the access lines)
    // Per-client limits for start and exchange; null = no limit.
    RequestLimiter* start_limiter = nullptr;
    RequestLimiter* exchange_limiter = nullptr;
    // X's OAuth 2.0 endpoints; set when config.protocol is oauth2.
    OAuth2Client* oauth2 = nullptr;
    // The shared stores /healthz checks; none with the embedded defaults.
    std::vector<DependencyCheck> dependencies;
    // Sign-in outcomes, registrations and rate-limit refusals are counted
    // here by the router, not by the handlers; null = not counted.
    Metrics* metrics = nullptr;
};

// An error a route returns; the wrapper renders {"error":{"code","message"}},
// plus "fields" when there are field messages (422 invalid).
// `message` is shown to the person: never a secret, token or exception text.
struct ApiError {
    using HeaderList = std::vector<std::pair<std::string, std::string>>;
    using FieldMessages = std::map<std::string, std::string>;
    ApiError(int status_, std::string code_, std::string message_, HeaderList headers_ = {})
        : status(status_), code(std::move(code_)), message(std::move(message_)), headers(std::move(headers_)) {}

    int status;
    std::string code;
    std::string message;
    HeaderList headers;    // e.g. a Set-Cookie
    FieldMessages fields;  // field name -> message for the person
};

using RouteResult = Result<HttpResponse, ApiError>;
using RouteHandler = std::function<RouteResult(const HttpRequest&, AppContext&)>;

struct Route {
    std::string method;  // "GET" routes also answer HEAD
    std::string path;    // exact match
    // POST-style routes: the request must come from the public origin and carry
    // (a DELETE may carry no body at all)
    // a JSON body (Content-Type application/json, at most config.max_body_bytes).
    bool state_changing = false;
    RouteHandler handler;
};

// {"error":{"code","message"}} with the given status, as application/json.
HttpResponse error_response(int status, std::string_view code, std::string_view message);

// A 200 (or `status`) application/json response.
HttpResponse json_response(const nlohmann::json& body, int status = 200);

// The session store's limits from the configuration (PERCH_SESSION_*, PERCH_MAX_SESSIONS).
SessionLimits session_limits(const ProxyConfig& config);

// The Content-Security-Policy for this deployment: img-src also allows Twitter's
// picture host, and the provider's origin when it is a loopback emulator.
std::string content_security_policy(const ProxyConfig& config);

// The headers every answer carries: the CSP above, X-Content-Type-Options,
// Referrer-Policy and X-Frame-Options. Router::handle adds them to each
// response; the HTTP server adds them to the errors it answers by itself
// (ServerOptions::error_headers).
std::vector<std::pair<std::string, std::string>> security_headers(const ProxyConfig& config);

// True when `content_type` is application/json, optionally with charset=utf-8.
bool is_json_content_type(std::string_view content_type);

// Origin check for state-changing routes: an Origin header equal to the public
// origin, or, when a browser sent no Origin, Sec-Fetch-Site: same-origin.
bool is_same_origin_request(const HttpRequest& request, std::string_view public_origin);

class Router {
public:
    Router(AppContext context, std::vector<Route> routes);

    // Never throws. Every response carries the security headers; /api/* and
    // /healthz responses also carry Cache-Control: no-store.
    HttpResponse handle(const HttpRequest& request);

private:
    RouteResult dispatch(const HttpRequest& request);
    RouteResult run_route(const Route& route, const HttpRequest& request);
    void count(const HttpRequest& request, const RouteResult& result);

    AppContext context_;
    std::vector<Route> routes_;
    StaticFiles static_files_;
    std::vector<std::pair<std::string, std::string>> security_headers_;
    Metrics& metrics_;
};

}  // namespace perch
