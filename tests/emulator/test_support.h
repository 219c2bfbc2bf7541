// Deterministic clock, randomness and an OAuth signer for the emulator's tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/crypto.h"
#include "emulator/http_message.h"
#include "core/oauth.h"
#include "core/query.h"

namespace perch::emulator::testing {

class FakeClock final : public Clock {
public:
    std::int64_t unix_now = 1700000000;
    std::chrono::steady_clock::time_point steady_now{};

    std::int64_t unix_seconds() const override { return unix_now; }
    std::chrono::steady_clock::time_point monotonic() const override { return steady_now; }
    void advance(std::chrono::seconds by) {
        unix_now += by.count();
        steady_now += by;
    }
};

// Predictable but never-repeating bytes, so issued tokens are distinct.
class CountingRandom final : public RandomSource {
public:
    void fill(unsigned char* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<unsigned char>((counter_++ * 131u + 7u) >> 1);
    }

private:
    unsigned counter_ = 1;
};

struct Signer {
    std::string consumer_key = "ck-test";
    std::string consumer_secret = "cs-test";
    std::string token;
    std::string token_secret;
    std::int64_t timestamp = 1700000000;
    std::string nonce = "nonce-1";
    Params extra;  // more oauth_* for the header (oauth_callback, oauth_verifier)

    // The Authorization header value for a request whose query and form-body
    // pairs are `params`.
    std::string header(const std::string& method, const std::string& url, const Params& params = {}) const {
        Params oauth = {{"oauth_consumer_key", consumer_key},
                        {"oauth_nonce", nonce},
                        {"oauth_signature_method", "HMAC-SHA1"},
                        {"oauth_timestamp", std::to_string(timestamp)},
                        {"oauth_version", "1.0"}};
        if (!token.empty()) oauth.push_back({"oauth_token", token});
        oauth.insert(oauth.end(), extra.begin(), extra.end());
        Params all = params;
        all.insert(all.end(), oauth.begin(), oauth.end());
        const std::string base = signature_base_string(method, url, all).value();
        oauth.push_back({"oauth_signature", hmac_sha1_base64(signing_key(consumer_secret, token_secret), base)});
        return authorization_header(oauth);
    }
};

inline EmuRequest make_request(std::string method, std::string path, std::string query = {},
                               std::string authorization = {}, std::string body = {},
                               std::string content_type = {}) {
    EmuRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.query = std::move(query);
    request.headers.emplace("host", "127.0.0.1:8081");
    if (!authorization.empty()) request.headers.emplace("authorization", std::move(authorization));
    if (!content_type.empty()) request.headers.emplace("content-type", std::move(content_type));
    request.body = std::move(body);
    request.remote_addr = "127.0.0.1";
    return request;
}

inline constexpr const char* base_url = "http://127.0.0.1:8081";

}  // namespace perch::emulator::testing
