// The oauth_callback a client registers, and the redirect back to it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"

namespace perch::emulator {

enum class CallbackCheck {
    ok,
    malformed,     // not "oob" and not an absolute http(s) URL we accept -> Twitter code 417
    not_approved,  // a valid URL outside the allow-list -> Twitter code 415
};

// `allowed` holds registered callback URLs; empty allows any http(s) URL. Like
// Twitter, the query string may vary: the URL up to '?' must equal an entry.
// Userinfo, fragments, whitespace and control characters are refused.
CallbackCheck check_callback(std::string_view callback, const std::vector<std::string>& allowed);

// OAuth 2.0's rule (RFC 6749 §3.1.2.3, X's "exact match"): `uri` must equal
// one of `registered` byte for byte; with none registered, any URL
// check_callback accepts (never "oob") will do.
bool is_registered_redirect(std::string_view uri, const std::vector<std::string>& registered);

// "scheme://host[:port]" of an accepted callback URL, for the consent page's
// form-action policy; empty for "oob".
std::string callback_origin(std::string_view callback);

// The callback with `params` appended to its query ('?' or '&').
std::string callback_redirect(std::string_view callback, const Params& params);

}  // namespace perch::emulator
