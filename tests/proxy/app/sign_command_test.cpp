#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "base/crypto.h"
#include "app/commands/sign_command.h"

using namespace perch;

namespace {

struct Run {
    int status;
    std::string out;
    std::string err;
};

Run run(const std::string& input) {
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const int status = run_sign_command(in, out, err);
    return Run{status, out.str(), err.str()};
}

const char* const twitter_example = R"({
  "method": "POST",
  "url": "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
  "params": [["include_entities", "true"],
             ["status", "Hello Ladies + Gentlemen, a signed OAuth request!"],
             ["oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"],
             ["oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"],
             ["oauth_signature_method", "HMAC-SHA1"],
             ["oauth_timestamp", "1318622958"],
             ["oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"],
             ["oauth_version", "1.0"]],
  "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
  "token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
})";

}  // namespace

TEST_CASE("perch-proxy sign prints Twitter's example base string and signature") {
    const Run result = run(twitter_example);
    CHECK(result.status == 0);
    CHECK(result.err.empty());
    CHECK(result.out ==
          "{\"base_string\":\"POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
          "%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
          "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-"
          "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520"
          "Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521\",\"signature\":\"hCtSmYh+iHYCEqBWrE7C7hYmtUk=\"}\n");
}

TEST_CASE("perch-proxy sign does not re-add the URL's query: the params list is the whole truth") {
    const Run result = run(R"({"method":"GET","url":"http://photos.example.net/photos?file=vacation.jpg",)"
                           R"("params":[],"consumer_secret":"c","token_secret":""})");
    CHECK(result.status == 0);
    const std::string base = "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&";
    CHECK(result.out == "{\"base_string\":\"" + base + "\",\"signature\":\"" + hmac_sha1_base64("c&", base) + "\"}\n");
    CHECK(result.out.find("file") == std::string::npos);
}

TEST_CASE("perch-proxy sign treats a missing token_secret as empty") {
    const Run with = run(R"({"method":"POST","url":"https://photos.example.net/initiate","params":[)"
                         R"(["oauth_consumer_key","dpf43f3p2l4k3l03"],["oauth_signature_method","HMAC-SHA1"],)"
                         R"(["oauth_timestamp","137131200"],["oauth_nonce","wIjqoS"],)"
                         R"(["oauth_callback","http://printer.example.com/ready"]],)"
                         R"("consumer_secret":"kd94hf93k423kf44","token_secret":""})");
    const Run without = run(R"({"method":"POST","url":"https://photos.example.net/initiate","params":[)"
                            R"(["oauth_consumer_key","dpf43f3p2l4k3l03"],["oauth_signature_method","HMAC-SHA1"],)"
                            R"(["oauth_timestamp","137131200"],["oauth_nonce","wIjqoS"],)"
                            R"(["oauth_callback","http://printer.example.com/ready"]],)"
                            R"("consumer_secret":"kd94hf93k423kf44"})");
    CHECK(with.status == 0);
    CHECK(with.out.find("\"signature\":\"74KNZJeDHnMBp0EMJ9ZHt/XKycU=\"") != std::string::npos);
    CHECK(without.out == with.out);
}

TEST_CASE("perch-proxy sign answers bad input with one JSON error on stderr and exit status 2") {
    struct Case {
        const char* input;
        const char* err;
    };
    const Case cases[] = {
        {"", "{\"error\":{\"code\":\"invalid_json\","},
        {"[1,2]", "{\"error\":{\"code\":\"invalid_json\",\"message\":\"input must be a JSON object\"}}\n"},
        {R"({"url":"https://a.example/","params":[],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"missing_field\",\"message\":\"missing field \\\"method\\\"\"}}\n"},
        {R"({"method":"GET","params":[],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"missing_field\",\"message\":\"missing field \\\"url\\\"\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","consumer_secret":"c"})",
         "{\"error\":{\"code\":\"missing_field\",\"message\":\"missing field \\\"params\\\"\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[]})",
         "{\"error\":{\"code\":\"missing_field\",\"message\":\"missing field \\\"consumer_secret\\\"\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[],"consumer_secret":"c","realm":"x"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"unknown field \\\"realm\\\"\"}}\n"},
        {R"({"method":7,"url":"https://a.example/","params":[],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field \\\"method\\\" must be a string\"}}\n"},
        {R"({"method":"","url":"https://a.example/","params":[],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field \\\"method\\\" must not be empty\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":{"a":"b"},"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field \\\"params\\\" must be an array of [name, value] "
         "pairs\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[["a","b"],["c"]],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"params[1] must be [name, value] with two strings\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[["a",1]],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"params[0] must be [name, value] with two strings\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[["oauth_signature","x"]],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"params[0] is oauth_signature, which is never "
         "signed\"}}\n"},
        {R"({"method":"GET","url":"https://a.example/","params":[],"consumer_secret":"c","token_secret":false})",
         "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field \\\"token_secret\\\" must be a string\"}}\n"},
        {R"({"method":"GET","url":"mailto:x@example.com","params":[],"consumer_secret":"c"})",
         "{\"error\":{\"code\":\"invalid_uri\","},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        const Run result = run(c.input);
        CHECK(result.status == 2);
        CHECK(result.out.empty());
        CHECK(result.err.rfind(c.err, 0) == 0);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("perch-proxy sign never echoes the secrets in an error") {
    const Run result = run(R"({"method":"GET","url":"not a url","params":[],)"
                           R"("consumer_secret":"TOPSECRETCONSUMER","token_secret":"TOPSECRETTOKEN"})");
    CHECK(result.status == 2);
    CHECK(result.err.find("TOPSECRET") == std::string::npos);
}

TEST_CASE("perch-proxy sign refuses input over 1 MiB") {
    const Run result = run(std::string(1024 * 1024 + 10, ' '));
    CHECK(result.status == 2);
    CHECK(result.err == "{\"error\":{\"code\":\"too_long\",\"message\":\"input is larger than 1 MiB\"}}\n");
}
