// Fixtures for the emulator's route tests: an Emulator on a fake clock, and
// helpers that walk the OAuth 1.0a and OAuth 2.0 flows through handle().
#pragma once

#include <memory>
#include <string>
#include <tuple>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "emulator/emulator.h"
#include "emulator/oauth2/oauth2_params.h"
#include "core/query.h"
#include "test_support.h"

namespace perch::emulator::testing {

using nlohmann::json;
using perch::Params;

inline constexpr const char* callback = "http://127.0.0.1:8080/signup/callback";
inline constexpr const char* form_type = "application/x-www-form-urlencoded";

inline EmulatorConfig test_config() {
    EmulatorConfig config;
    config.consumer_key = "ck-test";
    config.consumer_secret = "cs-test";
    return config;
}

inline std::string header(const EmuResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers)
        if (key == name) return value;
    return {};
}

// The value="..." following name="<name>" in an HTML form.
inline std::string form_value(const std::string& html, const std::string& name) {
    const std::string marker = "name=\"" + name + "\" value=\"";
    const auto start = html.find(marker);
    REQUIRE(start != std::string::npos);
    const auto from = start + marker.size();
    return html.substr(from, html.find('"', from) - from);
}

inline Params parse_form(const std::string& text) { return perch::parse_query(text).value(); }

inline std::string twitter_error_body(int code, const std::string& message) {
    return json{{"errors", json::array({json{{"code", code}, {"message", message}}})}}.dump();
}

struct Flow {
    EmulatorConfig config = test_config();
    FakeClock clock;
    CountingRandom random;
    std::unique_ptr<Emulator> emulator;
    int nonce = 0;

    Flow() { emulator = std::make_unique<Emulator>(config, clock, random); }
    explicit Flow(EmulatorConfig custom) : config(std::move(custom)) {
        emulator = std::make_unique<Emulator>(config, clock, random);
    }

    Signer signer() {
        Signer s;
        s.timestamp = clock.unix_now;
        s.nonce = "n" + std::to_string(++nonce);
        return s;
    }

    EmuResponse request_token(const std::string& cb = callback) {
        Signer s = signer();
        s.extra = {{"oauth_callback", cb}};
        const std::string url = std::string(base_url) + "/oauth/request_token";
        return emulator->handle(make_request("POST", "/oauth/request_token", {}, s.header("POST", url)));
    }

    EmuResponse consent(const std::string& token) {
        return emulator->handle(make_request("GET", "/oauth/authenticate", "oauth_token=" + token));
    }

    EmuResponse decide(const std::string& token, const std::string& csrf, bool allow) {
        std::string body = "authenticity_token=" + csrf + "&oauth_token=" + token;
        if (!allow) body += "&cancel=1";
        return emulator->handle(make_request("POST", "/oauth/authorize", {}, {}, body, form_type));
    }

    EmuResponse access_token(const std::string& token, const std::string& secret, const std::string& verifier) {
        Signer s = signer();
        s.token = token;
        s.token_secret = secret;
        s.extra = {{"oauth_verifier", verifier}};
        const std::string url = std::string(base_url) + "/oauth/access_token";
        return emulator->handle(make_request("POST", "/oauth/access_token", {}, s.header("POST", url)));
    }

    EmuResponse verify_credentials(const std::string& token, const std::string& secret, const std::string& query) {
        Signer s = signer();
        s.token = token;
        s.token_secret = secret;
        const std::string url = std::string(base_url) + "/1.1/account/verify_credentials.json";
        return emulator->handle(make_request("GET", "/1.1/account/verify_credentials.json", query,
                                             s.header("GET", url, parse_form(query))));
    }

    // Request token -> consent page -> Authorize; returns {token, secret, verifier}.
    std::tuple<std::string, std::string, std::string> authorize() {
        const Params issued = parse_form(request_token().body);
        const std::string token = *perch::find_param(issued, "oauth_token");
        const std::string secret = *perch::find_param(issued, "oauth_token_secret");
        const EmuResponse page = consent(token);
        const EmuResponse redirect = decide(token, form_value(page.body, "authenticity_token"), true);
        const std::string location = header(redirect, "Location");
        const Params back = parse_form(location.substr(location.find('?') + 1));
        return {token, secret, *perch::find_param(back, "oauth_verifier")};
    }
};


