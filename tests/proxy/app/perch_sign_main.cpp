// perch-sign: a test tool for oauthlib_check.py, so that check does not depend on main.cpp.
//   perch-sign           exactly `perch-proxy sign` (base string + signature from JSON on stdin)
//   perch-sign --header  signs like the proxy does (OAuthSigner, real clock and CSPRNG) and
//                        prints {"authorization": "..."} for
//                        {"method","url","form":[[n,v],...],"consumer_key","consumer_secret",
//                         "token","token_secret","callback","verifier"} (all but method/url optional)
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/crypto.h"
#include "app/commands/sign_command.h"
#include "provider/signer.h"

namespace {

std::string text(const nlohmann::json& input, const char* name) {
    return input.contains(name) ? input.at(name).get<std::string>() : std::string();
}

int sign_header() {
    const std::string raw((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    const auto input = nlohmann::json::parse(raw);  // a test tool: a bad input may throw and fail loudly
    perch::SystemClock clock;
    perch::SecureRandom random;
    perch::RandomNonceSource nonces(random);
    perch::OAuthSigner signer(text(input, "consumer_key"), text(input, "consumer_secret"), clock, nonces);
    perch::SignRequest request;
    request.method = text(input, "method");
    request.url = text(input, "url");
    if (input.contains("form")) {
        for (const auto& pair : input.at("form")) {
            request.form_params.push_back({pair.at(0).get<std::string>(), pair.at(1).get<std::string>()});
        }
    }
    request.token = text(input, "token");
    request.token_secret = text(input, "token_secret");
    if (input.contains("callback")) request.extra_oauth.push_back({"oauth_callback", text(input, "callback")});
    if (input.contains("verifier")) request.extra_oauth.push_back({"oauth_verifier", text(input, "verifier")});
    auto signed_request = signer.sign(request);
    if (!signed_request) {
        std::cerr << signed_request.error().message << '\n';
        return 2;
    }
    std::cout << nlohmann::json{{"authorization", signed_request.value().authorization}}.dump() << '\n';
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--header") return sign_header();
    if (argc != 1) {
        std::cerr << "usage: perch-sign [--header] < request.json\n";
        return 2;
    }
    return perch::run_sign_command(std::cin, std::cout, std::cerr);
}
