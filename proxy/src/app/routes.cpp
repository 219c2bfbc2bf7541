#include "app/routes.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

#include "app/metrics.h"
#include "core/api_types.h"
#include "base/log.h"
#include "core/text.h"

namespace perch {
namespace {

// /api/* and /healthz are answers for one person at one moment: never cached.
bool is_api_path(std::string_view path) {
    return path == "/api" || starts_with(path, "/api/") || path == "/healthz";
}

bool method_matches(const Route& route, const std::string& method) {
    return route.method == method || (route.method == "GET" && method == "HEAD");
}

HttpResponse render(RouteResult result) {
    if (result) return std::move(result).value();
    ApiError& error = result.error();
    HttpResponse response = json_response(
        api::to_json(api::ErrorBody{std::move(error.code), std::move(error.message), std::move(error.fields)}),
        error.status);
    for (auto& header : error.headers) response.headers.push_back(std::move(header));
    return response;
}

void set_header(HttpResponse& response, const std::string& name, std::string value) {
    const std::string wanted = lower(name);
    auto& headers = response.headers;
    headers.erase(std::remove_if(headers.begin(), headers.end(),
                                 [&](const auto& header) { return lower(header.first) == wanted; }),
                  headers.end());
    headers.emplace_back(name, std::move(value));
}

}  // namespace

HttpResponse json_response(const nlohmann::json& body, int status) {
    HttpResponse response;
    response.status = status;
    response.content_type = "application/json";
    // replace: a stray invalid UTF-8 byte must never turn into an exception here.
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
    nlohmann::json body;
    body["error"]["code"] = std::string(code);
    body["error"]["message"] = std::string(message);
    return json_response(body, status);
}

std::string content_security_policy(const ProxyConfig& config) {
    std::string img_src = "'self' https://pbs.twimg.com";
    auto api = parse_http_url(config.twitter_api);
    if (api && is_loopback_host(api.value().host)) {
        // perch-emulator serves its users' pictures itself.
        img_src += ' ';
        img_src += url_origin(api.value());
    }
    return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src " + img_src +
           "; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
}

bool is_json_content_type(std::string_view content_type) {
    const std::size_t semicolon = content_type.find(';');
    if (lower(trim(content_type.substr(0, semicolon))) != "application/json") return false;
    if (semicolon == std::string_view::npos) return true;
    // One optional parameter, charset=utf-8; anything else is not what our page sends.
    const std::string parameter = lower(trim(content_type.substr(semicolon + 1)));
    return parameter == "charset=utf-8" || parameter == "charset=\"utf-8\"";
}

bool is_same_origin_request(const HttpRequest& request, std::string_view public_origin) {
    const auto origins = request.headers.equal_range("origin");
    if (origins.first != origins.second) {
        if (std::next(origins.first) != origins.second) return false;  // two Origins: not a browser
        // Browsers serialise the origin with a lower-case scheme and host.
        return !public_origin.empty() && origins.first->second == public_origin;
    }
    return request.header("sec-fetch-site") == "same-origin";
}

SessionLimits session_limits(const ProxyConfig& config) {
    SessionLimits limits;
    limits.idle_ttl = config.session_idle;
    limits.absolute_ttl = config.session_max_age;
    limits.max_sessions = config.max_sessions;
    return limits;
}

std::vector<std::pair<std::string, std::string>> security_headers(const ProxyConfig& config) {
    return {{"Content-Security-Policy", content_security_policy(config)},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"},  // the callback URL carries the verifier
            {"X-Frame-Options", "DENY"}};
}

Router::Router(AppContext context, std::vector<Route> routes)
    : context_(context),
      routes_(std::move(routes)),
      static_files_(context.config.web_root),
      security_headers_(security_headers(context.config)),
      metrics_(context.metrics != nullptr ? *context.metrics : no_metrics()) {}

RouteResult Router::run_route(const Route& route, const HttpRequest& request) {
    if (route.state_changing) {
        if (!is_same_origin_request(request, context_.config.public_origin)) {
            return ApiError{403, "forbidden_origin", "This request must come from the site's own pages."};
        }
        // A DELETE may come without a body, and then with any Content-Type or
        // none (fetch labels an empty string text/plain). What the client sent
        // decides, not what is left: cpp-httplib empties the body of a
        // multipart request it parsed itself.
        const std::string sent = request.header("content-length");
        const bool bodiless_delete =
            request.method == "DELETE" && request.body.empty() && (sent.empty() || sent == "0");
        if (!bodiless_delete && !is_json_content_type(request.header("content-type"))) {
            return ApiError{415, "unsupported_media_type", "The request body must be application/json."};
        }
        if (request.body.size() > context_.config.max_body_bytes) {
            return ApiError{413, "too_large", "The request body is too large."};
        }
    }
    return route.handler(request, context_);
}

RouteResult Router::dispatch(const HttpRequest& request) {
    std::string allowed;
    for (const Route& route : routes_) {
        if (route.path != request.path) continue;
        if (method_matches(route, request.method)) return run_route(route, request);
        if (!allowed.empty()) allowed += ", ";
        allowed += route.method == "GET" ? "GET, HEAD" : route.method;
    }
    if (!allowed.empty()) {
        return ApiError{405, "method_not_allowed", "This method is not allowed here.", {{"Allow", allowed}}};
    }
    if (is_api_path(request.path)) return ApiError{404, "not_found", "There is no such API route."};
    if (request.method != "GET" && request.method != "HEAD") {
        return ApiError{405, "method_not_allowed", "This method is not allowed here.", {{"Allow", "GET, HEAD"}}};
    }
    if (auto file = static_files_.serve(request)) return std::move(*file);
    return ApiError{404, "not_found", "Not found."};
}

// Counted from what a route answered, so the handlers stay free of metrics:
// the outcome label is "ok" or the route's own JSON error code.
void Router::count(const HttpRequest& request, const RouteResult& result) {
    if (request.method != "POST") return;
    const std::string_view outcome = result ? std::string_view("ok") : std::string_view(result.error().code);
    const bool start = request.path == "/api/twitter/start";
    const bool exchange = request.path == "/api/twitter/exchange";
    // Only these two routes have limiters, and their paths are ours, not the client's.
    if ((start || exchange) && outcome == "rate_limited") metrics_.rate_limited(request.path);
    if (start) metrics_.sign_in_start(outcome);
    if (exchange) metrics_.sign_in_exchange(outcome);
    if (request.path == "/api/register" && result && result.value().status == 201) metrics_.registration();
}

HttpResponse Router::handle(const HttpRequest& request) {
    HttpResponse response;
    try {
        RouteResult result = dispatch(request);
        count(request, result);
        response = render(std::move(result));
    } catch (...) {
        // Never echo what(): it may quote input or internal state.
        if (context_.log != nullptr) context_.log->error("a route failed with an exception; answered 500");
        response = error_response(500, "internal", "Internal error.");
    }
    for (const auto& [name, value] : security_headers_) set_header(response, name, value);
    if (is_api_path(request.path)) set_header(response, "Cache-Control", "no-store");
    return response;
}

}  // namespace perch