// RFC 7636 Appendix B's verifier and challenge.
inline constexpr const char* pkce_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
inline constexpr const char* pkce_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
inline constexpr const char* redirect_uri = "http://127.0.0.1:8080/signup/callback";
inline constexpr const char* client_id = "perch-client";
inline constexpr const char* client_secret = "perch-secret";

// Query parameters of a Location header.
inline Params location_params(const EmuResponse& redirect) {
    const std::string location = header(redirect, "Location");
    const auto question = location.find('?');
    REQUIRE(question != std::string::npos);
    return parse_form(location.substr(question + 1));
}

inline std::string param(const Params& params, const std::string& name) {
    const auto value = perch::find_param(params, name);
    REQUIRE(value.has_value());
    return *value;
}

// "Basic base64(user:password)".
inline std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + perch::base64_encode(user + ":" + password);
}

inline EmulatorConfig oauth2_config(bool confidential = true) {
    EmulatorConfig config = test_config();
    config.client_id = client_id;
    if (confidential) config.client_secret = client_secret;
    config.allowed_redirects = {redirect_uri};
    return config;
}

// The OAuth 2.0 flow through Emulator::handle.
struct OAuth2Flow {
    EmulatorConfig config;
    FakeClock clock;
    CountingRandom random;
    std::unique_ptr<Emulator> emulator;

    explicit OAuth2Flow(EmulatorConfig custom = oauth2_config()) : config(std::move(custom)) {
        emulator = std::make_unique<Emulator>(config, clock, random);
    }

    static Params authorize_params(const std::string& scope = "tweet.read users.read offline.access",
                                   const std::string& state = "state-123") {
        return {{"response_type", "code"},   {"client_id", client_id},       {"redirect_uri", redirect_uri},
                {"scope", scope},           {"state", state},               {"code_challenge", pkce_challenge},
                {"code_challenge_method", "S256"}};
    }

    EmuResponse authorize(const Params& params = authorize_params()) {
        return emulator->handle(make_request("GET", "/i/oauth2/authorize", perch::format_query(params)));
    }

    EmuResponse decide(const EmuResponse& page, bool allow) {
        std::string body = "authenticity_token=" + form_value(page.body, "authenticity_token") +
                           "&request_id=" + form_value(page.body, "request_id");
        if (!allow) body += "&cancel=1";
        return emulator->handle(make_request("POST", "/i/oauth2/authorize", {}, {}, body, form_type));
    }

    // authorize -> consent page -> Authorize app; returns the code.
    std::string code(const std::string& scope = "tweet.read users.read offline.access") {
        const EmuResponse page = authorize(authorize_params(scope));
        REQUIRE(page.status == 200);
        const EmuResponse redirect = decide(page, true);
        REQUIRE(redirect.status == 302);
        return param(location_params(redirect), "code");
    }

    // POST /2/oauth2/token with `form`, authenticated the way the config's client does.
    EmuResponse token(const Params& form, const std::string& authorization = "default") {
        std::string auth = authorization;
        if (auth == "default") auth = config.confidential_client() ? basic(client_id, client_secret) : "";
        return emulator->handle(
            make_request("POST", "/2/oauth2/token", {}, auth, perch::format_query(form), form_type));
    }

    EmuResponse exchange(const std::string& code, const std::string& verifier = pkce_verifier) {
        Params form{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri},
                    {"code_verifier", verifier}};
        if (!config.confidential_client()) form.push_back({"client_id", client_id});
        return token(form);
    }

    EmuResponse refresh(const std::string& refresh_token) {
        Params form{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}};
        if (!config.confidential_client()) form.push_back({"client_id", client_id});
        return token(form);
    }

    EmuResponse users_me(const std::string& access_token, const std::string& query = {}) {
        return emulator->handle(make_request("GET", "/2/users/me", query, "Bearer " + access_token));
    }

    // A fresh access token for `scope`.
    std::string access_token(const std::string& scope = "tweet.read users.read offline.access") {
        const EmuResponse answer = exchange(code(scope));
        REQUIRE(answer.status == 200);
        return json::parse(answer.body).at("access_token").get<std::string>();
    }
};

}  // namespace perch::emulator::testing
