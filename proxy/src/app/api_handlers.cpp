#include "app/api_handlers.h"

#include <utility>

#include "app/account_handlers.h"
#include "app/flow_cookies.h"
#include "app/forward_auth.h"
#include "app/oauth2_handlers.h"
#include "app/route_support.h"
#include "app/sign_in.h"
#include "base/log.h"
#include "core/api_types.h"
#include "core/callback.h"
#include "core/query.h"
#include "store/account_store.h"

namespace perch {
namespace {

// The one token this callback is about: its oauth_token, or for a Cancel its
// `denied` value; empty when there is none or it is ambiguous.
std::string callback_token(std::string_view callback_query) {
    auto params = parse_query(callback_query);
    if (!params) return {};
    for (std::string_view name : {"oauth_token", "denied"}) {
        if (count_params(params.value(), name) == 1) return *find_param(params.value(), name);
    }
    return {};
}


// The consumed flow's exchange with the provider, once (never retried), and
// the session for the person it identified.
RouteResult complete_sign_in(AppContext& context, const PendingFlow& flow, const std::string& verifier,
                             const FlowKey& key, const std::optional<std::string>& previous_session) {
    auto access = context.twitter.access_token(RequestToken{flow.id, flow.secret}, verifier);
    if (!access) return provider_error(context, "access_token", access.error());
    const AccessToken& access_token = access.value();

    auto verified = context.twitter.verify_credentials(access_token);
    if (!verified) return provider_error(context, "verify_credentials", verified.error());
    VerifiedUser& user = verified.value();

    // A returning user: the new tokens replace the stored ones (one statement).
    std::optional<Account> account;
    auto existing = context.accounts.find_by_twitter_id(access_token.user_id);
    if (!existing) return account_store_failure(context, "exchange", existing.error());
    if (existing.value()) {
        auto refreshed = context.accounts.refresh_tokens_and_sign_in(access_token.user_id, access_token.token,
                                                                     access_token.secret);
        if (refreshed) {
            account = std::move(refreshed).value();
        } else if (refreshed.error().kind != AccountErrorKind::not_found) {
            return account_store_failure(context, "exchange", refreshed.error());
        }
    }

    return start_session(context,
                         TwitterIdentity{access_token.user_id, access_token.screen_name, access_token.token,
                                         access_token.secret, std::move(user.user), std::nullopt},
                         account, key, previous_session);
}

}  // namespace

RouteResult start_route(const HttpRequest& request, AppContext& context) {
    if (context.config.protocol == Protocol::oauth2) return oauth2_start_route(request, context);
    // Before anything that costs: no call to Twitter for a refused start.
    if (auto limited = check_rate_limit(request, context, context.start_limiter)) return *limited;
    if (auto error = check_empty_body(request.body)) return *error;

    // Nothing below can refuse the start, so the provider is asked only now;
    // and what the flow needs later goes to the browser, not to the server.
    auto token = context.twitter.request_token();
    if (!token) return provider_error(context, "request_token", token.error());
    const RequestToken& request_token = token.value();

    const PendingFlow flow{FlowProtocol::oauth1, request_token.token, request_token.secret,
                           context.clock.unix_seconds() + context.config.flow_ttl.count()};
    HttpResponse response = json_response(api::to_json(
        api::StartResponse{context.twitter.authenticate_url(request_token.token), request_token.token}));
    add_flow_cookies(request, context, flow, response);
    return response;
}

RouteResult exchange_route(const HttpRequest& request, AppContext& context) {
    if (context.config.protocol == Protocol::oauth2) return oauth2_exchange_route(request, context);
    if (auto limited = check_rate_limit(request, context, context.exchange_limiter)) return *limited;
    auto parsed = api::parse_exchange_request(request.body);
    if (!parsed) return request_body_error(parsed.error());
    const std::string& query = parsed.value().callback_query;

    auto read = read_exchange_browser(request, context, FlowProtocol::oauth1, callback_token(query));
    if (!read) return std::move(read.error());
    const ExchangeBrowser& browser = read.value();
    if (!browser.ours() && browser.flows.kept.empty()) return callback_error(CallbackOutcome::no_session);

    // The same check the browser ran, against this browser's own flow for the token.
    const CallbackResult callback = verify_callback(query, browser.expected_key());
    if (callback.outcome == CallbackOutcome::denied) {
        // A cancelled flow is over; the provider is not asked anything.
        return forgetting(browser.flow(), context, callback_error(callback.outcome));
    }
    // Any other problem leaves the flow pending: the genuine callback may still come.
    if (callback.outcome != CallbackOutcome::approved) return callback_error(callback.outcome);
    if (browser.used_here) return replayed();
    const PendingFlow& flow = browser.flow()->flow;
    return consume_then(context, *browser.flow(), [&](const FlowKey& key) {
        return complete_sign_in(context, flow, callback.oauth_verifier, key, browser.session);
    });
}

// 200 when every shared store answers; else 503 naming the ones that do not
// (why goes to the log: it names servers, not for every caller to read).
RouteResult healthz_route(const HttpRequest&, AppContext& context) {
    nlohmann::json dependencies = nlohmann::json::object();
    std::vector<std::string> failed;
    for (const DependencyCheck& dependency : context.dependencies) {
        const std::optional<std::string> failure = dependency.failure();
        dependencies[dependency.name] = failure ? "unavailable" : "ok";
        if (failure) {
            failed.push_back(dependency.name);
            if (context.log != nullptr) context.log->error("healthz: " + dependency.name + ": " + *failure);
        }
    }
    nlohmann::json body{{"status", failed.empty() ? "ok" : "unavailable"}};
    if (!context.dependencies.empty()) body["dependencies"] = dependencies;
    if (!failed.empty()) body["failed"] = failed;
    return json_response(body, failed.empty() ? 200 : 503);
}

std::vector<Route> api_routes() {
    return {
        Route{"POST", "/api/twitter/start", true, start_route},
        Route{"POST", "/api/twitter/exchange", true, exchange_route},
        Route{"POST", "/api/register", true, register_route},
        Route{"GET", "/api/me", false, me_route},
        Route{"DELETE", "/api/me", true, delete_me_route},
        Route{"GET", "/api/auth", false, forward_auth_route},
        Route{"POST", "/api/logout", true, logout_route},
        Route{"GET", "/healthz", false, healthz_route},
    };
}

}  // namespace perch
