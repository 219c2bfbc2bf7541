#include "emulator/oauth2/oauth2_token.h"

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/constant_time.h"
#include "emulator/oauth_verifier.h"
#include "emulator/twitter_error.h"

namespace perch::emulator {
namespace {

EmuResponse invalid_request(std::string description) {
    std::string reason = "token: " + description;
    return oauth2_error(400, "invalid_request", description, std::move(reason));
}

// X's wording for a missing parameter.
EmuResponse missing(const char* name) {
    return invalid_request("Missing required parameter [" + std::string(name) + "].");
}

}  // namespace

EmuResponse token_response(const TokenGrant& grant) {
    nlohmann::ordered_json body;
    body["token_type"] = "bearer";
    body["expires_in"] = grant.expires_in.count();
    body["access_token"] = grant.access_token;
    body["scope"] = join_scopes(grant.scopes);
    if (!grant.refresh_token.empty()) body["refresh_token"] = grant.refresh_token;
    EmuResponse response;
    response.body = body.dump();
    response.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
    return response;
}

EmuResponse TokenEndpoint::handle(const EmuRequest& request) {
    if (!is_form_content_type(request.header("content-type")))
        return invalid_request("The request body must be application/x-www-form-urlencoded.");
    auto form = parse_query(request.body);
    if (!form) return invalid_request("The request body is not valid form encoding.");
    for (const Param& param : form.value())
        if (count_params(form.value(), param.name) > 1)
            return invalid_request("Parameter [" + printable_excerpt(param.name) + "] is repeated.");
    if (auto refused = authenticate(request, form.value())) return *refused;

    const auto grant_type = find_param(form.value(), "grant_type");
    if (!grant_type) return missing("grant_type");
    if (*grant_type == "authorization_code") return authorization_code(form.value());
    if (*grant_type == "refresh_token") return refresh_token(form.value());
    return oauth2_error(400, "unsupported_grant_type", "Value passed for the grant type was invalid.",
                        "token: unsupported grant_type");
}

std::optional<EmuResponse> TokenEndpoint::authenticate(const EmuRequest& request, const Params& form) const {
    if (config_.client_id.empty()) return client_refused("no OAuth 2.0 client is registered (--client-id)");
    if (find_param(form, "client_secret"))
        return client_refused("client_secret in the body: X takes it in HTTP Basic only");
    const auto body_id = find_param(form, "client_id");
    if (body_id && *body_id != config_.client_id) return client_refused("unknown client_id in the body");

    const std::size_t headers = request.header_count("authorization");
    if (headers > 1) return client_refused("repeated Authorization header");
    if (!config_.confidential_client()) {
        if (headers != 0) return client_refused("a public client sends no Authorization header");
        if (!body_id) return client_refused("a public client must send client_id in the body");
        return std::nullopt;
    }
    if (headers == 0) return client_refused("a confidential client must use HTTP Basic");
    const auto basic = parse_basic_authorization(request.header("authorization"));
    if (!basic) return client_refused("Authorization is not valid HTTP Basic");
    if (basic->user != config_.client_id) return client_refused("HTTP Basic names an unknown client_id");
    if (basic->password.empty() || !constant_time_equal(basic->password, config_.client_secret))
        return client_refused("wrong client secret");
    return std::nullopt;
}

EmuResponse TokenEndpoint::authorization_code(const Params& form) {
    const auto code = find_param(form, "code");
    if (!code) return missing("code");
    const auto redirect_uri = find_param(form, "redirect_uri");
    if (!redirect_uri) return missing("redirect_uri");
    const auto verifier = find_param(form, "code_verifier");
    if (!verifier) return missing("code_verifier");
    if (!is_code_verifier(*verifier))
        return invalid_request("Value passed for the code verifier must be 43 to 128 unreserved characters.");
    auto redeemed = store_.redeem_code(*code, *redirect_uri, *verifier);
    if (auto* problem = std::get_if<GrantProblem>(&redeemed)) return grant_refused(*problem);
    return token_response(std::get<TokenGrant>(redeemed));
}

EmuResponse TokenEndpoint::refresh_token(const Params& form) {
    const auto token = find_param(form, "refresh_token");
    if (!token) return missing("refresh_token");
    std::optional<Scopes> narrower;
    if (auto scope = find_param(form, "scope")) {
        auto parsed = parse_scopes(*scope);
        if (std::holds_alternative<ScopeError>(parsed))
            return oauth2_error(400, "invalid_scope", "Value passed for the scope was invalid.",
                                "token: unknown scope in a refresh");
        narrower = std::get<Scopes>(std::move(parsed));
    }
    auto refreshed = store_.refresh(*token, narrower);
    if (auto* problem = std::get_if<GrantProblem>(&refreshed)) return grant_refused(*problem);
    return token_response(std::get<TokenGrant>(refreshed));
}

EmuResponse TokenEndpoint::client_refused(std::string reason) const {
    reason = "token: " + reason;
    if (config_.token_errors == TokenErrorDialect::x)
        return oauth2_error(401, "unauthorized_client", "Missing valid authorization header", std::move(reason));
    return oauth2_error(401, "invalid_client", "Client authentication failed.", std::move(reason));
}

EmuResponse TokenEndpoint::grant_refused(GrantProblem problem) const {
    std::string reason = "token: " + std::string(to_string(problem));
    if (problem == GrantProblem::scope_widened)
        return oauth2_error(400, "invalid_scope", "Value passed for the scope was invalid.", std::move(reason));
    const char* description = "Value passed for the authorization code was invalid.";
    if (problem == GrantProblem::pkce_mismatch)
        description = "Value passed for the code verifier did not match the code challenge.";
    else if (problem == GrantProblem::redirect_mismatch)
        description = "Value passed for the redirect uri did not match the uri of the authorization code.";
    else if (problem == GrantProblem::unknown_refresh_token)
        description = "Value passed for the token was invalid.";
    const char* error = config_.token_errors == TokenErrorDialect::x ? "invalid_request" : "invalid_grant";
    return oauth2_error(400, error, description, std::move(reason));
}

}  // namespace perch::emulator
