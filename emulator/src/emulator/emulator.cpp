#include "emulator/emulator.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "emulator/callback_url.h"
#include "emulator/consent_page.h"
#include "core/query.h"
#include "emulator/twitter_error.h"
#include "emulator/users_me.h"

namespace perch::emulator {
namespace {

constexpr std::size_t max_reason_length = 512;

EmuResponse form_response(const Params& params) {
    EmuResponse response;
    // Twitter labels these form-encoded answers text/html.
    response.content_type = "text/html; charset=utf-8";
    response.body = format_query(params);
    return response;
}

// Host header characters we accept: a DNS name or IP literal and a port.
bool is_plain_host(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    for (char c : host) {
        const bool fine = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        if (!fine) return false;
    }
    return true;
}

// Reasons can quote client input; keep them to one printable line.
std::string printable(std::string text) {
    if (text.size() > max_reason_length) text.resize(max_reason_length);
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return text;
}

EmuResponse control_error(int status, std::string message) {
    EmuResponse response;
    response.status = status;
    response.body = nlohmann::json{{"error", message}}.dump();
    response.reason = std::move(message);
    return response;
}

nlohmann::json describe(const FaultPlan& plan) {
    return {{"mode", to_string(plan.mode)},
            {"on", to_string(plan.on)},
            {"slow_ms", plan.slow.count()}};
}

}  // namespace

const Emulator::Route Emulator::routes_[] = {
    {"POST", "/oauth/request_token", &Emulator::request_token, FaultEndpoint::request_token},
    {"GET", "/oauth/authenticate", &Emulator::authorize_page, FaultEndpoint::all},
    {"GET", "/oauth/authorize", &Emulator::authorize_page, FaultEndpoint::all},
    {"POST", "/oauth/authorize", &Emulator::authorize_decision, FaultEndpoint::all},
    {"POST", "/oauth/access_token", &Emulator::access_token, FaultEndpoint::access_token},
    {"GET", "/1.1/account/verify_credentials.json", &Emulator::verify_credentials,
     FaultEndpoint::verify_credentials},
    {"GET", "/i/oauth2/authorize", &Emulator::oauth2_authorize_page, FaultEndpoint::all},
    {"POST", "/i/oauth2/authorize", &Emulator::oauth2_authorize_decision, FaultEndpoint::all},
    {"POST", "/2/oauth2/token", &Emulator::oauth2_token, FaultEndpoint::token},
    {"GET", "/2/users/me", &Emulator::users_me, FaultEndpoint::users_me},
    {"GET", "/__emulator/fault", &Emulator::fault_control, FaultEndpoint::all},
    {"POST", "/__emulator/fault", &Emulator::fault_control, FaultEndpoint::all},
    {"GET", "/__emulator/calls", &Emulator::calls_report, FaultEndpoint::all},
};

Emulator::Emulator(const EmulatorConfig& config, const Clock& clock, RandomSource& random)
    : config_(config),
      clock_(clock),
      nonces_(config.timestamp_window_s, 500000),
      tokens_(clock, random, TokenStoreLimits{config.request_token_ttl, 200000, 200000}),
      verifier_(VerifierSettings{config.consumer_key, config.consumer_secret,
                                 config.timestamp_window_s, config.strict,
                                 config.explain_signatures, !config.replay_nonces},
                clock, nonces_),
      oauth2_store_(clock, random,
                    OAuth2Limits{config.request_token_ttl, config.code_ttl, config.access_token_ttl, 200000}),
      authorize_(config, oauth2_store_),
      token_(config, oauth2_store_),
      faults_(config.fault) {}

EmuResponse Emulator::handle(const EmuRequest& request) {
    EmuResponse response;
    const Route* route = nullptr;
    for (const Route& candidate : routes_)
        if (candidate.method == request.method && candidate.path == request.path) route = &candidate;

    if (route == nullptr) {
        response = twitter_error(404, TwitterCode::page_not_found, "no such route");
    } else {
        if (route->fault_endpoint != FaultEndpoint::all) ++calls_[static_cast<std::size_t>(route->fault_endpoint)];
        const FaultPlan plan = faults_.get();
        if (plan.applies_to(route->fault_endpoint) && plan.mode != FaultMode::slow) {
            response = fault_response(plan.mode, route->fault_endpoint, clock_.unix_seconds());
        } else {
            response = (this->*(route->handler))(request);
            if (plan.applies_to(route->fault_endpoint)) response.delay = plan.slow;
        }
    }
    response.reason = printable(std::move(response.reason));
    return response;
}

std::variant<OAuthRequest, EmuResponse> Emulator::oauth_request(const EmuRequest& request) const {
    const std::string host = request.header("host");
    if (request.header_count("host") != 1 || !is_plain_host(host))
        return twitter_error(400, TwitterCode::bad_authentication_data,
                             "missing, repeated or unusable Host header");
    OAuthRequest oauth;
    oauth.method = request.method;
    // The URL as the client addressed it: what it must have signed.
    oauth.url = "http://" + host + request.path;
    oauth.query = request.query;
    oauth.content_type = request.header("content-type");
    oauth.body = request.body;
    oauth.authorization = request.header("authorization");
    oauth.authorization_count = request.header_count("authorization");
    return oauth;
}

EmuResponse Emulator::request_token(const EmuRequest& request) {
    auto oauth = oauth_request(request);
    if (auto* failed = std::get_if<EmuResponse>(&oauth)) return *failed;
    auto verified = verifier_.verify(std::get<OAuthRequest>(oauth), TokenKind::none,
                                     [](const std::string&) { return TokenProblem::unknown; });
    if (auto* failure = std::get_if<OAuthFailure>(&verified)) {
        EmuResponse response = twitter_error(failure->status, failure->code, failure->reason);
        if (failure->strict_violation) {
            // Twitter's shape, plus a field that says plainly what went wrong.
            auto body = nlohmann::json::parse(response.body);
            body["perch_emulator"] = failure->reason;
            response.body = body.dump();
        }
        return response;
    }
    const VerifiedRequest& ok = std::get<VerifiedRequest>(verified);

    const auto callback = ok.protocol_value("oauth_callback", config_.strict);
    if (!callback)
        return twitter_error(403, TwitterCode::desktop_only_oob, "oauth_callback missing");
    switch (check_callback(*callback, config_.allowed_callbacks)) {
        case CallbackCheck::malformed:
            return twitter_error(403, TwitterCode::desktop_only_oob,
                                 "oauth_callback is neither \"oob\" nor an absolute http(s) URL");
        case CallbackCheck::not_approved:
            return twitter_error(403, TwitterCode::callback_not_approved,
                                 "oauth_callback is not in --allowed-callback");
        case CallbackCheck::ok: break;
    }
    const RequestTokenRecord record = tokens_.issue_request_token(*callback);
    return form_response({{"oauth_token", record.token},
                          {"oauth_token_secret", record.secret},
                          {"oauth_callback_confirmed", "true"}});
}

EmuResponse Emulator::authorize_page(const EmuRequest& request) {
    auto query = parse_query(request.query);
    if (!query || count_params(query.value(), "oauth_token") != 1)
        return error_page(400, "Missing request token",
                          "This link needs exactly one oauth_token parameter.",
                          "authorize page without a single oauth_token");
    const std::string token = *find_param(query.value(), "oauth_token");
    auto found = tokens_.find_pending(token);
    if (auto* problem = std::get_if<TokenProblem>(&found)) {
        if (*problem == TokenProblem::unknown)
            return error_page(404, "Invalid request token",
                              "This request token is not known. Start signing in again from the app.",
                              "authorize page: unknown token");
        return error_page(410, "This page is no longer valid",
                          "This request token has expired or was already used. Start signing in "
                          "again from the app.",
                          "authorize page: " + std::string(to_string(*problem)));
    }
    const RequestTokenRecord& record = std::get<RequestTokenRecord>(found);
    if (config_.fast && request.path == "/oauth/authenticate") return approve_at_once(record);
    ConsentPage page;
    page.app_name = config_.app_name;
    page.user_name = config_.user.value("name", "");
    page.screen_name = config_.user.value("screen_name", "");
    page.oauth_token = record.token;
    page.csrf = record.csrf;
    page.callback_origin = callback_origin(record.callback);
    return consent_page(page);
}

EmuResponse Emulator::approve_at_once(const RequestTokenRecord& pending) {
    // The same state change as pressing "Authorize app" on the consent page.
    auto decided = tokens_.decide(pending.token, pending.csrf, true);
    if (auto* problem = std::get_if<TokenProblem>(&decided))
        return error_page(410, "This page is no longer valid",
                          "This request token has expired or was already used.",
                          "authenticate (fast): " + std::string(to_string(*problem)));
    const RequestTokenRecord& record = std::get<RequestTokenRecord>(decided);
    if (record.callback == "oob") return pin_page(config_.app_name, record.verifier);
    return redirect_to(callback_redirect(
        record.callback, {{"oauth_token", record.token}, {"oauth_verifier", record.verifier}}));
}

EmuResponse Emulator::authorize_decision(const EmuRequest& request) {
    if (auto refused = refuse_consent_post(request)) return *refused;
    auto form = parse_query(request.body);
    if (!form || count_params(form.value(), "oauth_token") != 1 ||
        count_params(form.value(), "authenticity_token") != 1 || count_params(form.value(), "cancel") > 1)
        return error_page(400, "Bad request", "The form is incomplete.",
                          "authorize decision with missing or repeated fields");
    const std::string token = *find_param(form.value(), "oauth_token");
    const bool allow = count_params(form.value(), "cancel") == 0;

    auto decided = tokens_.decide(token, *find_param(form.value(), "authenticity_token"), allow);
    if (auto* problem = std::get_if<TokenProblem>(&decided)) {
        switch (*problem) {
            case TokenProblem::bad_csrf:
                return error_page(403, "Forbidden", "This form is not valid for this request token.",
                                  "authorize decision: authenticity_token mismatch");
            case TokenProblem::unknown:
                return error_page(404, "Invalid request token", "This request token is not known.",
                                  "authorize decision: unknown token");
            default:
                return error_page(410, "This page is no longer valid",
                                  "This request token has expired or was already used.",
                                  "authorize decision: " + std::string(to_string(*problem)));
        }
    }
    const RequestTokenRecord& record = std::get<RequestTokenRecord>(decided);
    if (record.callback == "oob") {
        if (allow) return pin_page(config_.app_name, record.verifier);
        return error_page(200, "Authorization cancelled",
                          "You did not authorize the app. You can close this page.", "oob flow cancelled");
    }
    if (allow)
        return redirect_to(callback_redirect(
            record.callback, {{"oauth_token", record.token}, {"oauth_verifier", record.verifier}}));
    return redirect_to(callback_redirect(record.callback, {{"denied", record.token}}));
}

EmuResponse Emulator::access_token(const EmuRequest& request) {
    auto oauth = oauth_request(request);
    if (auto* failed = std::get_if<EmuResponse>(&oauth)) return *failed;
    auto verified = verifier_.verify(std::get<OAuthRequest>(oauth), TokenKind::request_token,
                                     [this](const std::string& token) {
                                         return tokens_.request_token_secret(token);
                                     });
    if (auto* failure = std::get_if<OAuthFailure>(&verified))
        return twitter_error(failure->status, failure->code, failure->reason);
    const VerifiedRequest& ok = std::get<VerifiedRequest>(verified);

    const auto verifier = ok.protocol_value("oauth_verifier", config_.strict);
    const std::string user_id = config_.user.value("id_str", "");
    const std::string screen_name = config_.user.value("screen_name", "");
    auto exchanged = tokens_.exchange(ok.token, verifier.value_or(""), user_id, screen_name);
    if (auto* problem = std::get_if<TokenProblem>(&exchanged)) {
        if (*problem == TokenProblem::not_authorized || *problem == TokenProblem::bad_verifier)
            return invalid_verifier_error(std::string(to_string(*problem)) +
                                          (verifier ? "" : " (no oauth_verifier sent)"));
        return twitter_error(401, TwitterCode::invalid_token,
                             "access_token: " + std::string(to_string(*problem)));
    }
    const AccessTokenRecord& access = std::get<AccessTokenRecord>(exchanged);
    return form_response({{"oauth_token", access.token},
                          {"oauth_token_secret", access.secret},
                          {"user_id", access.user_id},
                          {"screen_name", access.screen_name}});
}

std::variant<VerifiedRequest, OAuthFailure> Emulator::user_context(const EmuRequest& request) {
    auto oauth = oauth_request(request);
    if (auto* failed = std::get_if<EmuResponse>(&oauth))
        return OAuthFailure{failed->status, TwitterCode::bad_authentication_data, failed->reason};
    return verifier_.verify(std::get<OAuthRequest>(oauth), TokenKind::access_token,
                            [this](const std::string& token) -> TokenResult<std::string> {
                                if (auto access = tokens_.find_access_token(token)) return access->secret;
                                return TokenProblem::unknown;
                            });
}

EmuResponse Emulator::verify_credentials(const EmuRequest& request) {
    auto verified = user_context(request);
    if (auto* failure = std::get_if<OAuthFailure>(&verified))
        return twitter_error(failure->status, failure->code, failure->reason);
    if (config_.tier == AccessTier::free)
        return twitter_error(403, TwitterCode::limited_v1_access, "--tier free: v1.1 verify_credentials is not included");
    const VerifiedRequest& ok = std::get<VerifiedRequest>(verified);

    VerifyCredentialsOptions options;
    if (auto value = find_param(ok.parameters, "include_email")) options.include_email = twitter_true(*value);
    if (auto value = find_param(ok.parameters, "skip_status")) options.skip_status = twitter_true(*value);
    if (auto value = find_param(ok.parameters, "include_entities"))
        options.include_entities = twitter_true(*value);
    EmuResponse response;
    response.body = render_verify_credentials(config_.user, options);
    return response;
}

EmuResponse Emulator::users_me(const EmuRequest& request) {
    UsersMeCaller caller;
    const std::string authorization = request.header("authorization");
    const auto bearer = parse_bearer_authorization(authorization);
    if (request.header_count("authorization") > 1) return x_unauthorized("users/me: repeated Authorization header");
    if (bearer) {
        auto grant = oauth2_store_.find_access_token(*bearer);
        if (auto* problem = std::get_if<TokenProblem>(&grant))
            return x_unauthorized("users/me: bearer token " + std::string(to_string(*problem)));
        caller.scopes = std::get<AccessGrant>(grant).scopes;
    } else if (!authorization.empty()) {
        // OAuth 1.0a user context: the proxy's fallback when v1.1 is not available.
        auto verified = user_context(request);
        if (auto* failure = std::get_if<OAuthFailure>(&verified))
            return x_unauthorized("users/me (OAuth 1.0a): " + failure->reason);
        caller.oauth1 = true;
    } else {
        return x_unauthorized("users/me without an Authorization header");
    }
    auto query = parse_users_me_query(request.query);
    if (auto* refused = std::get_if<EmuResponse>(&query)) return *refused;
    return users_me_response(config_.user, std::get<UsersMeQuery>(query), caller);
}

std::optional<EmuResponse> Emulator::refuse_control(const EmuRequest& request) const {
    if (!config_.control) return twitter_error(404, TwitterCode::page_not_found, "control endpoint disabled");
    if (!is_loopback_address(request.remote_addr))
        return control_error(403, "the control endpoint answers loopback clients only");
    // Browsers send Origin on cross-site posts; test clients do not.
    if (!request.header("origin").empty())
        return control_error(403, "the control endpoint refuses browser requests (Origin header present)");
    return std::nullopt;
}

EmuResponse Emulator::calls_report(const EmuRequest& request) {
    if (auto refused = refuse_control(request)) return *refused;
    EmuResponse response;
    nlohmann::json counts = nlohmann::json::object();
    for (std::size_t i = 0; i < calls_.size(); ++i) {
        counts[std::string(to_string(static_cast<FaultEndpoint>(i)))] = calls_[i].load();
    }
    response.body = counts.dump();
    return response;
}

EmuResponse Emulator::fault_control(const EmuRequest& request) {
    if (auto refused = refuse_control(request)) return *refused;
    if (request.method == "GET") {
        EmuResponse response;
        response.body = describe(faults_.get()).dump();
        return response;
    }

    auto form = parse_query(request.body);
    if (!form) return control_error(400, "body must be form-encoded: mode=...&on=...&slow_ms=...");
    FaultPlan plan = faults_.get();
    for (const Param& param : form.value()) {
        if (param.name == "mode") {
            auto mode = parse_fault_mode(param.value);
            if (!mode) return control_error(400, "mode must be one of " + fault_mode_names());
            plan.mode = *mode;
        } else if (param.name == "on") {
            auto on = parse_fault_endpoint(param.value);
            if (!on) return control_error(400, "on must be one of " + fault_endpoint_names());
            plan.on = *on;
        } else if (param.name == "slow_ms") {
            const std::string& text = param.value;
            if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos)
                return control_error(400, "slow_ms must be a whole number of milliseconds");
            plan.slow = std::chrono::milliseconds(std::stoll(text));
            if (plan.slow > max_slow) return control_error(400, "slow_ms must be at most 600000");
        } else {
            return control_error(400, "unknown field '" + param.name + "'");
        }
    }
    faults_.set(plan);
    EmuResponse response;
    response.body = describe(plan).dump();
    return response;
}

bool is_loopback_address(std::string_view address) {
    if (address == "::1") return true;
    if (address.substr(0, 7) == "::ffff:") address.remove_prefix(7);
    return address.substr(0, 4) == "127.";
}

}  // namespace perch::emulator
