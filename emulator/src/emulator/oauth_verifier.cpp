#include "emulator/oauth_verifier.h"

#include <cctype>
#include <utility>

#include "core/constant_time.h"
#include "base/crypto.h"
#include "core/oauth.h"
#include "core/percent_encoding.h"

namespace perch::emulator {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

OAuthFailure failure(int status, TwitterCode code, std::string reason) {
    return OAuthFailure{status, code, std::move(reason), false};
}

OAuthFailure not_authenticated(std::string reason) {
    return failure(401, TwitterCode::could_not_authenticate, std::move(reason));
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
    // Decimal seconds only: no sign, no spaces, at most 12 digits.
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

std::string_view token_failure_reason(TokenProblem problem) { return to_string(problem); }

}  // namespace

bool is_form_content_type(std::string_view content_type) {
    const std::string_view wanted = "application/x-www-form-urlencoded";
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    if (media.size() != wanted.size()) return false;
    for (std::size_t i = 0; i < media.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(media[i])) != wanted[i]) return false;
    return true;
}

std::optional<std::string> VerifiedRequest::protocol_value(std::string_view name,
                                                           bool strict) const {
    if (auto value = find_param(protocol, name)) return value;
    if (strict) return std::nullopt;
    return find_param(parameters, name);
}

OAuthVerifier::OAuthVerifier(VerifierSettings settings, const Clock& clock, NonceCache& nonces)
    : settings_(std::move(settings)), clock_(clock), nonces_(nonces) {}

std::variant<VerifiedRequest, OAuthFailure> OAuthVerifier::verify(
    const OAuthRequest& request, TokenKind kind, const TokenSecretLookup& secret_for) const {
    // Query and body first: under --strict, oauth_* there is refused whether or
    // not an Authorization header came too.
    VerifiedRequest verified;
    auto query = parse_query(request.query);
    if (!query) return not_authenticated("malformed query string: " + query.error().message);
    verified.parameters = std::move(query.value());
    if (is_form_content_type(request.content_type) && !request.body.empty()) {
        auto body = parse_query(request.body);
        if (!body) return not_authenticated("malformed form body: " + body.error().message);
        for (Param& param : body.value()) verified.parameters.push_back(std::move(param));
    }
    for (const Param& param : verified.parameters) {
        if (settings_.strict && starts_with(param.name, "oauth_")) {
            OAuthFailure strict = failure(
                400, TwitterCode::could_not_authenticate,
                "strict mode: protocol parameter '" + param.name +
                    "' was sent in the query string or form body; RFC 5849 section 3.5 wants "
                    "every oauth_* parameter in the Authorization header only");
            strict.strict_violation = true;
            return strict;
        }
    }

    if (request.authorization_count == 0 || request.authorization.empty())
        return failure(400, TwitterCode::bad_authentication_data, "no Authorization header");
    if (request.authorization_count > 1)
        return failure(400, TwitterCode::bad_authentication_data,
                       "more than one Authorization header");
    auto header = parse_authorization_header(request.authorization);
    if (!header) return not_authenticated("malformed Authorization header: " + header.error().message);
    for (const Param& param : header.value()) {
        if (!starts_with(param.name, "oauth_"))
            return not_authenticated("Authorization header carries a non-oauth parameter '" +
                                     param.name + "'");
        if (param.name != "oauth_signature") verified.protocol.push_back(param);
    }

    const Params& oauth = header.value();
    for (std::string_view name : {"oauth_consumer_key", "oauth_nonce", "oauth_signature",
                                  "oauth_signature_method", "oauth_timestamp"}) {
        if (count_params(oauth, name) != 1 || find_param(oauth, name)->empty())
            return not_authenticated("missing " + std::string(name) + " in the Authorization header");
    }
    if (*find_param(oauth, "oauth_signature_method") != "HMAC-SHA1")
        return not_authenticated("oauth_signature_method must be HMAC-SHA1");
    if (auto version = find_param(oauth, "oauth_version"); version && *version != "1.0")
        return not_authenticated("oauth_version must be 1.0 when present");
    if (!constant_time_equal(*find_param(oauth, "oauth_consumer_key"), settings_.consumer_key))
        return not_authenticated("unknown consumer key");

    const std::int64_t now = clock_.unix_seconds();
    const auto timestamp = parse_timestamp(*find_param(oauth, "oauth_timestamp"));
    if (!timestamp)
        return failure(401, TwitterCode::timestamp_out_of_bounds, "oauth_timestamp is not decimal seconds");
    if (*timestamp < now - settings_.timestamp_window_s || *timestamp > now + settings_.timestamp_window_s)
        return failure(401, TwitterCode::timestamp_out_of_bounds,
                       "oauth_timestamp is " + std::to_string(*timestamp - now) +
                           " s from the emulator's clock (allowed: ±" +
                           std::to_string(settings_.timestamp_window_s) + " s)");

    std::string token_secret;
    const auto token = find_param(oauth, "oauth_token");
    if (kind == TokenKind::none) {
        if (token && !token->empty())
            return not_authenticated("request_token must not carry an oauth_token");
    } else {
        if (!token || token->empty())
            return failure(401, TwitterCode::invalid_token, "missing oauth_token");
        auto secret = secret_for(*token);
        if (auto* problem = std::get_if<TokenProblem>(&secret))
            return failure(401, TwitterCode::invalid_token,
                           std::string(kind == TokenKind::request_token ? "request token: "
                                                                         : "access token: ") +
                               std::string(token_failure_reason(*problem)));
        token_secret = std::get<std::string>(std::move(secret));
        verified.token = *token;
    }

    Params signed_params = verified.parameters;
    signed_params.insert(signed_params.end(), verified.protocol.begin(), verified.protocol.end());
    auto base = signature_base_string(request.method, request.url, signed_params);
    if (!base) return not_authenticated("cannot build the signature base string: " + base.error().message);
    const std::string expected =
        hmac_sha1_base64(signing_key(settings_.consumer_secret, token_secret), base.value());
    if (!constant_time_equal(*find_param(oauth, "oauth_signature"), expected)) {
        std::string reason = "signature mismatch";
        if (settings_.explain_signatures) reason += " (emulator's base string: " + base.value() + ")";
        return not_authenticated(std::move(reason));
    }

    const std::string nonce = *find_param(oauth, "oauth_nonce");
    if (nonce.size() > 256) return not_authenticated("oauth_nonce longer than 256 bytes");
    if (settings_.check_nonces && !nonces_.remember(settings_.consumer_key, nonce, *timestamp, now))
        return not_authenticated("oauth_nonce already used");
    return verified;
}

}  // namespace perch::emulator
