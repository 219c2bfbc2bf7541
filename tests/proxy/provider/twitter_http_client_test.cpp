#include <catch2/catch.hpp>

#include <set>

#include "core/oauth.h"
#include "provider/signer.h"
#include "provider/twitter_http_client.h"
#include "upstream_fakes.h"

using namespace perch;
using perch::test::FakeTransport;
using perch::test::FixedClock;
using perch::test::ScriptedRandom;

namespace {

const char* const consumer_secret = "CONSUMERSECRETxyz";

TwitterSettings test_config() {
    TwitterSettings config;
    config.consumer_key = "ckey";
    config.consumer_secret = consumer_secret;
    config.callback_url = "http://127.0.0.1:8080/signup/callback";
    config.twitter_api = "http://127.0.0.1:9000";
    return config;
}

struct Fixture {
    TwitterSettings config = test_config();
    FixedClock clock{1700000000};
    ScriptedRandom random{{1, 2, 3, 4, 5, 6, 7}};
    FakeTransport transport;
    TwitterHttpClient client{config, transport, clock, random};
};

std::string header_of(const OutgoingRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) return value;
    }
    return {};
}

// Parses the request's Authorization header and checks its signature the way a
// provider would: every signed pair = URL query + form body + header params.
Params checked_oauth_params(const OutgoingRequest& request, const std::string& token_secret) {
    auto header = parse_authorization_header(header_of(request, "Authorization"));
    REQUIRE(header.ok());
    Params signed_pairs;
    const auto question = request.url.find('?');
    if (question != std::string::npos) {
        auto query = parse_query(request.url.substr(question + 1));
        REQUIRE(query.ok());
        signed_pairs = query.value();
    }
    std::string signature;
    for (const Param& param : header.value()) {
        if (param.name == "oauth_signature") signature = param.value;
        else signed_pairs.push_back(param);
    }
    auto expected = sign_parameters(request.method, request.url, signed_pairs, consumer_secret, token_secret);
    REQUIRE(expected.ok());
    CHECK(signature == expected.value().signature);
    return header.value();
}

std::set<std::string> names_of(const Params& params) {
    std::set<std::string> names;
    for (const Param& param : params) names.insert(param.name);
    return names;
}

const RequestToken request_token_value{"reqTOKEN123", "reqSECRET456"};
const AccessToken access_token_value{"99-accessTOKEN", "accessSECRET789", "1234567890123456789", "perch_user"};

std::string failure_message(const ProviderFailure& failure) { return failure.message; }

}  // namespace

TEST_CASE("request_token POSTs with oauth_callback signed in the Authorization header only") {
    Fixture f;
    f.transport.answer(200, "oauth_token=reqTOKEN123&oauth_token_secret=reqSECRET456&oauth_callback_confirmed=true");
    auto result = f.client.request_token();
    REQUIRE(result.ok());
    CHECK(result.value().token == "reqTOKEN123");
    CHECK(result.value().secret == "reqSECRET456");

    REQUIRE(f.transport.requests.size() == 1);
    const OutgoingRequest& sent = f.transport.requests[0];
    CHECK(sent.method == "POST");
    CHECK(sent.url == "http://127.0.0.1:9000/oauth/request_token");
    CHECK(sent.body.empty());
    CHECK(sent.content_type == "application/x-www-form-urlencoded");
    CHECK(header_of(sent, "User-Agent") == "perch-proxy");
    CHECK(sent.headers.size() == 3);  // Authorization, Accept, User-Agent: nothing else leaks out
    const Params oauth = checked_oauth_params(sent, "");
    CHECK(names_of(oauth) == std::set<std::string>{"oauth_callback", "oauth_consumer_key", "oauth_nonce",
                                                   "oauth_signature", "oauth_signature_method", "oauth_timestamp",
                                                   "oauth_version"});
    CHECK(find_param(oauth, "oauth_callback") == std::optional<std::string>("http://127.0.0.1:8080/signup/callback"));
    CHECK(find_param(oauth, "oauth_consumer_key") == std::optional<std::string>("ckey"));
    CHECK(find_param(oauth, "oauth_timestamp") == std::optional<std::string>("1700000000"));
    CHECK(find_param(oauth, "oauth_signature_method") == std::optional<std::string>("HMAC-SHA1"));
    CHECK(find_param(oauth, "oauth_version") == std::optional<std::string>("1.0"));
    CHECK(find_param(oauth, "oauth_nonce")->size() >= 22);  // >= 16 random bytes
}

