#include "app/oauth2_handlers.h"

#include <optional>
#include <string>
#include <utility>

#include "app/flow_cookies.h"
#include "app/route_support.h"
#include "app/sign_in.h"
#include "base/log.h"
#include "core/api_types.h"
#include "core/callback.h"
#include "core/query.h"
#include "provider/oauth2_client.h"
#include "provider/pkce.h"
#include "store/account_store.h"

namespace perch {
namespace {

// The callback's one `state`; empty when there is none or it is ambiguous.
std::string callback_state(std::string_view callback_query) {
    auto params = parse_query(callback_query);
    if (!params || count_params(params.value(), "state") != 1) return {};
    return *find_param(params.value(), "state");
}

// X's words, bounded and printable, for the operator's log line.
std::string loggable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 300)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

void log_refusal(AppContext& context, const CallbackResult& callback) {
    if (context.log == nullptr) return;
    std::string line = "provider_refused at authorize: X answered error=" + loggable(callback.error);
    if (!callback.error_description.empty()) line += " error_description=" + loggable(callback.error_description);
    if (callback.error == "invalid_scope") line += " (check PERCH_SCOPES against the scopes the app may ask for)";
    if (callback.error == "invalid_request" || callback.error == "unauthorized_client") {
        line += " (check PERCH_CLIENT_ID and that PERCH_CALLBACK_URL is one of the app's callback URLs, exactly)";
    }
    context.log->warn(line);
}

// The code for tokens, then the person: once, never retried.
RouteResult complete_sign_in(AppContext& context, const PendingFlow& flow, const std::string& code, const FlowKey& key,
                             const std::optional<std::string>& previous_session) {
    auto exchanged = context.oauth2->exchange_code(code, flow.secret);
    if (!exchanged) return provider_error(context, "token", exchanged.error());
    OAuth2Tokens& tokens = exchanged.value();
    if (!has_scope(tokens.scope, "tweet.read") || !has_scope(tokens.scope, "users.read")) {
        return provider_error(context, "token",
                              ProviderFailure{ProviderFailure::Kind::error,
                                              "X granted \"" + loggable(tokens.scope) +
                                                  "\": /2/users/me needs tweet.read and users.read "
                                                  "(list both in PERCH_SCOPES)"});
    }
    const bool with_email = has_scope(tokens.scope, "users.email");
    auto verified = context.oauth2->users_me(tokens.access_token, with_email);
    if (!verified) return provider_error(context, "users/me", verified.error());
    VerifiedUser& user = verified.value();

    const OAuth2Grant grant{std::move(tokens.access_token), std::move(tokens.refresh_token),
                            tokens.expires_in > 0 ? context.clock.unix_seconds() + tokens.expires_in : 0};
    // A returning user: the new grant replaces the stored one.
    std::optional<Account> account;
    auto existing = context.accounts.find_by_twitter_id(user.user_id);
    if (!existing) return account_store_failure(context, "exchange", existing.error());
    if (existing.value()) {
        auto stored = context.accounts.store_oauth2_grant(user.user_id, grant, true);
        if (stored) {
            account = std::move(stored).value();
        } else if (stored.error().kind != AccountErrorKind::not_found) {
            return account_store_failure(context, "exchange", stored.error());
        }
    }
    const std::string username = user.user.value("username", std::string());
    return start_session(context, TwitterIdentity{user.user_id, username, {}, {}, std::move(user.user), grant},
                         account, key, previous_session);
}

}  // namespace

RouteResult oauth2_start_route(const HttpRequest& request, AppContext& context) {
    if (auto limited = check_rate_limit(request, context, context.start_limiter)) return *limited;
    if (auto error = check_empty_body(request.body)) return *error;
    if (context.oauth2 == nullptr) return ApiError{500, "internal", "Sign-in is not available just now."};

    const std::string state = make_state(context.random);
    const PendingFlow flow{FlowProtocol::oauth2, state, make_code_verifier(context.random),
                           context.clock.unix_seconds() + context.config.flow_ttl.count()};
    HttpResponse response = json_response(nlohmann::json{
        {"authorize_url", context.oauth2->authorize_url(state, code_challenge_s256(flow.secret))}, {"state", state}});
    add_flow_cookies(request, context, flow, response);
    return response;
}

RouteResult oauth2_exchange_route(const HttpRequest& request, AppContext& context) {
    if (auto limited = check_rate_limit(request, context, context.exchange_limiter)) return *limited;
    auto parsed = api::parse_exchange_request(request.body);
    if (!parsed) return request_body_error(parsed.error());
    if (context.oauth2 == nullptr) return ApiError{500, "internal", "Sign-in is not available just now."};
    const std::string& query = parsed.value().callback_query;

    auto read = read_exchange_browser(request, context, FlowProtocol::oauth2, callback_state(query));
    if (!read) return std::move(read.error());
    const ExchangeBrowser& browser = read.value();

    // The core's precedence: malformed, then X's error (which needs no flow),
    // then no_session, missing_params, token_mismatch.
    const CallbackResult callback = verify_callback(query, browser.expected_key());
    if (callback.outcome == CallbackOutcome::malformed) return callback_error(callback.outcome);
    if (callback.shape == CallbackShape::oauth2 && callback.outcome == CallbackOutcome::provider_refused) {
        log_refusal(context, callback);
        return forgetting(browser.flow(), context, callback_error(callback.outcome));
    }
    // A cancelled flow is over; X is not asked anything.
    if (callback.outcome == CallbackOutcome::denied) {
        return forgetting(browser.flow(), context, callback_error(callback.outcome));
    }
    if (!browser.ours() && browser.flows.kept.empty()) return callback_error(CallbackOutcome::no_session);
    // Any other problem leaves the flow pending: the genuine callback may still come.
    if (callback.outcome != CallbackOutcome::approved || callback.shape != CallbackShape::oauth2) {
        return callback_error(callback.outcome == CallbackOutcome::approved ? CallbackOutcome::malformed
                                                                            : callback.outcome);
    }
    if (browser.used_here) return replayed();
    const PendingFlow& flow = browser.flow()->flow;
    return consume_then(context, *browser.flow(), [&](const FlowKey& key) {
        return complete_sign_in(context, flow, callback.code, key, browser.session);
    });
}

}  // namespace perch
