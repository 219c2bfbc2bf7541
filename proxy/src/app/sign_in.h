// What both protocols' start and exchange routes share (OAuth 1.0a in
// app/api_handlers.cpp, OAuth 2.0 in app/oauth2_handlers.cpp): provider and
// callback failures as JSON errors, this browser's flow cookies, and the
// session for the person the provider identified.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "app/flow_cookies.h"
#include "app/routes.h"
#include "core/callback.h"
#include "provider/provider_result.h"
#include "store/account_store.h"
#include "store/session_store.h"

namespace perch {

// A provider failure as the person sees it; the operator's detail goes to
// context.log. error -> 502 provider_error, timeout -> 504 provider_timeout,
// grant_refused -> 400 grant_refused, rate_limited -> 503
// provider_rate_limited with Retry-After.
ApiError provider_error(AppContext& context, std::string_view step, const ProviderFailure& failure);

// A callback outcome other than approved as its 400 error.
ApiError callback_error(CallbackOutcome outcome);

// 409 replayed.
ApiError replayed();

// This browser's flow of `protocol` whose id is `token` (compared in constant
// time), or null.
const BrowserFlow* find_flow(const BrowserFlows& flows, FlowProtocol protocol, std::string_view token);

// `result`, also clearing `flow`'s cookie when there is a flow.
RouteResult forgetting(const BrowserFlow* flow, const AppContext& context, RouteResult result);

// This browser's side of an exchange whose callback names `callback_key` (the
// OAuth 1.0a token or the OAuth 2.0 state): its flows, its session, the flow
// the key names, and whether its session was already made by that flow (the
// callback was used here, in this browser).
struct ExchangeBrowser {
    BrowserFlows flows;
    std::optional<std::string> session;
    std::string callback_key;
    std::optional<std::size_t> flow_at;  // in flows.kept
    bool used_here = false;

    const BrowserFlow* flow() const { return flow_at ? &flows.kept[*flow_at] : nullptr; }
    bool ours() const { return flow_at.has_value() || used_here; }
    // What the core must find in the callback: the key when this browser
    // started or finished that flow, else a value no callback can carry.
    std::string_view expected_key() const;
};

// 503 unavailable when the session store does not answer.
Result<ExchangeBrowser, ApiError> read_exchange_browser(const HttpRequest& request, AppContext& context,
                                                        FlowProtocol protocol, std::string callback_key);

// An approved callback of `flow`: 410 expired, or 409 replayed unless this is
// the flow's first exchange anywhere (in this browser or with a copy of its
// cookie, on any instance), else `sign_in(key)`; the flow's cookie is cleared.
RouteResult consume_then(AppContext& context, const BrowserFlow& flow,
                         const std::function<RouteResult(const FlowKey& key)>& sign_in);

// The session for the person the provider identified: 200 {"status":"new",
// "twitter_user"} or {"status":"signed_in","user"} with its cookie, or 503 busy.
RouteResult start_session(AppContext& context, TwitterIdentity identity, const std::optional<Account>& account,
                          const FlowKey& key, const std::optional<std::string>& previous_session);

// Adds `flow`'s new cookie to `response`, clearing this browser's oldest
// flows beyond config.max_flows_per_session.
void add_flow_cookies(const HttpRequest& request, const AppContext& context, const PendingFlow& flow,
                      HttpResponse& response);

}  // namespace perch
