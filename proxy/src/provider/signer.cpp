#include "provider/signer.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "core/oauth.h"

namespace perch {

namespace {

bool is_oauth_name(std::string_view name) { return name.rfind("oauth_", 0) == 0; }

// The query of an absolute URL, without '?' and fragment; empty if none.
std::string_view query_of(std::string_view url) {
    const auto hash = url.find('#');
    if (hash != std::string_view::npos) url = url.substr(0, hash);
    const auto question = url.find('?');
    return question == std::string_view::npos ? std::string_view() : url.substr(question + 1);
}

}  // namespace

constexpr std::string_view nonce_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t min_nonce_length = 22;

RandomNonceSource::RandomNonceSource(RandomSource& random, std::size_t length)
    : random_(random), length_(std::max(length, min_nonce_length)) {}

std::string RandomNonceSource::next_nonce() {
    // 248 = 4 * 62: bytes at or above it are dropped, so every character is uniform.
    constexpr unsigned limit = 4 * nonce_alphabet.size();
    std::string nonce;
    std::vector<unsigned char> bytes;
    while (nonce.size() < length_) {
        bytes.resize(length_ - nonce.size());
        random_.fill(bytes.data(), bytes.size());
        for (unsigned char byte : bytes) {
            if (byte < limit) nonce += nonce_alphabet[byte % nonce_alphabet.size()];
        }
    }
    return nonce;
}

Result<SignatureParts> sign_parameters(const std::string& method, const std::string& url,
                                       const Params& params, const std::string& consumer_secret,
                                       const std::string& token_secret) {
    auto base = signature_base_string(method, url, params);
    if (!base) return base.error();
    SignatureParts parts;
    parts.signature = hmac_sha1_base64(signing_key(consumer_secret, token_secret), base.value());
    parts.base_string = std::move(base).value();
    return parts;
}

OAuthSigner::OAuthSigner(std::string consumer_key, std::string consumer_secret, const Clock& clock,
                         NonceSource& nonces)
    : consumer_key_(std::move(consumer_key)),
      consumer_secret_(std::move(consumer_secret)),
      clock_(clock),
      nonces_(nonces) {}

Result<SignedRequest> OAuthSigner::sign(const SignRequest& request) const {
    // Protocol parameters travel in the header only (RFC 5849 §3.5), so one in the
    // query or body is a caller bug that a strict provider would reject anyway.
    auto query = parse_query(query_of(request.url));
    if (!query) return query.error();
    for (const Params* pairs : {static_cast<const Params*>(&query.value()), &request.form_params}) {
        for (const Param& pair : *pairs) {
            if (is_oauth_name(pair.name)) {
                return Error{ErrorCode::invalid_field,
                             "protocol parameter " + pair.name + " belongs in the Authorization header"};
            }
        }
    }
    for (const Param& extra : request.extra_oauth) {
        if (!is_oauth_name(extra.name) || extra.name == "oauth_signature") {
            return Error{ErrorCode::invalid_field, "not an extra protocol parameter: " + extra.name};
        }
    }

    Params oauth{
        {"oauth_consumer_key", consumer_key_},
        {"oauth_nonce", nonces_.next_nonce()},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", std::to_string(clock_.unix_seconds())},
        {"oauth_version", "1.0"},
    };
    if (!request.token.empty()) oauth.push_back({"oauth_token", request.token});
    for (const Param& extra : request.extra_oauth) {
        if (count_params(oauth, extra.name) != 0) {
            return Error{ErrorCode::invalid_field, "duplicate protocol parameter: " + extra.name};
        }
        oauth.push_back(extra);
    }

    Params signed_pairs = query.value();
    signed_pairs.insert(signed_pairs.end(), request.form_params.begin(), request.form_params.end());
    signed_pairs.insert(signed_pairs.end(), oauth.begin(), oauth.end());
    auto parts = sign_parameters(request.method, request.url, signed_pairs, consumer_secret_,
                                 request.token_secret);
    if (!parts) return parts.error();

    oauth.push_back({"oauth_signature", parts.value().signature});
    std::sort(oauth.begin(), oauth.end(),
              [](const Param& a, const Param& b) { return a.name < b.name; });
    SignedRequest signed_request;
    signed_request.authorization = authorization_header(oauth);
    signed_request.oauth_params = std::move(oauth);
    signed_request.base_string = std::move(parts.value().base_string);
    return signed_request;
}

}  // namespace perch