TEST_CASE("request_token fails unless the provider confirms the callback") {
    Fixture f;
    f.transport.answer(200, "oauth_token=reqTOKEN123&oauth_token_secret=reqSECRET456&oauth_callback_confirmed=false");
    auto result = f.client.request_token();
    REQUIRE(!result.ok());
    const auto& failure = result.error();
    CHECK(failure.kind == ProviderFailure::Kind::error);
    CHECK(failure.message ==
          "request_token answer unusable: request token response does not confirm the callback "
          "(oauth_callback_confirmed is not true)");
    CHECK(failure.message.find("reqSECRET456") == std::string::npos);
}

TEST_CASE("authenticate_url points at /oauth/authenticate with the encoded token") {
    Fixture f;
    CHECK(f.client.authenticate_url("abc-DEF_123") == "http://127.0.0.1:9000/oauth/authenticate?oauth_token=abc-DEF_123");
    CHECK(f.client.authenticate_url("a b&c") == "http://127.0.0.1:9000/oauth/authenticate?oauth_token=a%20b%26c");
}

TEST_CASE("A trailing slash on the API base does not double the slash in provider URLs") {
    TwitterSettings config = test_config();
    config.twitter_api = "http://127.0.0.1:9000/";
    FixedClock clock(1700000000);
    ScriptedRandom random({9});
    FakeTransport transport;
    TwitterHttpClient client(config, transport, clock, random);
    CHECK(client.authenticate_url("t") == "http://127.0.0.1:9000/oauth/authenticate?oauth_token=t");
}

TEST_CASE("access_token signs oauth_token and oauth_verifier with the request-token secret, once") {
    Fixture f;
    f.transport.answer(200, "oauth_token=99-accessTOKEN&oauth_token_secret=accessSECRET789"
                            "&user_id=1234567890123456789&screen_name=perch_user");
    auto result = f.client.access_token(request_token_value, "verifierXYZ");
    REQUIRE(result.ok());
    const AccessToken& access = result.value();
    CHECK(access.token == "99-accessTOKEN");
    CHECK(access.secret == "accessSECRET789");
    CHECK(access.user_id == "1234567890123456789");
    CHECK(access.screen_name == "perch_user");

    REQUIRE(f.transport.requests.size() == 1);
    const OutgoingRequest& sent = f.transport.requests[0];
    CHECK(sent.method == "POST");
    CHECK(sent.url == "http://127.0.0.1:9000/oauth/access_token");
    CHECK(sent.body.empty());
    const Params oauth = checked_oauth_params(sent, "reqSECRET456");
    CHECK(names_of(oauth) == std::set<std::string>{"oauth_consumer_key", "oauth_nonce", "oauth_signature",
                                                   "oauth_signature_method", "oauth_timestamp", "oauth_token",
                                                   "oauth_verifier", "oauth_version"});
    CHECK(find_param(oauth, "oauth_token") == std::optional<std::string>("reqTOKEN123"));
    CHECK(find_param(oauth, "oauth_verifier") == std::optional<std::string>("verifierXYZ"));
}

TEST_CASE("access_token is never retried, even after a transport failure") {
    Fixture f;
    f.transport.fail(TransportFailure::connection, "connection to 127.0.0.1:9000 failed while reading");
    f.transport.answer(200, "oauth_token=99-accessTOKEN&oauth_token_secret=accessSECRET789"
                            "&user_id=1234567890123456789&screen_name=perch_user");
    auto result = f.client.access_token(request_token_value, "verifierXYZ");
    REQUIRE(!result.ok());
    CHECK(result.error().message ==
          "cannot talk to Twitter: connection to 127.0.0.1:9000 failed while reading");
    CHECK(f.transport.requests.size() == 1);
}

TEST_CASE("verify_credentials GETs the documented query, signed, with nothing oauth_* in the URL") {
    Fixture f;
    f.transport.answer(200, R"({"id":1234567890123456789,"id_str":"1234567890123456789","name":"Zoë","screen_name":"perch_user"})");
    auto result = f.client.verify_credentials(access_token_value);
    REQUIRE(result.ok());
    const VerifiedUser& user = result.value();
    CHECK(user.user_id == "1234567890123456789");
    CHECK(user.user["name"] == "Zoë");

    REQUIRE(f.transport.requests.size() == 1);
    const OutgoingRequest& sent = f.transport.requests[0];
    CHECK(sent.method == "GET");
    CHECK(sent.url ==
          "http://127.0.0.1:9000/1.1/account/verify_credentials.json?include_email=true&skip_status=true"
          "&include_entities=false");
    CHECK(sent.url.find("oauth_") == std::string::npos);
    CHECK(sent.body.empty());
    CHECK(sent.content_type.empty());
    const Params oauth = checked_oauth_params(sent, "accessSECRET789");
    CHECK(find_param(oauth, "oauth_token") == std::optional<std::string>("99-accessTOKEN"));
    CHECK(count_params(oauth, "oauth_verifier") == 0);
    CHECK(count_params(oauth, "oauth_callback") == 0);
}

