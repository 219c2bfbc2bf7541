#include "api_handlers.h"

#include <utility>

#include "account_handlers.h"
#include "account_store.h"
#include "api_types.h"
#include "callback.h"
#include "cookies.h"
#include "json_input.h"
#include "log.h"
#include "query.h"
#include "rate_limiter.h"

namespace perch {
namespace {

// Passed to verify_callback when this session never started the callback's
// token, so the core itself reports the mismatch. Not a token we ever issue.
constexpr std::string_view no_such_flow = "perch-no-pending-flow";

// The operator's detail (Twitter's own words and what to fix) goes to the log;
// the person gets a stable message. The detail may quote a provider body
// (an HTML error page, say), which has no place in our JSON.
ApiError provider_error(AppContext& context, std::string_view step, const ProviderFailure& failure) {
    const bool timeout = failure.kind == ProviderFailure::Kind::timeout;
    if (context.log != nullptr) {
        context.log->warn(std::string(timeout ? "provider_timeout" : "provider_error") + " at " +
                          std::string(step) + ": " + failure.message);
    }
    if (timeout) return ApiError{504, "provider_timeout", "Twitter did not answer in time. Please try again."};
    return ApiError{502, "provider_error", "Twitter could not complete the sign-in. Please try again later."};
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
        case CallbackOutcome::malformed:
        case CallbackOutcome::approved:
            break;
    }
    return ApiError{400, "malformed", "Twitter's answer is malformed."};
}

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

}  // namespace

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
    // Before anything that costs: no session, no call to Twitter.
    if (auto limited = check_rate_limit(request, context, context.start_limiter)) return *limited;
    if (auto error = check_empty_body(request.body)) return *error;
    const ApiError busy{503, "busy", "Too many sign-ins are in progress; try again shortly."};

    std::vector<std::pair<std::string, std::string>> cookie;
    auto new_session = [&]() -> std::optional<std::string> {
        std::optional<std::string> id = context.sessions.create();
        if (id) cookie = {{"Set-Cookie", session_cookie(context.config, *id)}};
        return id;
    };

    // Make the session first: a full store must not cost a call to Twitter.
    std::optional<std::string> session = current_session_id(request, context.config, context.sessions);
    if (!session) session = new_session();
    if (!session) return busy;

    auto token = context.twitter.request_token();
    if (auto* failure = std::get_if<ProviderFailure>(&token)) {
        ApiError error = provider_error(context, "request_token", *failure);
        error.headers = cookie;  // the retry reuses this session
        return error;
    }
    const RequestToken request_token = std::get<RequestToken>(std::move(token));

    AddFlowResult added = context.sessions.add_flow(*session, request_token);
    if (added == AddFlowResult::no_session) {
        // It ended (absolute lifetime) while Twitter answered: carry on in a new one.
        session = new_session();
        if (!session) return busy;
        added = context.sessions.add_flow(*session, request_token);
    }
    if (added != AddFlowResult::added) {
        ApiError error = busy;
        error.headers = cookie;
        return error;
    }

    HttpResponse response = json_response(api::to_json(
        api::StartResponse{context.twitter.authenticate_url(request_token.token), request_token.token}));
    response.headers = cookie;
    return response;
}

RouteResult exchange_route(const HttpRequest& request, AppContext& context) {
    if (auto limited = check_rate_limit(request, context, context.exchange_limiter)) return *limited;
    auto parsed = api::parse_exchange_request(request.body);
    if (!parsed) return request_body_error(parsed.error());
    const std::string& query = parsed.value().callback_query;

    const std::optional<std::string> session = current_session_id(request, context.config, context.sessions);
    if (!session) return callback_error(CallbackOutcome::no_session);

    // The same check the browser ran, against this session's own flow for the token.
    const std::string token = callback_token(query);
    const FlowState known = context.sessions.peek_flow(*session, token);
    if (known == FlowState::no_session) return callback_error(CallbackOutcome::no_session);  // ended or rotated
    const bool ours = !token.empty() && known != FlowState::unknown;
    const CallbackResult callback = verify_callback(query, ours ? std::string_view(token) : no_such_flow);

    if (callback.outcome == CallbackOutcome::denied) {
        if (!token.empty()) context.sessions.take_flow(*session, token);  // a cancelled flow is over
        return callback_error(callback.outcome);
    }
    if (callback.outcome != CallbackOutcome::approved) return callback_error(callback.outcome);

    // Take-and-erase: of two concurrent exchanges for one token, one wins.
    TakenFlow flow = context.sessions.take_flow(*session, callback.oauth_token);
    switch (flow.state) {
        case FlowState::taken:
            break;
        case FlowState::consumed:
            return ApiError{409, "replayed", "This sign-in was already completed; start again."};
        case FlowState::expired:
            return ApiError{410, "expired", "This sign-in took too long; start again."};
        case FlowState::no_session:
            return callback_error(CallbackOutcome::no_session);
        case FlowState::pending:
        case FlowState::unknown:
            return callback_error(CallbackOutcome::token_mismatch);
    }

    // Once per flow, never retried: the flow is already consumed.
    auto access = context.twitter.access_token(flow.token, callback.oauth_verifier);
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

    nlohmann::json body = account ? nlohmann::json{{"status", "signed_in"}, {"user", api::to_json(to_api_user(*account))}}
                                  : nlohmann::json{{"status", "new"}, {"twitter_user", user.user}};
    TwitterIdentity identity{access_token.user_id, access_token.screen_name, access_token.token,
                             access_token.secret, std::move(user.user)};
    const ApiError ended{400, "no_session", "Your session ended during sign-in; start again."};
    std::optional<std::string> rotated = context.sessions.establish_identity(*session, std::move(identity));
    if (!rotated) return ended;
    if (account) {
        rotated = context.sessions.sign_in(*rotated, account->id);
        if (!rotated) return ended;
    }

    HttpResponse response = json_response(body);
    response.headers.emplace_back("Set-Cookie", session_cookie(context.config, *rotated));
    return response;
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
