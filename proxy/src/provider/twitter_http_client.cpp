#include "provider/twitter_http_client.h"

#include <string_view>
#include <utility>

#include "base/log.h"
#include "core/json_input.h"
#include "core/percent_encoding.h"

namespace perch {

namespace {

const char* const verify_credentials_query = "include_email=true&skip_status=true&include_entities=false";
const char* const users_me_query = "user.fields=id,name,username,profile_image_url";
constexpr int limited_v1_access = 453;

// X's answer when the app's access level has no v1.1 verify_credentials: 403
// with code 453, or the same "subset of ... endpoints" words without it.
bool is_limited_v1_answer(const IncomingResponse& response) {
    if (response.status != 403) return false;
    for (const TwitterError& error : parse_twitter_errors(response.body)) {
        if (error.code == limited_v1_access || error.message.find("subset of") != std::string::npos) return true;
    }
    return false;
}

ProviderFailure fail(std::string message) { return ProviderFailure{ProviderFailure::Kind::error, std::move(message)}; }

// "Twitter error 32: Could not authenticate you. (check ...)", or the HTTP status
// when the body names no error code.
std::string describe_error_answer(const IncomingResponse& response) {
    const auto errors = parse_twitter_errors(response.body);
    const TwitterError first = errors.empty() ? TwitterError{} : errors.front();
    std::string message;
    if (first.code != 0) {
        message = "Twitter error " + std::to_string(first.code) + ": " + first.message;
        const auto hint = operator_hint(first.code);
        if (!hint.empty()) message += " (" + std::string(hint) + ")";
    } else {
        message = "Twitter answered HTTP " + std::to_string(response.status);
        if (!first.message.empty()) message += ": " + first.message;
    }
    return message;
}

ProviderFailure transport_failure(const TransportError& error) {
    if (error.failure == TransportFailure::timeout) {
        return ProviderFailure{ProviderFailure::Kind::timeout, "Twitter timed out: " + error.message};
    }
    return fail("cannot talk to Twitter: " + error.message);
}

}  // namespace

TwitterHttpClient::TwitterHttpClient(const TwitterSettings& config, HttpTransport& transport, const Clock& clock,
                                     RandomSource& random, Log* log)
    : api_(config.twitter_api),
      callback_url_(config.callback_url),
      consumer_secret_(config.consumer_secret),
      max_response_bytes_(config.max_response_bytes),
      transport_(transport),
      nonces_(random),
      signer_(config.consumer_key, config.consumer_secret, clock, nonces_),
      log_(log) {
    while (!api_.empty() && api_.back() == '/') api_.pop_back();
}

ProviderResult<IncomingResponse> TwitterHttpClient::call(const SignRequest& sign_request, const char* step) {
    auto sent = send(sign_request, step);
    if (!sent) return sent.error();
    auto& response = sent.value();
    if (response.status < 200 || response.status > 299) {
        return fail(std::string(step) + " failed: " + describe_error_answer(response));
    }
    return std::move(response);
}

ProviderResult<IncomingResponse> TwitterHttpClient::send(const SignRequest& sign_request, const char* step) {
    auto signed_request = signer_.sign(sign_request);
    if (!signed_request) {
        return fail(std::string("cannot sign the ") + step + " request: " + signed_request.error().message);
    }
    OutgoingRequest request;
    request.method = sign_request.method;
    request.url = sign_request.url;
    request.headers.push_back({"Authorization", signed_request.value().authorization});
    request.headers.push_back({"Accept", "application/json"});
    request.headers.push_back({"User-Agent", "perch-proxy"});
    if (sign_request.method == "POST") request.content_type = "application/x-www-form-urlencoded";

    auto sent = transport_.send(request);
    if (!sent) return transport_failure(sent.error());
    return std::move(sent.value());
}

ProviderResult<RequestToken> TwitterHttpClient::request_token() {
    SignRequest request;
    request.method = "POST";
    request.url = api_ + "/oauth/request_token";
    request.extra_oauth = {{"oauth_callback", callback_url_}};
    auto answer = call(request, "request_token");
    if (!answer) return scrubbed(answer.error(), {consumer_secret_});
    auto token = parse_request_token_response(answer.value().body);
    if (!token) return scrubbed(fail("request_token answer unusable: " + token.error().message), {consumer_secret_});
    return token.value();
}

std::string TwitterHttpClient::authenticate_url(const std::string& request_token) const {
    return api_ + "/oauth/authenticate?oauth_token=" + percent_encode(request_token);
}

ProviderResult<AccessToken> TwitterHttpClient::access_token(const RequestToken& request_token,
                                                            const std::string& verifier) {
    SignRequest request;
    request.method = "POST";
    request.url = api_ + "/oauth/access_token";
    request.token = request_token.token;
    request.token_secret = request_token.secret;
    request.extra_oauth = {{"oauth_verifier", verifier}};
    const auto credentials = {std::string_view(consumer_secret_), std::string_view(request_token.token),
                              std::string_view(request_token.secret), std::string_view(verifier)};
    auto answer = call(request, "access_token");
    if (!answer) return scrubbed(answer.error(), credentials);
    auto token = parse_access_token_response(answer.value().body);
    if (!token) return scrubbed(fail("access_token answer unusable: " + token.error().message), credentials);
    return token.value();
}

ProviderResult<VerifiedUser> TwitterHttpClient::verify_credentials(const AccessToken& access) {
    if (v1_limited_.load()) return users_me(access);
    SignRequest request;
    request.method = "GET";
    request.url = api_ + "/1.1/account/verify_credentials.json?" + verify_credentials_query;
    request.token = access.token;
    request.token_secret = access.secret;
    auto answer = send(request, "verify_credentials");
    if (!answer) {
        return scrubbed(answer.error(), {consumer_secret_, access.token, access.secret});
    }
    if (is_limited_v1_answer(answer.value())) {
        if (!v1_limited_.exchange(true) && log_ != nullptr) {
            log_->warn("X refused v1.1 verify_credentials (403, code 453: this app's access level has only a "
                       "subset of the API, e.g. the Free tier); using GET /2/users/me signed with OAuth 1.0a from "
                       "now on, which gives no email. Basic or a higher access level restores v1.1; OAuth 2.0 "
                       "(PERCH_CLIENT_ID) with users.email gives the email on every tier.");
        }
        return users_me(access);
    }
    const auto& response = answer.value();
    if (response.status < 200 || response.status > 299) {
        return scrubbed(fail("verify_credentials failed: " + describe_error_answer(response)),
                        {consumer_secret_, access.token, access.secret});
    }
    auto json = parse_json(response.body, JsonLimits{max_response_bytes_, 32});
    if (!json) return fail("verify_credentials answer is not usable JSON: " + json.error().message);
    const nlohmann::json& user = json.value();
    if (!user.is_object()) return fail("verify_credentials answer is not a JSON object");
    const auto id = user.find("id_str");
    if (id == user.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
        return fail("verify_credentials answer has no id_str");
    }
    if (access.user_id.empty() || id->get_ref<const std::string&>() != access.user_id) {
        return fail("verify_credentials returned a different user than the access token");
    }
    return VerifiedUser{user, access.user_id};
}

ProviderResult<VerifiedUser> TwitterHttpClient::users_me(const AccessToken& access) {
    SignRequest request;
    request.method = "GET";
    request.url = api_ + "/2/users/me?" + users_me_query;
    request.token = access.token;
    request.token_secret = access.secret;
    const auto credentials = {std::string_view(consumer_secret_), std::string_view(access.token),
                              std::string_view(access.secret)};
    auto answer = call(request, "users/me");
    if (!answer) return scrubbed(answer.error(), credentials);
    auto json = parse_json(answer.value().body, JsonLimits{max_response_bytes_, 32});
    if (!json) return fail("users/me answer is not usable JSON: " + json.error().message);
    const auto data = json.value().is_object() ? json.value().find("data") : json.value().end();
    if (!json.value().is_object() || data == json.value().end() || !data->is_object()) {
        return fail("users/me answer has no data object");
    }
    const auto id = data->find("id");
    if (id == data->end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
        return fail("users/me answer has no id");
    }
    if (access.user_id.empty() || id->get_ref<const std::string&>() != access.user_id) {
        return fail("users/me returned a different user than the access token");
    }
    return VerifiedUser{*data, access.user_id};
}

}  // namespace perch
