#include "emulator/consent_page.h"

#include <utility>

#include <openssl/evp.h>

#include "base/crypto.h"
#include "emulator/html.h"
#include "emulator/oauth_verifier.h"

namespace perch::emulator {
namespace {

constexpr std::string_view style = R"css(
body{margin:0;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f8fa;color:#14171a}
main{max-width:30rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #e1e8ed;border-radius:1rem}
h1{font-size:1.4rem;margin:0 0 1rem}
.who{display:flex;gap:.75rem;align-items:center;margin:1rem 0}
.avatar{width:3rem;height:3rem;border-radius:50%;background:#1da1f2;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700}
.muted{color:#657786;font-size:.9rem}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{font:inherit;font-weight:700;padding:.6rem 1.2rem;border-radius:9999px;border:1px solid #1da1f2;cursor:pointer}
#allow{background:#1da1f2;color:#fff}
#cancel{background:#fff;color:#1da1f2}
.pin{font:700 2rem monospace;letter-spacing:.2rem}
)css";

// 'sha256-…' for the inline <style>, so the CSP needs no 'unsafe-inline'.
std::string style_hash() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(style.data(), style.size(), digest, &length, EVP_sha256(), nullptr);
    return "'sha256-" + base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length)) + "'";
}

EmuResponse html_page(int status, std::string_view title, const std::string& content,
                      const std::string& form_action_origin) {
    static const std::string hash = style_hash();
    EmuResponse response;
    response.status = status;
    response.content_type = "text/html; charset=utf-8";
    response.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                    "<meta name=\"referrer\" content=\"same-origin\">"
                    "<title>" + html_escape(title) + "</title><style>" + std::string(style) +
                    "</style></head>\n<body><main>\n" + content + "</main></body></html>\n";
    // form-action must also allow the callback origin: browsers apply it to the
    // redirect that answers the form.
    std::string form_action = "'self'";
    if (!form_action_origin.empty()) form_action += " " + form_action_origin;
    response.headers = {
        {"Content-Security-Policy", "default-src 'none'; style-src " + hash +
                                        "; form-action " + form_action +
                                        "; frame-ancestors 'none'; base-uri 'none'"},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        // same-origin, not no-referrer: under no-referrer browsers send
        // "Origin: null" with the form post, and the Origin check refuses it.
        {"Referrer-Policy", "same-origin"},
        {"Cache-Control", "no-store"},
    };
    return response;
}

std::string hidden(std::string_view name, std::string_view value) {
    return "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" + html_escape(value) + "\">";
}

// The first character (a whole UTF-8 sequence) of a name, for the avatar.
std::string initial(std::string_view name) {
    if (name.empty()) return "?";
    std::size_t length = 1;
    const auto lead = static_cast<unsigned char>(name[0]);
    if (lead >= 0xf0) length = 4;
    else if (lead >= 0xe0) length = 3;
    else if (lead >= 0xc0) length = 2;
    return std::string(name.substr(0, length));
}

std::string who(std::string_view user_name, std::string_view screen_name) {
    return "<div class=\"who\"><div class=\"avatar\" aria-hidden=\"true\">" + html_escape(initial(user_name)) +
           "</div><div><div id=\"user-name\">" + html_escape(user_name) +
           "</div><div class=\"muted\" id=\"screen-name\">@" + html_escape(screen_name) + "</div></div></div>\n";
}

// The two forms both consent pages share: same ids, buttons and labels.
std::string decision_forms(std::string_view action, const std::string& fields) {
    const std::string target = html_escape(action);
    return "<div class=\"actions\">\n<form method=\"post\" action=\"" + target + "\" id=\"oauth_form\">" + fields +
           "<button type=\"submit\" id=\"allow\">Authorize app</button></form>\n" +
           "<form method=\"post\" action=\"" + target + "\" id=\"cancel_form\">" + fields + hidden("cancel", "1") +
           "<button type=\"submit\" id=\"cancel\">Cancel</button></form>\n</div>\n"
           "<p class=\"muted\">perch-emulator: a local stand-in for X. Nothing here reaches the real service.</p>\n";
}

// What X's consent screen says each scope allows; other scopes show their name only.
std::string_view scope_description(std::string_view scope) {
    if (scope == "tweet.read") return "All the posts you can view, including posts from protected accounts.";
    if (scope == "users.read") return "Any account you can view, including protected accounts.";
    if (scope == "users.email") return "The email address of your account.";
    if (scope == "offline.access") return "Stay connected to your account until you revoke access.";
    return {};
}

}  // namespace

EmuResponse consent_page(const ConsentPage& page) {
    const std::string fields = hidden("authenticity_token", page.csrf) + hidden("oauth_token", page.oauth_token);
    std::string content;
    content += "<h1>Authorize " + html_escape(page.app_name) + " to access your account?</h1>\n";
    content += who(page.user_name, page.screen_name);
    content += "<p>This application will be able to read your profile information and see your email address.</p>\n";
    content += decision_forms("/oauth/authorize", fields);
    return html_page(200, "Authorize application", content, page.callback_origin);
}

EmuResponse oauth2_consent_page(const OAuth2ConsentPage& page) {
    const std::string fields = hidden("authenticity_token", page.csrf) + hidden("request_id", page.request_id);
    std::string content;
    content += "<h1>" + html_escape(page.app_name) + " wants to access your X account.</h1>\n";
    content += who(page.user_name, page.screen_name);
    content += "<p>Things this App can view and do:</p>\n<ul id=\"scopes\">\n";
    for (const std::string& scope : page.scopes) {
        const std::string_view description = scope_description(scope);
        content += "<li data-scope=\"" + html_escape(scope) + "\"><code>" + html_escape(scope) + "</code>" +
                   (description.empty() ? "" : " " + html_escape(description)) + "</li>\n";
    }
    content += "</ul>\n";
    content += decision_forms("/i/oauth2/authorize", fields);
    return html_page(200, "Authorize app", content, page.redirect_origin);
}

std::optional<EmuResponse> refuse_consent_post(const EmuRequest& request) {
    const std::string origin = request.header("origin");
    if (!origin.empty() && origin != "http://" + request.header("host"))
        return error_page(403, "Forbidden", "This form was posted from another site.",
                          "authorize decision with a foreign Origin");
    if (!is_form_content_type(request.header("content-type")))
        return error_page(400, "Bad request", "The form must be sent as application/x-www-form-urlencoded.",
                          "authorize decision without a form body");
    return std::nullopt;
}

EmuResponse pin_page(std::string_view app_name, std::string_view verifier) {
    std::string content = "<h1>You've granted access to " + html_escape(app_name) + "!</h1>\n"
                          "<p>Next, return to " + html_escape(app_name) +
                          " and enter this PIN to complete the authorization process:</p>\n"
                          "<p class=\"pin\" id=\"oauth_pin\"><code>" + html_escape(verifier) + "</code></p>\n";
    return html_page(200, "Authorization PIN", content, {});
}

EmuResponse error_page(int status, std::string_view title, std::string_view message,
                       std::string reason) {
    std::string content = "<h1>" + html_escape(title) + "</h1>\n<p id=\"error\">" + html_escape(message) + "</p>\n";
    EmuResponse response = html_page(status, title, content, {});
    response.reason = std::move(reason);
    return response;
}

EmuResponse redirect_to(std::string location) {
    EmuResponse response;
    response.status = 302;
    response.content_type = "text/html; charset=utf-8";
    response.body = "<!doctype html><title>Redirecting</title><a href=\"" + html_escape(location) +
                    "\">Continue</a>\n";
    response.headers = {{"Location", std::move(location)},
                        {"Cache-Control", "no-store"},
                        {"Referrer-Policy", "no-referrer"}};
    return response;
}

}  // namespace perch::emulator
