#include "api_handlers.h"

#include <algorithm>
#include <utility>

#include "account_handlers.h"
#include "account_store.h"
#include "api_types.h"
#include "app/oauth2_handlers.h"
#include "callback.h"
#include "constant_time.h"
#include "cookies.h"
#include "flow_cookies.h"
#include "json_input.h"
#include "log.h"
#include "query.h"
#include "rate_limiter.h"

namespace perch {
namespace {

// Passed to verify_callback when this browser never started the callback's
// token, so the core itself reports the mismatch. Not a token we ever issue.
constexpr std::string_view no_such_flow = "perch-no-pending-flow";

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
    if (auto* failure = std::get_if<ProviderFailure>(&access)) return provider_error(context, "access_token", *failure);
    const AccessToken& access_token = std::get<AccessToken>(access);

    auto verified = context.twitter.verify_credentials(access_token);
    if (auto* failure = std::get_if<ProviderFailure>(&verified)) {
        return provider_error(context, "verify_credentials", *failure);
    }
    VerifiedUser& user = std::get<VerifiedUser>(verified);

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

// The operator's detail (X's own words and what to fix) goes to the log; the
// person gets a stable message. The detail may quote a provider body (an HTML
// error page, say), which has no place in our JSON.
ApiError provider_error(AppContext& context, std::string_view step, const ProviderFailure& failure) {
    const char* code = "provider_error";
    if (failure.kind == ProviderFailure::Kind::timeout) code = "provider_timeout";
    if (failure.kind == ProviderFailure::Kind::grant_refused) code = "grant_refused";
    if (failure.kind == ProviderFailure::Kind::rate_limited) code = "provider_rate_limited";
    if (context.log != nullptr) context.log->warn(std::string(code) + " at " + std::string(step) + ": " + failure.message);
    switch (failure.kind) {
        case ProviderFailure::Kind::timeout:
            return ApiError{504, code, "Twitter did not answer in time. Please try again."};
        case ProviderFailure::Kind::grant_refused:
            return ApiError{400, code, "X did not accept this sign-in (it may have taken too long); start again."};
        case ProviderFailure::Kind::rate_limited: {
            const std::string seconds = std::to_string(std::max(1LL, failure.retry_after_seconds));
            return ApiError{503, code, "X is busy right now; try again in " + seconds + " s.",
                            {{"Retry-After", seconds}}};
        }
        case ProviderFailure::Kind::error:
            break;
    }
    return ApiError{502, code, "Twitter could not complete the sign-in. Please try again later."};
}

ApiError callback_error(CallbackOutcome outcome) {
    switch (outcome) {
        case CallbackOutcome::denied:
            return ApiError{400, "denied", "Sign-in was cancelled on Twitter."};
        case CallbackOutcome::no_session:
            return ApiError{400, "no_session", "There is no sign-in in progress in this browser."};
        case CallbackOutcome::missing_params:
            return ApiError{400, "missing_params", "Twitter's answer is missing oauth_token or oauth_verifier."};
        case CallbackOutcome::token_mismatch:
            return ApiError{400, "token_mismatch", "This answer does not belong to a sign-in started here."};
        case CallbackOutcome::provider_refused:
            return ApiError{400, "provider_refused", "X refused this sign-in; the site's operator can see why."};
        case CallbackOutcome::malformed:
        case CallbackOutcome::approved:
            break;
    }
    return ApiError{400, "malformed", "Twitter's answer is malformed."};
}

ApiError replayed() { return ApiError{409, "replayed", "This sign-in was already completed; start again."}; }

const BrowserFlow* find_flow(const BrowserFlows& flows, FlowProtocol protocol, std::string_view token) {
    if (token.empty()) return nullptr;
    const BrowserFlow* found = nullptr;
    for (const BrowserFlow& flow : flows.kept) {
        if (constant_time_equal(flow.flow.id, token) && flow.flow.protocol == protocol && found == nullptr) {
            found = &flow;
        }
    }
    return found;
}

// Every answer about a flow the exchange used up also clears its cookie.
RouteResult forgetting(const BrowserFlow* flow, const AppContext& context, RouteResult result) {
    if (flow == nullptr) return result;
    std::pair<std::string, std::string> header{"Set-Cookie", expired_flow_cookie(context.config, flow->cookie_name)};
    if (auto* response = std::get_if<HttpResponse>(&result)) response->headers.push_back(std::move(header));
    else std::get<ApiError>(result).headers.push_back(std::move(header));
    return result;
}

RouteResult start_session(AppContext& context, TwitterIdentity identity, const std::optional<Account>& account,
                          const FlowKey& key, const std::optional<std::string>& previous_session) {
    nlohmann::json body = account ? nlohmann::json{{"status", "signed_in"}, {"user", api::to_json(to_api_user(*account))}}
                                  : nlohmann::json{{"status", "new"}, {"twitter_user", identity.user}};
    NewSession fresh{std::move(identity), account ? std::optional<std::int64_t>(account->id) : std::nullopt, key};
    // A new id for the new identity: a session this browser had before ends.
    if (previous_session) context.sessions.destroy(*previous_session);
    const std::optional<std::string> id = context.sessions.create(std::move(fresh));
    if (!id) return ApiError{503, "busy", "Too many people are signed in right now; try again shortly."};

    HttpResponse response = json_response(body);
    response.headers.emplace_back("Set-Cookie", session_cookie(context.config, *id));
    return response;
}

void add_flow_cookies(const HttpRequest& request, const AppContext& context, const PendingFlow& flow,
                      HttpResponse& response) {
    // The browser keeps at most max_flows_per_session: the oldest make room.
    const BrowserFlows existing = read_browser_flows(request, context.config, context.flow_seal,
                                                     context.config.max_flows_per_session - 1);
    for (const std::string& name : existing.to_forget) {
        response.headers.emplace_back("Set-Cookie", expired_flow_cookie(context.config, name));
    }
    const std::string name = new_flow_cookie_name(context.config, context.random);
    response.headers.emplace_back("Set-Cookie", flow_cookie(context.config, context.flow_seal, name, flow));
}

ApiError request_body_error(const Error& error) {
    if (error.code == ErrorCode::too_long) return ApiError{413, "too_large", "The request body is too large."};
    return ApiError{400, std::string(to_string(error.code)), error.message};
}

std::optional<ApiError> check_empty_body(const std::string& body) {
    if (body.empty()) return std::nullopt;
    auto parsed = parse_json(body, JsonLimits{api::max_request_body, 4});
    if (!parsed) return request_body_error(parsed.error());
    if (!parsed.value().is_object()) return ApiError{400, "invalid_json", "The body must be a JSON object."};
    if (!parsed.value().empty()) return ApiError{400, "invalid_field", "This request takes no fields."};
    return std::nullopt;
}

std::optional<std::string> current_session_id(const HttpRequest& request, const ProxyConfig& config,
                                              SessionStore& sessions) {
    std::vector<std::string> headers;
    const auto range = request.headers.equal_range("cookie");
    for (auto it = range.first; it != range.second; ++it) headers.push_back(it->second);
    for (std::string& value : cookie_values(headers, session_cookie_name(config))) {
        if (is_session_id_text(value) && sessions.touch(value)) return std::move(value);
    }
    return std::nullopt;
}

std::string session_cookie(const ProxyConfig& config, const std::string& session_id) {
    SetCookieOptions options;
    options.secure = config.secure_cookies;
    options.max_age_seconds = config.session_max_age.count();
    return build_set_cookie(session_cookie_name(config), session_id, options);
}

std::string expired_session_cookie(const ProxyConfig& config) {
    SetCookieOptions options;
    options.secure = config.secure_cookies;
    return build_clear_cookie(session_cookie_name(config), options);
}

std::optional<ApiError> check_rate_limit(const HttpRequest& request, const AppContext& context, RateLimiter* limiter) {
    if (limiter == nullptr) return std::nullopt;
    const RateDecision decision = limiter->take(
        client_key(request.remote_addr, request.header("x-forwarded-for"), context.config.trust_forwarded_for));
    if (decision.allowed) return std::nullopt;
    const std::string seconds = std::to_string(decision.retry_after.count());
    return ApiError{429, "rate_limited",
                    "Too many sign-in requests from this address; try again in " + seconds + " s.",
                    {{"Retry-After", seconds}}};
}

RouteResult start_route(const HttpRequest& request, AppContext& context) {
    if (context.config.protocol == Protocol::oauth2) return oauth2_start_route(request, context);
    // Before anything that costs: no call to Twitter for a refused start.
    if (auto limited = check_rate_limit(request, context, context.start_limiter)) return *limited;
    if (auto error = check_empty_body(request.body)) return *error;

    // Nothing below can refuse the start, so the provider is asked only now;
    // and what the flow needs later goes to the browser, not to the server.
    auto token = context.twitter.request_token();
    if (auto* failure = std::get_if<ProviderFailure>(&token)) return provider_error(context, "request_token", *failure);
    const RequestToken& request_token = std::get<RequestToken>(token);

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

    const BrowserFlows flows =
        read_browser_flows(request, context.config, context.flow_seal, context.config.max_flows_per_session);
    const std::optional<std::string> session = current_session_id(request, context.config, context.sessions);
    const std::string token = callback_token(query);
    const BrowserFlow* flow = find_flow(flows, FlowProtocol::oauth1, token);
    // This browser's own session came from this flow: its callback was used here.
    const bool used_here = flow == nullptr && session && !token.empty() &&
                           context.sessions.made_by(*session, context.flow_seal.key_of(FlowProtocol::oauth1, token));
    if (flow == nullptr && !used_here && flows.kept.empty()) return callback_error(CallbackOutcome::no_session);

    // The same check the browser ran, against this browser's own flow for the token.
    const bool ours = flow != nullptr || used_here;
    const CallbackResult callback = verify_callback(query, ours ? std::string_view(token) : no_such_flow);
    if (callback.outcome == CallbackOutcome::denied) {
        // A cancelled flow is over; the provider is not asked anything.
        return forgetting(flow, context, callback_error(callback.outcome));
    }
    // Any other problem leaves the flow pending: the genuine callback may still come.
    if (callback.outcome != CallbackOutcome::approved) return callback_error(callback.outcome);
    if (used_here) return replayed();

    if (flow->flow.expires_unix <= context.clock.unix_seconds()) {
        return forgetting(flow, context, ApiError{410, "expired", "This sign-in took too long; start again."});
    }
    // First wins: of any number of exchanges of one flow, in this browser or
    // with a copy of its cookie, one goes on to the provider.
    const FlowKey key = context.flow_seal.key_of(flow->flow.protocol, flow->flow.id);
    if (!context.consumed_flows.consume(key, flow->flow.expires_unix)) return forgetting(flow, context, replayed());
    return forgetting(flow, context, complete_sign_in(context, flow->flow, callback.oauth_verifier, key, session));
}

RouteResult healthz_route(const HttpRequest&, AppContext&) {
    return json_response(nlohmann::json{{"status", "ok"}});
}

std::vector<Route> api_routes() {
    return {
        Route{"POST", "/api/twitter/start", true, start_route},
        Route{"POST", "/api/twitter/exchange", true, exchange_route},
        Route{"POST", "/api/register", true, register_route},
        Route{"GET", "/api/me", false, me_route},
        Route{"POST", "/api/logout", true, logout_route},
        Route{"GET", "/healthz", false, healthz_route},
    };
}

}  // namespace perch
