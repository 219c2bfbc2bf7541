// perch-emulator's behaviour: X's OAuth 1.0a and OAuth 2.0 endpoints as plain
// functions from EmuRequest to EmuResponse, so tests need no sockets.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include <optional>

#include "base/clock.h"
#include "base/crypto.h"
#include "emulator/emulator_config.h"
#include "emulator/fault.h"
#include "emulator/fault_response.h"
#include "emulator/http_message.h"
#include "emulator/nonce_cache.h"
#include "emulator/oauth2/oauth2_authorize.h"
#include "emulator/oauth2/oauth2_store.h"
#include "emulator/oauth2/oauth2_token.h"
#include "emulator/oauth_verifier.h"
#include "emulator/token_store.h"

namespace perch::emulator {

// Thread-safe: handler threads call handle() concurrently.
class Emulator {
public:
    Emulator(const EmulatorConfig& config, const Clock& clock, RandomSource& random);

    // Routes one request. The response may ask the server to delay or drop it
    // (fault modes slow and drop).
    EmuResponse handle(const EmuRequest& request);

    FaultSwitch& faults() { return faults_; }
    TokenStore& tokens() { return tokens_; }
    OAuth2Store& oauth2() { return oauth2_store_; }

private:
    using Handler = EmuResponse (Emulator::*)(const EmuRequest&);
    struct Route {
        std::string_view method;
        std::string_view path;
        Handler handler;
        FaultEndpoint fault_endpoint;  // `all` means: never faulted
    };

    EmuResponse request_token(const EmuRequest& request);
    EmuResponse authorize_page(const EmuRequest& request);
    EmuResponse authorize_decision(const EmuRequest& request);
    // --fast: /oauth/authenticate for a user who authorized the app before.
    EmuResponse approve_at_once(const RequestTokenRecord& pending);
    EmuResponse access_token(const EmuRequest& request);
    EmuResponse verify_credentials(const EmuRequest& request);
    EmuResponse oauth2_authorize_page(const EmuRequest& request) { return authorize_.page(request); }
    EmuResponse oauth2_authorize_decision(const EmuRequest& request) { return authorize_.decision(request); }
    EmuResponse oauth2_token(const EmuRequest& request) { return token_.handle(request); }
    EmuResponse users_me(const EmuRequest& request);
    EmuResponse fault_control(const EmuRequest& request);
    EmuResponse calls_report(const EmuRequest& request);
    // Why a control request is refused (disabled, not loopback, a browser), if it is.
    std::optional<EmuResponse> refuse_control(const EmuRequest& request) const;

    // Returns the OAuth view of `request`, or a failure if its Host is unusable.
    std::variant<OAuthRequest, EmuResponse> oauth_request(const EmuRequest& request) const;
    // Verifies an OAuth 1.0a request signed with an access token (user context).
    std::variant<VerifiedRequest, OAuthFailure> user_context(const EmuRequest& request);

    static const Route routes_[];

    const EmulatorConfig& config_;
    const Clock& clock_;
    NonceCache nonces_;
    TokenStore tokens_;
    OAuthVerifier verifier_;
    OAuth2Store oauth2_store_;
    AuthorizeEndpoint authorize_;
    TokenEndpoint token_;
    FaultSwitch faults_;
    // Requests received per OAuth endpoint (request_token, access_token,
    // verify_credentials), whatever their outcome: what the provider saw.
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(FaultEndpoint::all)> calls_{};
};

// "127.0.0.1", "::1", "::ffff:127.x.y.z", ...
bool is_loopback_address(std::string_view address);

}  // namespace perch::emulator
