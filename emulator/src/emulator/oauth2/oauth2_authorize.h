// GET and POST /i/oauth2/authorize: X's OAuth 2.0 consent step (RFC 6749
// §4.1.1-4.1.2, RFC 7636 §4.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "emulator/emulator_config.h"
#include "emulator/http_message.h"
#include "emulator/oauth2/oauth2_store.h"

namespace perch::emulator {

// X's limit on the state parameter.
inline constexpr std::size_t max_state_length = 500;

struct AuthorizeParams {
    std::string redirect_uri;
    std::string state;
    Scopes scopes;
    std::string code_challenge;
};

// Why an authorization request is refused. With an unknown client or an
// unregistered redirect URI the refusal is an error page, never a redirect
// (RFC 6749 §4.1.2.1: the URI cannot be trusted); every other problem goes
// back to the redirect URI as error=…[&error_description=…][&state=…].
struct AuthorizeRefusal {
    bool redirect = false;
    std::string redirect_uri;
    std::optional<std::string> state;
    std::string error;        // invalid_request, unsupported_response_type, invalid_scope
    std::string description;  // error_description (redirect) or the page's text
    std::string reason;       // for the log
};

// Checks the query of GET /i/oauth2/authorize: exactly one of each parameter;
// client_id the registered one; redirect_uri registered (exact string);
// response_type=code; state present and at most 500 characters; scope of
// known X scopes; code_challenge_method=S256 (plain refused) with a 43-character
// challenge.
std::variant<AuthorizeParams, AuthorizeRefusal> check_authorize_request(std::string_view query,
                                                                        const EmulatorConfig& config);

class AuthorizeEndpoint {
public:
    AuthorizeEndpoint(const EmulatorConfig& config, OAuth2Store& store) : config_(config), store_(store) {}

    // GET: the consent page (with --fast: approved at once).
    EmuResponse page(const EmuRequest& request);
    // POST: the consent forms' answer (authenticity_token, request_id, cancel=1).
    EmuResponse decision(const EmuRequest& request);

private:
    EmuResponse decide(const AuthorizationRequest& request, const std::string& csrf, bool allow);
    // The requested scopes the user grants: all but --withhold-scope ones.
    Scopes granted(const Scopes& requested) const;

    const EmulatorConfig& config_;
    OAuth2Store& store_;
};

}  // namespace perch::emulator
