#include "emulator/oauth2/oauth2_authorize.h"

#include <utility>

#include "emulator/callback_url.h"
#include "emulator/consent_page.h"
#include "core/query.h"

namespace perch::emulator {
namespace {

constexpr const char* names[] = {"response_type", "client_id",      "redirect_uri",         "scope",
                                 "state",         "code_challenge", "code_challenge_method"};

AuthorizeRefusal page_refusal(std::string reason) {
    // X's words when it cannot trust the app's request enough to send the user back.
    return AuthorizeRefusal{false, {}, std::nullopt, "invalid_request",
                            "Something went wrong. You weren't able to give access to the App. Go back and try "
                            "logging in again.",
                            std::move(reason)};
}

// The checks after client_id and redirect_uri: their refusals go back to the app.
std::variant<AuthorizeParams, AuthorizeRefusal> check_redirected_params(const Params& query,
                                                                        AuthorizeParams params) {
    AuthorizeRefusal refusal{true, params.redirect_uri, std::nullopt, "invalid_request", {}, {}};
    if (count_params(query, "state") == 1) refusal.state = find_param(query, "state");
    auto refuse = [&](std::string error, std::string description) {
        refusal.error = std::move(error);
        refusal.reason = "authorize: " + description;
        refusal.description = std::move(description);
        return refusal;
    };
    for (const char* name : names)
        if (count_params(query, name) > 1) return refuse("invalid_request", std::string(name) + " is repeated");

    const auto response_type = find_param(query, "response_type");
    if (!response_type) return refuse("invalid_request", "response_type is required");
    if (*response_type != "code") return refuse("unsupported_response_type", "response_type must be code");

    params.state = find_param(query, "state").value_or("");
    if (params.state.empty()) return refuse("invalid_request", "state is required");
    if (params.state.size() > max_state_length)
        return refuse("invalid_request", "state must be at most 500 characters");

    const auto scope = find_param(query, "scope");
    if (!scope) return refuse("invalid_request", "scope is required");
    auto scopes = parse_scopes(*scope);
    if (auto* unknown = std::get_if<ScopeError>(&scopes))
        return refuse("invalid_scope", "unknown scope '" + unknown->unknown + "'");
    params.scopes = std::move(std::get<Scopes>(scopes));
    if (params.scopes.empty()) return refuse("invalid_request", "scope is required");

    const auto challenge = find_param(query, "code_challenge");
    if (!challenge) return refuse("invalid_request", "code_challenge is required");
    if (find_param(query, "code_challenge_method").value_or("") != "S256")
        return refuse("invalid_request", "code_challenge_method must be S256");
    if (!is_s256_challenge(*challenge))
        return refuse("invalid_request", "code_challenge must be 43 characters of base64url (a SHA-256)");
    params.code_challenge = *challenge;
    return params;
}

EmuResponse refusal_response(const AuthorizeRefusal& refusal) {
    if (!refusal.redirect) return error_page(400, "Something went wrong", refusal.description, refusal.reason);
    Params back{{"error", refusal.error}, {"error_description", refusal.description}};
    if (refusal.state) back.push_back({"state", *refusal.state});
    EmuResponse response = redirect_to(callback_redirect(refusal.redirect_uri, back));
    response.reason = refusal.reason;
    return response;
}

}  // namespace

std::variant<AuthorizeParams, AuthorizeRefusal> check_authorize_request(std::string_view query_text,
                                                                        const EmulatorConfig& config) {
    auto query = parse_query(query_text);
    if (!query) return page_refusal("authorize: malformed query (" + query.error().message + ")");
    const Params& pairs = query.value();

    if (count_params(pairs, "client_id") != 1) return page_refusal("authorize: needs exactly one client_id");
    if (config.client_id.empty() || *find_param(pairs, "client_id") != config.client_id)
        return page_refusal("authorize: unknown client_id");
    if (count_params(pairs, "redirect_uri") != 1) return page_refusal("authorize: needs exactly one redirect_uri");
    AuthorizeParams params;
    params.redirect_uri = *find_param(pairs, "redirect_uri");
    if (!is_registered_redirect(params.redirect_uri, config.registered_redirects()))
        return page_refusal("authorize: redirect_uri is not registered (exact match)");
    return check_redirected_params(pairs, std::move(params));
}

EmuResponse AuthorizeEndpoint::page(const EmuRequest& request) {
    auto checked = check_authorize_request(request.query, config_);
    if (auto* refusal = std::get_if<AuthorizeRefusal>(&checked)) return refusal_response(*refusal);
    AuthorizeParams& params = std::get<AuthorizeParams>(checked);
    const AuthorizationRequest pending = store_.open_request(params.redirect_uri, std::move(params.state),
                                                             std::move(params.scopes), params.code_challenge);
    if (config_.fast) return decide(pending, pending.csrf, true);

    OAuth2ConsentPage page;
    page.app_name = config_.app_name;
    page.user_name = config_.user.value("name", "");
    page.screen_name = config_.user.value("screen_name", "");
    page.request_id = pending.id;
    page.csrf = pending.csrf;
    page.redirect_origin = callback_origin(pending.redirect_uri);
    page.scopes = pending.scopes;
    return oauth2_consent_page(page);
}

EmuResponse AuthorizeEndpoint::decision(const EmuRequest& request) {
    if (auto refused = refuse_consent_post(request)) return *refused;
    auto form = parse_query(request.body);
    if (!form || count_params(form.value(), "request_id") != 1 ||
        count_params(form.value(), "authenticity_token") != 1 || count_params(form.value(), "cancel") > 1)
        return error_page(400, "Bad request", "The form is incomplete.",
                          "oauth2 decision with missing or repeated fields");
    auto found = store_.find_request(*find_param(form.value(), "request_id"));
    if (auto* problem = std::get_if<TokenProblem>(&found)) {
        if (*problem == TokenProblem::unknown)
            return error_page(404, "Invalid request", "This authorization request is not known.",
                              "oauth2 decision: unknown request");
        return error_page(410, "This page is no longer valid",
                          "This authorization request has expired or was already answered. Start again from "
                          "the app.",
                          "oauth2 decision: " + std::string(to_string(*problem)));
    }
    return decide(std::get<AuthorizationRequest>(found), *find_param(form.value(), "authenticity_token"),
                  count_params(form.value(), "cancel") == 0);
}

EmuResponse AuthorizeEndpoint::decide(const AuthorizationRequest& request, const std::string& csrf, bool allow) {
    const std::string user_id = config_.user.value("id_str", "");
    auto decided = store_.decide(request.id, csrf, allow, granted(request.scopes), user_id);
    if (auto* problem = std::get_if<TokenProblem>(&decided)) {
        if (*problem == TokenProblem::bad_csrf)
            return error_page(403, "Forbidden", "This form is not valid for this authorization request.",
                              "oauth2 decision: authenticity_token mismatch");
        return error_page(410, "This page is no longer valid",
                          "This authorization request has expired or was already answered.",
                          "oauth2 decision: " + std::string(to_string(*problem)));
    }
    const AuthorizationDecision& decision = std::get<AuthorizationDecision>(decided);
    const Params back = allow ? Params{{"state", decision.request.state}, {"code", decision.code}}
                              : Params{{"error", "access_denied"}, {"state", decision.request.state}};
    return redirect_to(callback_redirect(decision.request.redirect_uri, back));
}

Scopes AuthorizeEndpoint::granted(const Scopes& requested) const {
    Scopes scopes;
    for (const std::string& scope : requested)
        if (!has_scope(config_.withheld_scopes, scope)) scopes.push_back(scope);
    return scopes;
}

}  // namespace perch::emulator
