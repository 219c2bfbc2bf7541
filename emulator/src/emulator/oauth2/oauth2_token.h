// POST /2/oauth2/token: X's token endpoint (RFC 6749 §4.1.3, §6; RFC 7636 §4.5).
//
// Client authentication, as X documents it:
// - a confidential client (--client-secret set) sends HTTP Basic
//   client_id:client_secret; client_id may also be in the body (it must then
//   match); client_secret in the body is refused;
// - a public client (no --client-secret) sends client_id in the body and no
//   Authorization header (it has no secret to send).
// Anything else is invalid_client (401, WWW-Authenticate: Basic).
#pragma once

#include <optional>

#include "emulator/emulator_config.h"
#include "emulator/http_message.h"
#include "emulator/oauth2/oauth2_store.h"
#include "core/query.h"

namespace perch::emulator {

class TokenEndpoint {
public:
    TokenEndpoint(const EmulatorConfig& config, OAuth2Store& store) : config_(config), store_(store) {}

    EmuResponse handle(const EmuRequest& request);

private:
    std::optional<EmuResponse> authenticate(const EmuRequest& request, const Params& form) const;
    EmuResponse authorization_code(const Params& form);
    EmuResponse refresh_token(const Params& form);
    EmuResponse client_refused(std::string reason) const;
    EmuResponse grant_refused(GrantProblem problem) const;

    const EmulatorConfig& config_;
    OAuth2Store& store_;
};

// {"token_type":"bearer","expires_in":…,"access_token":…,"scope":…[,"refresh_token":…]}
// with Cache-Control: no-store, the shape X answers.
EmuResponse token_response(const TokenGrant& grant);

}  // namespace perch::emulator