TEST_CASE("verify_credentials refuses a user other than the access token's") {
    Fixture f;
    f.transport.answer(200, R"({"id_str":"42","screen_name":"someone_else"})");
    auto result = f.client.verify_credentials(access_token_value);
    REQUIRE(!result.ok());
    CHECK(result.error().message ==
          "verify_credentials returned a different user than the access token");
}

TEST_CASE("verify_credentials refuses unusable bodies") {
    struct Case {
        const char* body;
        const char* message;
    };
    const Case cases[] = {
        {R"({"id":1234567890123456789})", "verify_credentials answer has no id_str"},
        {R"({"id_str":1234567890123456789})", "verify_credentials answer has no id_str"},
        {R"({"id_str":""})", "verify_credentials answer has no id_str"},
        {R"(["1234567890123456789"])", "verify_credentials answer is not a JSON object"},
        {"<html>oops</html>", "verify_credentials answer is not usable JSON: "},
    };
    for (const Case& c : cases) {
        INFO(c.body);
        Fixture f;
        f.transport.answer(200, c.body);
        auto result = f.client.verify_credentials(access_token_value);
        REQUIRE(!result.ok());
        CHECK(result.error().kind == ProviderFailure::Kind::error);
        CHECK(result.error().message.rfind(c.message, 0) == 0);
    }
}

TEST_CASE("Twitter error answers become clear operator messages") {
    struct Case {
        int status;
        const char* body;
        std::string message;
    };
    const Case cases[] = {
        {401, R"({"errors":[{"code":32,"message":"Could not authenticate you."}]})",
         "request_token failed: Twitter error 32: Could not authenticate you. (Twitter could not authenticate the "
         "request (bad signature or credentials): check the consumer key and secret, and that the server clock is "
         "correct.)"},
        {401, R"({"errors":[{"code":135,"message":"Timestamp out of bounds."}]})",
         "request_token failed: Twitter error 135: Timestamp out of bounds. (The request timestamp is out of bounds: "
         "sync the server clock (NTP).)"},
        {401, R"({"errors":[{"code":89,"message":"Invalid or expired token."}]})",
         "request_token failed: Twitter error 89: Invalid or expired token. (The token is invalid or expired: start "
         "the sign-in again.)"},
        {403,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors><error code=\"415\">Callback URL not approved for this "
         "client application.</error></errors>",
         "request_token failed: Twitter error 415: Callback URL not approved for this client application. (The "
         "callback URL is not approved for this app: register PERCH_CALLBACK_URL as a callback URL in the Twitter "
         "developer portal.)"},
        {403, R"({"errors":[{"code":417,"message":"Desktop applications only support the oauth_callback value 'oob'"}]})",
         "request_token failed: Twitter error 417: Desktop applications only support the oauth_callback value 'oob' "
         "(Twitter treats this app as a desktop application, which only supports oauth_callback=oob: set a callback "
         "URL in the app settings.)"},
        {403, R"({"errors":[{"code":453,"message":"You currently have access to a subset of endpoints."}]})",
         "request_token failed: Twitter error 453: You currently have access to a subset of endpoints."},
        {500, "Internal Server Error", "request_token failed: Twitter answered HTTP 500: Internal Server Error"},
        {503, "", "request_token failed: Twitter answered HTTP 503: (empty response)"},
        {302, "", "request_token failed: Twitter answered HTTP 302: (empty response)"},
    };
    for (const Case& c : cases) {
        INFO(c.body);
        Fixture f;
        f.transport.answer(c.status, c.body);
        auto result = f.client.request_token();
        REQUIRE(!result.ok());
        CHECK(result.error().kind == ProviderFailure::Kind::error);
        CHECK(failure_message(result.error()) == c.message);
    }
}

TEST_CASE("Transport failures map to timeout or error without naming secrets") {
    struct Case {
        TransportFailure failure;
        const char* transport_message;
        ProviderFailure::Kind kind;
        std::string message;
    };
    const Case cases[] = {
        {TransportFailure::timeout, "no answer from 127.0.0.1:9000 within 10000 ms", ProviderFailure::Kind::timeout,
         "Twitter timed out: no answer from 127.0.0.1:9000 within 10000 ms"},
        {TransportFailure::connection, "cannot reach 127.0.0.1:9000: Connection", ProviderFailure::Kind::error,
         "cannot talk to Twitter: cannot reach 127.0.0.1:9000: Connection"},
        {TransportFailure::too_large, "answer from 127.0.0.1:9000 is larger than 262144 bytes",
         ProviderFailure::Kind::error, "cannot talk to Twitter: answer from 127.0.0.1:9000 is larger than 262144 bytes"},
        {TransportFailure::tls, "TLS with api.twitter.com failed", ProviderFailure::Kind::error,
         "cannot talk to Twitter: TLS with api.twitter.com failed"},
    };
    for (const Case& c : cases) {
        Fixture f;
        f.transport.fail(c.failure, c.transport_message);
        auto result = f.client.verify_credentials(access_token_value);
        REQUIRE(!result.ok());
        CHECK(result.error().kind == c.kind);
        CHECK(result.error().message == c.message);
    }
}

