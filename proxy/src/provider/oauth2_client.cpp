#include "provider/oauth2_client.h"

#include <algorithm>
#include <utility>

#include "base/crypto.h"
#include "core/json_input.h"
#include "core/percent_encoding.h"
#include "core/query.h"

namespace perch {
namespace {

constexpr std::size_t max_token_bytes = 4096;
constexpr std::size_t max_quoted = 200;
const char* const users_me_fields = "id,name,username,profile_image_url";

ProviderFailure fail(std::string message) { return ProviderFailure{ProviderFailure::Kind::error, std::move(message)}; }

// X's words for the operator's log: bounded, printable ASCII only.
std::string printable_excerpt(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, max_quoted)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

std::string string_member(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// RFC 6749's {"error","error_description"} or X's v2 {"title","detail"} /
// {"errors":[{...}]}: the error word and a description, both possibly empty.
std::pair<std::string, std::string> error_words(std::string_view body) {
    auto parsed = parse_json(body, JsonLimits{64 * 1024, 8});
    if (!parsed || !parsed.value().is_object()) return {};
    const nlohmann::json& json = parsed.value();
    if (json.contains("error")) return {string_member(json, "error"), string_member(json, "error_description")};
    const auto errors = json.find("errors");
    const nlohmann::json& first = errors != json.end() && errors->is_array() && !errors->empty() &&
                                          errors->front().is_object()
                                      ? errors->front()
                                      : json;
    std::string detail = string_member(first, "detail");
    if (detail.empty()) detail = string_member(first, "message");
    return {string_member(first, "title"), detail};
}

std::string describe(const IncomingResponse& response) {
    const auto [error, description] = error_words(response.body);
    std::string text = "X answered HTTP " + std::to_string(response.status);
    if (!error.empty()) text += " " + printable_excerpt(error);
    if (!description.empty()) text += ": " + printable_excerpt(description);
    return text;
}

// Failures common to every call: the transport, 429 and 5xx.
std::optional<ProviderFailure> common_failure(const TransportResult& sent, const char* step, std::int64_t now) {
    if (!sent) {
        const TransportError* error = &sent.error();
        if (error->failure == TransportFailure::timeout) {
            return ProviderFailure{ProviderFailure::Kind::timeout, std::string(step) + ": X timed out: " + error->message};
        }
        return fail(std::string(step) + ": cannot talk to X: " + error->message);
    }
    const auto& response = sent.value();
    if (response.status == 429) {
        ProviderFailure failure{ProviderFailure::Kind::rate_limited,
                                std::string(step) + ": X's rate limit (HTTP 429); the app is over its quota"};
        failure.retry_after_seconds = retry_after_from_reset(response.headers, now);
        return failure;
    }
    return std::nullopt;
}

bool printable_token(std::string_view text) {
    return !text.empty() && text.size() <= max_token_bytes &&
           std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Result<OAuth2Tokens> parse_tokens(std::string_view body, const std::string& requested_scopes, std::size_t max_bytes) {
    auto parsed = parse_json(body, JsonLimits{max_bytes, 8});
    if (!parsed) return parsed.error();
    const nlohmann::json& json = parsed.value();
    if (!json.is_object()) return Error{ErrorCode::invalid_json, "not a JSON object"};
    std::string type = string_member(json, "token_type");
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (type != "bearer") return Error{ErrorCode::invalid_field, "token_type is not bearer"};
    OAuth2Tokens tokens;
    tokens.access_token = string_member(json, "access_token");
    if (!printable_token(tokens.access_token)) return Error{ErrorCode::invalid_field, "no usable access_token"};
    if (json.contains("refresh_token")) {
        tokens.refresh_token = string_member(json, "refresh_token");
        if (!printable_token(tokens.refresh_token)) return Error{ErrorCode::invalid_field, "no usable refresh_token"};
    }
    if (const auto expires = json.find("expires_in"); expires != json.end()) {
        if (!expires->is_number_integer() || expires->get<std::int64_t>() < 0 ||
            expires->get<std::int64_t>() > 10LL * 365 * 24 * 3600) {
            return Error{ErrorCode::invalid_field, "expires_in is not a number of seconds"};
        }
        tokens.expires_in = expires->get<std::int64_t>();
    }
    // RFC 6749 section 5.1: no scope means the scopes asked for.
    tokens.scope = json.contains("scope") ? string_member(json, "scope") : requested_scopes;
    return tokens;
}

std::string basic_credentials(const std::string& id, const std::string& secret) {
    // RFC 6749 section 2.3.1: each part form-encoded before Base64.
    return "Basic " + base64_encode(percent_encode(id) + ":" + percent_encode(secret));
}

}  // namespace

bool has_scope(std::string_view scopes, std::string_view scope) {
    std::size_t start = 0;
    while (start <= scopes.size()) {
        const auto end = std::min(scopes.find(' ', start), scopes.size());
        if (scopes.substr(start, end - start) == scope) return true;
        start = end + 1;
    }
    return false;
}

long long retry_after_from_reset(const Headers& headers, std::int64_t now) {
    const auto it = headers.find("x-rate-limit-reset");
    if (it == headers.end() || it->second.empty() || it->second.size() > 12 ||
        !std::all_of(it->second.begin(), it->second.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return 60;
    }
    const long long reset = std::stoll(it->second);
    return std::clamp<long long>(reset - now, 1, 24 * 3600);
}

OAuth2HttpClient::OAuth2HttpClient(const OAuth2Settings& config, HttpTransport& transport, const Clock& clock)
    : api_(config.x_api),
      authorize_url_(config.authorize_url),
      client_id_(config.client_id),
      client_secret_(config.client_secret),
      callback_url_(config.callback_url),
      scopes_(config.scopes),
      max_response_bytes_(config.max_response_bytes),
      transport_(transport),
      clock_(clock) {}

std::string OAuth2HttpClient::authorize_url(std::string_view state, std::string_view code_challenge) const {
    const Params params{{"response_type", "code"},
                        {"client_id", client_id_},
                        {"redirect_uri", callback_url_},
                        {"scope", scopes_},
                        {"state", std::string(state)},
                        {"code_challenge", std::string(code_challenge)},
                        {"code_challenge_method", "S256"}};
    return authorize_url_ + "?" + format_query(params);
}

ProviderResult<OAuth2Tokens> OAuth2HttpClient::token_request(std::string body, const char* step,
                                                              std::initializer_list<std::string_view> credentials) {
    OutgoingRequest request;
    request.method = "POST";
    request.url = api_ + "/2/oauth2/token";
    request.content_type = "application/x-www-form-urlencoded";
    request.headers.push_back({"Accept", "application/json"});
    request.headers.push_back({"User-Agent", "perch-proxy"});
    // A confidential client authenticates with HTTP Basic; a public one names itself in the body.
    if (client_secret_.empty()) {
        body += "&" + format_query(Params{{"client_id", client_id_}});
    } else {
        request.headers.push_back({"Authorization", basic_credentials(client_id_, client_secret_)});
    }
    request.body = std::move(body);

    const auto sent = transport_.send(request);
    if (auto failure = common_failure(sent, step, clock_.unix_seconds())) return scrubbed(*failure, credentials);
    const auto& response = sent.value();
    if (response.status < 200 || response.status > 299) {
        const std::string error = error_words(response.body).first;
        std::string message = std::string(step) + " refused: " + describe(response);
        if (response.status == 401 || error == "invalid_client" || error == "unauthorized_client") {
            message += " (check PERCH_CLIENT_ID and PERCH_CLIENT_SECRET: a Web App is a confidential client "
                       "and needs the secret; a Native App must not send one)";
            return scrubbed(fail(message), credentials);
        }
        // X says invalid_request for an expired, used or PKCE-mismatched code.
        if (response.status == 400 && (error == "invalid_grant" || error == "invalid_request")) {
            return scrubbed(ProviderFailure{ProviderFailure::Kind::grant_refused, message}, credentials);
        }
        return scrubbed(fail(message), credentials);
    }
    auto tokens = parse_tokens(response.body, scopes_, max_response_bytes_);
    if (!tokens) return scrubbed(fail(std::string(step) + " answer unusable: " + tokens.error().message), credentials);
    return std::move(tokens).value();
}

ProviderResult<OAuth2Tokens> OAuth2HttpClient::exchange_code(std::string_view code, std::string_view code_verifier) {
    const Params params{{"grant_type", "authorization_code"},
                        {"code", std::string(code)},
                        {"redirect_uri", callback_url_},
                        {"code_verifier", std::string(code_verifier)}};
    return token_request(format_query(params), "token (authorization_code)",
                         {client_secret_, code, code_verifier});
}

ProviderResult<OAuth2Tokens> OAuth2HttpClient::refresh(std::string_view refresh_token) {
    const Params params{{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}};
    return token_request(format_query(params), "token (refresh_token)", {client_secret_, refresh_token});
}

ProviderResult<VerifiedUser> OAuth2HttpClient::users_me(std::string_view access_token, bool with_email) {
    OutgoingRequest request;
    request.method = "GET";
    request.url = api_ + "/2/users/me?user.fields=" + users_me_fields + (with_email ? ",confirmed_email" : "");
    request.headers.push_back({"Authorization", "Bearer " + std::string(access_token)});
    request.headers.push_back({"Accept", "application/json"});
    request.headers.push_back({"User-Agent", "perch-proxy"});
    const auto credentials = {std::string_view(client_secret_), access_token};
    const auto sent = transport_.send(request);
    if (auto failure = common_failure(sent, "users/me", clock_.unix_seconds())) return scrubbed(*failure, credentials);
    const auto& response = sent.value();
    if (response.status < 200 || response.status > 299) {
        std::string message = "users/me refused: " + describe(response);
        if (response.status == 403) message += " (the grant lacks a scope /2/users/me needs: list tweet.read and users.read in PERCH_SCOPES)";
        return scrubbed(fail(message), credentials);
    }
    auto json = parse_json(response.body, JsonLimits{max_response_bytes_, 32});
    if (!json) return fail("users/me answer is not usable JSON: " + json.error().message);
    const auto data = json.value().is_object() ? json.value().find("data") : json.value().end();
    if (!json.value().is_object() || data == json.value().end() || !data->is_object()) {
        return scrubbed(fail("users/me answer has no user: " + describe(response)), credentials);
    }
    const std::string id = string_member(*data, "id");
    if (id.empty() || id.size() > 20 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        string_member(*data, "username").empty()) {
        return fail("users/me answer has no usable id and username");
    }
    return VerifiedUser{*data, id};
}

}  // namespace perch
