// The browser's pending sign-ins: one cookie per flow, so two tabs starting at
// the same moment never overwrite each other, each holding a FlowSeal'd flow.
//
//   name   perch_flow_<id> on http origins, __Host-perch_flow_<id> on https
//          (browsers take a __Host- cookie only from this exact host, with
//          Secure and Path=/, so a sibling subdomain cannot plant a flow: that
//          would be login CSRF); <id> is 11 random URL-safe Base64 characters.
//   value  FlowSeal::seal(flow, name): the name is bound into the seal.
//   flags  HttpOnly; SameSite=Lax (the callback is a top-level navigation back
//          from the provider); Path=/; Secure on https; Max-Age = the flow's
//          lifetime + flow_cookie_grace, so an expired flow still reaches the
//          proxy and is answered 410 expired rather than "no sign-in".
//
// What the proxy reads is bounded: the Cookie header's own limits (cookies.h),
// at most FlowSeal::max_sealed_text per value, and of the flows that open at
// most config.max_flows_per_session, the newest. Cookies of another name
// (the unprefixed name on https), values that do not open, and anything
// malformed are ignored.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "app/settings/config.h"
#include "base/crypto.h"
#include "net/http_types.h"
#include "app/sealed_flow.h"

namespace perch {

inline constexpr std::chrono::seconds flow_cookie_grace{60};

// "__Host-perch_flow_" for an https public origin, else "perch_flow_".
std::string_view flow_cookie_prefix(const ProxyConfig& config);

struct BrowserFlow {
    std::string cookie_name;
    PendingFlow flow;
};

struct BrowserFlows {
    std::vector<BrowserFlow> kept;        // newest (latest expiry) first
    std::vector<std::string> to_forget;   // our cookie names beyond `keep`, or whose value did not open
};

// The flows the request's cookies hold, at most `keep` of them (the newest).
BrowserFlows read_browser_flows(const HttpRequest& request, const ProxyConfig& config, const FlowSeal& seal,
                                std::size_t keep);

// A name for a new flow's cookie.
std::string new_flow_cookie_name(const ProxyConfig& config, RandomSource& random);

// Set-Cookie holding `flow` under `name`.
std::string flow_cookie(const ProxyConfig& config, const FlowSeal& seal, const std::string& name,
                        const PendingFlow& flow);

// Set-Cookie that makes the browser forget the flow cookie `name` (Max-Age=0).
std::string expired_flow_cookie(const ProxyConfig& config, std::string_view name);

}  // namespace perch