TEST_CASE("No provider failure message contains a credential the call used") {
    const char* bodies[] = {"oauth_token=reqTOKEN123&oauth_token_secret=reqSECRET456",
                            "oauth_token=99-accessTOKEN&oauth_token_secret=accessSECRET789&user_id=x&screen_name=y",
                            R"({"errors":[{"code":32,"message":"Could not authenticate you."}]})", "garbage\x01\xff",
                            "echo: CONSUMERSECRETxyz reqTOKEN123 reqSECRET456 verifierXYZ 99-accessTOKEN "
                            "accessSECRET789",
                            R"({"errors":[{"code":89,"message":"Invalid token 99-accessTOKEN"}]})"};
    std::size_t failures = 0;
    auto check = [&failures](const auto& result, std::initializer_list<std::string> credentials) {
        if (!result.ok()) {
            ++failures;
            for (const std::string& credential : credentials) {
                INFO(result.error().message);
                CHECK(result.error().message.find(credential) == std::string::npos);
            }
        }
    };
    for (const char* body : bodies) {
        for (int status : {200, 401}) {
            Fixture f;
            f.transport.answer(status, body);
            f.transport.answer(status, body);
            f.transport.answer(status, body);
            check(f.client.request_token(), {consumer_secret});
            check(f.client.access_token(request_token_value, "verifierXYZ"),
                  {consumer_secret, "reqTOKEN123", "reqSECRET456", "verifierXYZ"});
            check(f.client.verify_credentials(access_token_value),
                  {consumer_secret, "99-accessTOKEN", "accessSECRET789"});
        }
    }
    CHECK(failures >= 30);
}

TEST_CASE("A provider answer that repeats a credential is withheld from the message") {
    Fixture f;
    f.transport.answer(401, "bad token reqTOKEN123 with verifier verifierXYZ");
    auto result = f.client.access_token(request_token_value, "verifierXYZ");
    REQUIRE(!result.ok());
    CHECK(result.error().message ==
          "Twitter's answer was unusable (its text is withheld: it repeats a credential)");
}

TEST_CASE("A 453 answer from verify_credentials falls back to /2/users/me signed with OAuth 1.0a, from then on") {
    Fixture f;
    // X's Free tier answer, byte for byte in shape.
    f.transport.answer(403, R"({"errors":[{"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may need a different access level.","code":453}]})");
    f.transport.answer(200, R"({"data":{"id":"1234567890123456789","name":"Zoë","username":"perch_user"}})");
    f.transport.answer(200, R"({"data":{"id":"1234567890123456789","name":"Zoë","username":"perch_user"}})");
    auto first = f.client.verify_credentials(access_token_value);
    REQUIRE(first.ok());
    CHECK(first.value().user_id == "1234567890123456789");
    CHECK(first.value().user["username"] == "perch_user");
    REQUIRE(f.transport.requests.size() == 2);
    const OutgoingRequest& fallback = f.transport.requests[1];
    CHECK(fallback.method == "GET");
    CHECK(fallback.url == "http://127.0.0.1:9000/2/users/me?user.fields=id,name,username,profile_image_url");
    const Params oauth = checked_oauth_params(fallback, "accessSECRET789");
    CHECK(find_param(oauth, "oauth_token") == std::optional<std::string>("99-accessTOKEN"));

    // Until restart, v1.1 is not asked again.
    REQUIRE((f.client.verify_credentials(access_token_value)).ok());
    REQUIRE(f.transport.requests.size() == 3);
    CHECK(f.transport.requests[2].url.find("/2/users/me?") != std::string::npos);
}

TEST_CASE("Other 403 answers from verify_credentials stay failures, and the fallback checks the user") {
    Fixture f;
    f.transport.answer(403, R"({"errors":[{"code":326,"message":"To protect our users from spam ..."}]})");
    auto locked = f.client.verify_credentials(access_token_value);
    REQUIRE(!locked.ok());
    CHECK(f.transport.requests.size() == 1);

    Fixture g;
    g.transport.answer(403, R"({"errors":[{"message":"You currently have access to a subset of X API V2 endpoints only."}]})");
    g.transport.answer(200, R"({"data":{"id":"42","username":"someone_else"}})");
    auto other = g.client.verify_credentials(access_token_value);
    REQUIRE(!other.ok());
    CHECK(other.error().message == "users/me returned a different user than the access token");
}
