// The emulator's browser-facing pages: consent, PIN (oob), and errors.
#pragma once

#include <string>
#include <string_view>

#include "http_message.h"

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

// The "oob" flow: Twitter shows the verifier as a PIN to type into the app.
EmuResponse pin_page(std::string_view app_name, std::string_view verifier);

// An HTML page with a title and a message (errors, a cancelled oob flow);
// `reason` goes to the log only.
EmuResponse error_page(int status, std::string_view title, std::string_view message,
                       std::string reason);

// 302 to `location` (a callback URL with oauth_token and oauth_verifier, or denied).
EmuResponse redirect_to(std::string location);

}  // namespace perch::emulator
