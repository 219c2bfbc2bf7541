#include <catch2/catch.hpp>

#include <set>

#include "core/oauth.h"
#include "provider/signer.h"
#include "upstream_fakes.h"

using namespace perch;
using perch::test::FixedClock;
using perch::test::ScriptedRandom;

namespace {

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Random bytes that RandomNonceSource turns into `nonce` (each byte picks a character).
std::vector<unsigned char> bytes_for(const std::string& nonce) {
    std::vector<unsigned char> bytes;
    for (char c : nonce) bytes.push_back(static_cast<unsigned char>(alphabet.find(c)));
    return bytes;
}

class FixedNonce final : public NonceSource {
public:
    explicit FixedNonce(std::string nonce) : nonce_(std::move(nonce)) {}
    std::string next_nonce() override { return nonce_; }

private:
    std::string nonce_;
};

std::set<std::string> names_of(const Params& params) {
    std::set<std::string> names;
    for (const Param& param : params) names.insert(param.name);
    return names;
}

}  // namespace

TEST_CASE("Twitter's 'Creating a signature' example signs to hCtSmYh+iHYCEqBWrE7C7hYmtUk=") {
    FixedClock clock(1318622958);
    ScriptedRandom random(bytes_for("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"));
    RandomNonceSource nonces(random, 42);
    OAuthSigner signer("xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", clock, nonces);

    SignRequest request;
    request.method = "POST";
    request.url = "https://api.twitter.com/1.1/statuses/update.json?include_entities=true";
    request.form_params = {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}};
    request.token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    request.token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

    auto signed_request = signer.sign(request);
    REQUIRE(signed_request.ok());
    CHECK(signed_request.value().base_string ==
          "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26"
          "oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26"
          "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26"
          "oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26"
          "status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
    CHECK(find_param(signed_request.value().oauth_params, "oauth_signature") ==
          std::optional<std::string>("hCtSmYh+iHYCEqBWrE7C7hYmtUk="));
    CHECK(signed_request.value().authorization ==
          "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
          "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
          "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", oauth_signature_method=\"HMAC-SHA1\", "
          "oauth_timestamp=\"1318622958\", oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
          "oauth_version=\"1.0\"");
    // The nonce came from the RandomSource, one byte per character.
    CHECK(random.requested() == std::vector<std::size_t>{42});
}

