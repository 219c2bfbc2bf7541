#include "app/sign_in.h"

#include <algorithm>
#include <utility>

#include "app/route_support.h"
#include "base/log.h"
#include "core/api_types.h"
#include "core/constant_time.h"

namespace perch {

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

std::string_view ExchangeBrowser::expected_key() const {
    // Not a token or state we ever issue: the core itself reports the mismatch.
    static constexpr std::string_view no_such_flow = "perch-no-pending-flow";
    return ours() ? std::string_view(callback_key) : no_such_flow;
}

Result<ExchangeBrowser, ApiError> read_exchange_browser(const HttpRequest& request, AppContext& context,
                                                        FlowProtocol protocol, std::string callback_key) {
    ExchangeBrowser browser;
    browser.callback_key = std::move(callback_key);
    browser.flows = read_browser_flows(request, context.config, context.flow_seal, context.config.max_flows_per_session);
    auto current = current_session_id(request, context.config, context.sessions);
    if (!current) return store_unavailable(context, "exchange", current.error());
    browser.session = current.value();
    if (const BrowserFlow* flow = find_flow(browser.flows, protocol, browser.callback_key)) {
        browser.flow_at = static_cast<std::size_t>(flow - browser.flows.kept.data());
    } else if (browser.session && !browser.callback_key.empty()) {
        auto made = context.sessions.made_by(*browser.session, context.flow_seal.key_of(protocol, browser.callback_key));
        if (!made) return store_unavailable(context, "exchange", made.error());
        browser.used_here = made.value();
    }
    return browser;
}

RouteResult consume_then(AppContext& context, const BrowserFlow& flow,
                         const std::function<RouteResult(const FlowKey& key)>& sign_in) {
    if (flow.flow.expires_unix <= context.clock.unix_seconds()) {
        return forgetting(&flow, context, ApiError{410, "expired", "This sign-in took too long; start again."});
    }
    // First wins: of any number of exchanges of one flow, one goes on to the provider.
    const FlowKey key = context.flow_seal.key_of(flow.flow.protocol, flow.flow.id);
    auto first = context.consumed_flows.consume(key, flow.flow.expires_unix);
    if (!first) return store_unavailable(context, "exchange", first.error());
    if (!first.value()) return forgetting(&flow, context, replayed());
    return forgetting(&flow, context, sign_in(key));
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
    if (result) result.value().headers.push_back(std::move(header));
    else result.error().headers.push_back(std::move(header));
    return result;
}

RouteResult start_session(AppContext& context, TwitterIdentity identity, const std::optional<Account>& account,
                          const FlowKey& key, const std::optional<std::string>& previous_session) {
    nlohmann::json body = account ? nlohmann::json{{"status", "signed_in"}, {"user", api::to_json(to_api_user(*account))}}
                                  : nlohmann::json{{"status", "new"}, {"twitter_user", identity.user}};
    NewSession fresh{std::move(identity), account ? std::optional<std::int64_t>(account->id) : std::nullopt, key};
    // A new id for the new identity: a session this browser had before ends.
    if (previous_session) {
        auto ended = context.sessions.destroy(*previous_session);
        if (!ended) return store_unavailable(context, "exchange", ended.error());
    }
    auto created = context.sessions.create(std::move(fresh));
    if (!created) return store_unavailable(context, "exchange", created.error());
    const std::optional<std::string>& id = created.value();
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

}  // namespace perch
