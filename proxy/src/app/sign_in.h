// What both protocols' start and exchange routes share (OAuth 1.0a in
// app/api_handlers.cpp, OAuth 2.0 in app/oauth2_handlers.cpp): provider and
// callback failures as JSON errors, this browser's flow cookies, and the
// session for the person the provider identified.
#pragma once

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

// The session for the person the provider identified: 200 {"status":"new",
// "twitter_user"} or {"status":"signed_in","user"} with its cookie, or 503 busy.
RouteResult start_session(AppContext& context, TwitterIdentity identity, const std::optional<Account>& account,
                          const FlowKey& key, const std::optional<std::string>& previous_session);

// Adds `flow`'s new cookie to `response`, clearing this browser's oldest
// flows beyond config.max_flows_per_session.
void add_flow_cookies(const HttpRequest& request, const AppContext& context, const PendingFlow& flow,
                      HttpResponse& response);

}  // namespace perch