TEST_CASE("RFC 5849 section 1.2 temporary-credentials request signs to 74KNZJeDHnMBp0EMJ9ZHt/XKycU=") {
    auto parts = sign_parameters("POST", "https://photos.example.net/initiate",
                                 {{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                  {"oauth_signature_method", "HMAC-SHA1"},
                                  {"oauth_timestamp", "137131200"},
                                  {"oauth_nonce", "wIjqoS"},
                                  {"oauth_callback", "http://printer.example.com/ready"}},
                                 "kd94hf93k423kf44", "");
    REQUIRE(parts.ok());
    CHECK(parts.value().base_string ==
          "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com"
          "%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3D"
          "HMAC-SHA1%26oauth_timestamp%3D137131200");
    CHECK(parts.value().signature == "74KNZJeDHnMBp0EMJ9ZHt/XKycU=");
}

TEST_CASE("RFC 5849 section 1.2 token request signs to gKgrFCywp7rO0OXSjdot/IHF7IU=") {
    auto parts = sign_parameters("POST", "https://photos.example.net/token",
                                 {{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                  {"oauth_token", "hh5s93j4hdidpola"},
                                  {"oauth_signature_method", "HMAC-SHA1"},
                                  {"oauth_timestamp", "137131201"},
                                  {"oauth_nonce", "walatlh"},
                                  {"oauth_verifier", "hfdp7dh39dks9884"}},
                                 "kd94hf93k423kf44", "hdhd0244k9j7ao03");
    REQUIRE(parts.ok());
    CHECK(parts.value().signature == "gKgrFCywp7rO0OXSjdot/IHF7IU=");
}

TEST_CASE("RFC 5849 section 1.2 resource request signs to MdpQcU8iPSUjWoN/UDMsK2sui9I=") {
    auto parts = sign_parameters("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
                                 {{"file", "vacation.jpg"},
                                  {"size", "original"},
                                  {"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                  {"oauth_token", "nnch734d00sl2jdk"},
                                  {"oauth_signature_method", "HMAC-SHA1"},
                                  {"oauth_timestamp", "137131202"},
                                  {"oauth_nonce", "chapoH"}},
                                 "kd94hf93k423kf44", "pfkkdhi9sl3r4s00");
    REQUIRE(parts.ok());
    CHECK(parts.value().signature == "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

TEST_CASE("The signer decodes the URL query and form body into the RFC 5849 section 3.4.1.1 base string") {
    FixedClock clock(137131201);
    FixedNonce nonces("7d8f3e4a");
    OAuthSigner signer("9djdj82h48djs9d2", "j49sk3j29djd", clock, nonces);
    SignRequest request;
    request.method = "post";
    request.url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
    request.form_params = {{"c2", ""}, {"a3", "2 q"}};
    request.token = "kkk9d7dh3k39sjv7";
    request.token_secret = "dh893hdasih9";

    auto signed_request = signer.sign(request);
    REQUIRE(signed_request.ok());
    // The RFC's example, plus the oauth_version=1.0 we always send.
    CHECK(signed_request.value().base_string ==
          "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26"
          "c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26"
          "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7%26"
          "oauth_version%3D1.0");
}

TEST_CASE("A request-token signature carries oauth_callback in the header and no oauth_token") {
    FixedClock clock(1700000000);
    FixedNonce nonces("abcdefghijklmnopqrstuv");
    OAuthSigner signer("key", "secret", clock, nonces);
    SignRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:9000/oauth/request_token";
    request.extra_oauth = {{"oauth_callback", "http://127.0.0.1:8080/signup/callback"}};

    auto signed_request = signer.sign(request);
    REQUIRE(signed_request.ok());
    const Params& oauth = signed_request.value().oauth_params;
    CHECK(names_of(oauth) == std::set<std::string>{"oauth_callback", "oauth_consumer_key", "oauth_nonce",
                                                   "oauth_signature", "oauth_signature_method", "oauth_timestamp",
                                                   "oauth_version"});
    CHECK(oauth.front().name == "oauth_callback");  // sorted by name
    CHECK(signed_request.value().authorization.rfind(
              "OAuth oauth_callback=\"http%3A%2F%2F127.0.0.1%3A8080%2Fsignup%2Fcallback\", "
              "oauth_consumer_key=\"key\", oauth_nonce=\"abcdefghijklmnopqrstuv\", oauth_signature=\"",
              0) == 0);

    // The header round-trips and its signature checks out against the base string.
    auto parsed = parse_authorization_header(signed_request.value().authorization);
    REQUIRE(parsed.ok());
    Params unsigned_params;
    for (const Param& param : parsed.value()) {
        if (param.name != "oauth_signature") unsigned_params.push_back(param);
    }
    auto expected = sign_parameters("POST", request.url, unsigned_params, "secret", "");
    REQUIRE(expected.ok());
    CHECK(find_param(parsed.value(), "oauth_signature") == std::optional<std::string>(expected.value().signature));
    CHECK(expected.value().base_string == signed_request.value().base_string);
}

TEST_CASE("The signer refuses protocol parameters outside the Authorization header") {
    FixedClock clock(1700000000);
    FixedNonce nonces("n0nce0000000000000000");
    OAuthSigner signer("key", "secret", clock, nonces);

    SignRequest in_query;
    in_query.method = "POST";
    in_query.url = "http://127.0.0.1:9000/oauth/access_token?oauth_verifier=v";
    auto query_result = signer.sign(in_query);
    REQUIRE_FALSE(query_result.ok());
    CHECK(query_result.error().code == ErrorCode::invalid_field);
    CHECK(query_result.error().message == "protocol parameter oauth_verifier belongs in the Authorization header");

    SignRequest in_body;
    in_body.method = "POST";
    in_body.url = "http://127.0.0.1:9000/oauth/access_token";
    in_body.form_params = {{"oauth_token", "t"}};
    auto body_result = signer.sign(in_body);
    REQUIRE_FALSE(body_result.ok());
    CHECK(body_result.error().message == "protocol parameter oauth_token belongs in the Authorization header");

    SignRequest not_protocol;
    not_protocol.method = "POST";
    not_protocol.url = "http://127.0.0.1:9000/oauth/access_token";
    not_protocol.extra_oauth = {{"status", "x"}};
    auto extra_result = signer.sign(not_protocol);
    REQUIRE_FALSE(extra_result.ok());
    CHECK(extra_result.error().message == "not an extra protocol parameter: status");

    SignRequest duplicate;
    duplicate.method = "POST";
    duplicate.url = "http://127.0.0.1:9000/oauth/access_token";
    duplicate.extra_oauth = {{"oauth_nonce", "mine"}};
    auto duplicate_result = signer.sign(duplicate);
    REQUIRE_FALSE(duplicate_result.ok());
    CHECK(duplicate_result.error().message == "duplicate protocol parameter: oauth_nonce");
}

TEST_CASE("The signer rejects a URL that is not absolute http(s)") {
    FixedClock clock(1700000000);
    FixedNonce nonces("n0nce0000000000000000");
    OAuthSigner signer("key", "secret", clock, nonces);
    SignRequest request;
    request.method = "GET";
    request.url = "ftp://example.com/x";
    auto result = signer.sign(request);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::invalid_uri);
}

TEST_CASE("RandomNonceSource makes uniform alphanumeric nonces of at least 22 characters") {
    // 0..61 pick a character; 61 + 62 * k picks the same one; 248..255 are dropped.
    ScriptedRandom random({0, 25, 26, 61, 62, 123, 247, 248, 255});
    RandomNonceSource short_nonces(random, 4);
    const std::string nonce = short_nonces.next_nonce();
    CHECK(nonce == "AZa9A99AZa9A99AZa9A99A");
    CHECK(nonce.size() == 22);
    // Refills ask only for what is missing: 4 of the first 22 bytes were dropped, and so on.
    CHECK(random.requested() == std::vector<std::size_t>{22, 4, 1, 1});

    SecureRandom secure;
    RandomNonceSource default_nonces(secure);
    const std::string drawn = default_nonces.next_nonce();
    CHECK(drawn.size() == 30);
    CHECK(drawn.find_first_not_of(alphabet) == std::string::npos);
}

TEST_CASE("Two signatures from the real CSPRNG use different nonces") {
    FixedClock clock(1700000000);
    SecureRandom random;
    RandomNonceSource nonces(random);
    OAuthSigner signer("key", "secret", clock, nonces);
    SignRequest request;
    request.method = "GET";
    request.url = "https://api.twitter.com/1.1/account/verify_credentials.json";
    auto first = signer.sign(request);
    auto second = signer.sign(request);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(find_param(first.value().oauth_params, "oauth_nonce") !=
          find_param(second.value().oauth_params, "oauth_nonce"));
    CHECK(first.value().authorization != second.value().authorization);
}
