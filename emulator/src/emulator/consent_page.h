// The emulator's browser-facing pages: consent, PIN (oob), and errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/http_message.h"

namespace perch::emulator {

struct ConsentPage {
    std::string app_name;
    std::string user_name;
    std::string screen_name;
    std::string oauth_token;
    std::string csrf;             // the per-flow authenticity_token
    std::string callback_origin;  // allowed as a form-action redirect target; empty for oob
};

// 200, self-contained HTML (inline CSS allowed by hash, no scripts, no external
// resources) with two forms POSTing to /oauth/authorize: "Authorize app" and
// "Cancel" (the latter carries cancel=1). Every value is escaped.
EmuResponse consent_page(const ConsentPage& page);

// OAuth 2.0's consent page, at GET /i/oauth2/authorize: the same look, ids and
// button names as the OAuth 1.0a page (forms #oauth_form and #cancel_form,
// buttons #allow "Authorize app" and #cancel "Cancel"), plus the requested
// scopes (ul#scopes, one li[data-scope] each). Both forms POST to
// /i/oauth2/authorize with authenticity_token and request_id; Cancel adds cancel=1.
struct OAuth2ConsentPage {
    std::string app_name;
    std::string user_name;
    std::string screen_name;
    std::string request_id;
    std::string csrf;
    std::string redirect_origin;  // allowed as a form-action redirect target
    std::vector<std::string> scopes;
};
EmuResponse oauth2_consent_page(const OAuth2ConsentPage& page);

// Refuses a consent form post that a browser sent from another site (a foreign
// Origin; browsers always send Origin on POST, other clients may omit it) or
// that is not form-encoded. nullopt: go ahead.
std::optional<EmuResponse> refuse_consent_post(const EmuRequest& request);

// The "oob" flow: Twitter shows the verifier as a PIN to type into the app.
EmuResponse pin_page(std::string_view app_name, std::string_view verifier);

// An HTML page with a title and a message (errors, a cancelled oob flow);
// `reason` goes to the log only.
EmuResponse error_page(int status, std::string_view title, std::string_view message,
                       std::string reason);

// 302 to `location` (a callback URL with oauth_token and oauth_verifier, or denied).
EmuResponse redirect_to(std::string location);

}  // namespace perch::emulator
