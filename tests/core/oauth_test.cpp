#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "core/oauth.h"
#include "core/query.h"

using perch::authorization_header;
using perch::base_string_uri;
using perch::ErrorCode;
using perch::normalize_parameters;
using perch::Params;
using perch::parse_authorization_header;
using perch::parse_query;
using perch::signature_base_string;
using perch::signing_key;

namespace {

std::string uri(std::string_view url) {
    auto result = base_string_uri(url);
    INFO(url);
    if (!result.ok()) FAIL(result.error().message);
    return result.value();
}

perch::Error uri_error(std::string_view url) {
    auto result = base_string_uri(url);
    INFO(url);
    REQUIRE_FALSE(result.ok());
    return result.error();
}

Params header_params(std::string_view header) {
    auto result = parse_authorization_header(header);
    INFO(header);
    if (!result.ok()) FAIL(result.error().message);
    return result.value();
}

perch::Error header_error(std::string_view header) {
    auto result = parse_authorization_header(header);
    INFO(header);
    REQUIRE_FALSE(result.ok());
    return result.error();
}

// RFC 5849 §3.4.1.1 / §3.4.1.3.1: the request's query, its form body and its
// Authorization header parameters, all decoded (oauth_signature excluded).
Params rfc_example_params() {
    Params params = parse_query("b5=%3D%253D&a3=a&c%40=&a2=r%20b").value();
    const Params body = parse_query("c2&a3=2+q").value();
    params.insert(params.end(), body.begin(), body.end());
    const Params oauth = header_params(
        "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", "
        "oauth_token=\"kkk9d7dh3k39sjv7\", oauth_signature_method=\"HMAC-SHA1\", "
        "oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\"");
    params.insert(params.end(), oauth.begin(), oauth.end());
    return params;
}

Params twitter_example_params() {
    return {
        {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
        {"include_entities", "true"},
        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
        {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "1318622958"},
        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
        {"oauth_version", "1.0"},
    };
}

}  // namespace

TEST_CASE("RFC 5849 section 3.4.1.1 example produces the RFC's signature base string", "[oauth]") {
    const Params params = rfc_example_params();
    REQUIRE(params.size() == 11);
    const auto base = signature_base_string("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                                            params);
    REQUIRE(base.ok());
    CHECK(base.value() ==
          "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
          "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
          "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
          "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
          "9d7dh3k39sjv7");
}

TEST_CASE("RFC 5849 section 3.4.1.3.2 example normalizes the parameters as printed", "[oauth]") {
    CHECK(normalize_parameters(rfc_example_params()) ==
          "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9dj"
          "dj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1"
          "&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7");
}

TEST_CASE("Twitter's Creating a signature example produces its documented base string", "[oauth]") {
    const auto base = signature_base_string("POST", "https://api.twitter.com/1.1/statuses/update.json",
                                            twitter_example_params());
    REQUIRE(base.ok());
    CHECK(base.value() ==
          "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
          "%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
          "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958"
          "%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
          "%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
    CHECK(normalize_parameters(twitter_example_params()) ==
          "include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog"
          "&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1"
          "&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
          "&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
}

TEST_CASE("Twitter's example signing key joins the encoded secrets with an ampersand", "[oauth]") {
    CHECK(signing_key("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE") ==
          "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
}

TEST_CASE("The signing key keeps the ampersand when there is no token secret yet", "[oauth]") {
    CHECK(signing_key("j49sk3j29djd", "dh893hdasih9") == "j49sk3j29djd&dh893hdasih9");
    CHECK(signing_key("kd94hf93k423kf44", "") == "kd94hf93k423kf44&");
    CHECK(signing_key("a&b c", "\xC3\xA9") == "a%26b%20c&%C3%A9");
}

TEST_CASE("RFC 5849 section 3.4.1.2 base string URI examples", "[oauth]") {
    CHECK(uri("http://EXAMPLE.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X");
    CHECK(uri("https://www.example.net:8080/?q=1") == "https://www.example.net:8080/");
}

TEST_CASE("Base string URIs lower-case scheme and host but keep the path's case", "[oauth]") {
    CHECK(uri("HTTPS://API.Twitter.COM/OAuth/Request_Token") == "https://api.twitter.com/OAuth/Request_Token");
}

TEST_CASE("Base string URIs drop only the default port of their own scheme", "[oauth]") {
    CHECK(uri("http://example.com:80/a") == "http://example.com/a");
    CHECK(uri("https://example.com:443/a") == "https://example.com/a");
    CHECK(uri("http://example.com:443/a") == "http://example.com:443/a");
    CHECK(uri("https://example.com:80/a") == "https://example.com:80/a");
    CHECK(uri("http://127.0.0.1:8080/cb") == "http://127.0.0.1:8080/cb");
    CHECK(uri("http://example.com:1/") == "http://example.com:1/");
    CHECK(uri("http://example.com:65535/") == "http://example.com:65535/");
}

TEST_CASE("Base string URIs turn an empty path into a slash and drop query and fragment", "[oauth]") {
    CHECK(uri("http://example.com") == "http://example.com/");
    CHECK(uri("http://example.com?x=1") == "http://example.com/");
    CHECK(uri("http://example.com#frag") == "http://example.com/");
    CHECK(uri("http://example.com:8080") == "http://example.com:8080/");
    CHECK(uri("http://example.com/a/b/?x=1#y") == "http://example.com/a/b/");
    CHECK(uri("http://example.com/p#f?q") == "http://example.com/p");
}

TEST_CASE("Base string URIs keep the path's escapes and allowed characters as written", "[oauth]") {
    CHECK(uri("http://example.com/a%2fb/%C3%A9") == "http://example.com/a%2fb/%C3%A9");
    CHECK(uri("http://example.com/!$&'()*+,;=:@-._~") == "http://example.com/!$&'()*+,;=:@-._~");
}

TEST_CASE("Base string URIs accept bracketed IPv6 hosts", "[oauth]") {
    CHECK(uri("http://[::1]:8080/cb") == "http://[::1]:8080/cb");
    CHECK(uri("http://[::1]:80/cb") == "http://[::1]/cb");
    CHECK(uri("https://[2001:DB8::1]") == "https://[2001:db8::1]/");
}

TEST_CASE("Base string URIs reject schemes other than http and https", "[oauth]") {
    for (const char* url : {"ftp://example.com/", "javascript://x/", "file:///etc/passwd", "httpx://a/"}) {
        const auto error = uri_error(url);
        CHECK(error.code == ErrorCode::invalid_uri);
        CHECK(error.message == "URL scheme must be http or https");
    }
}

TEST_CASE("Base string URIs reject relative and scheme-relative URLs", "[oauth]") {
    for (const char* url : {"", "/request", "//example.com/a", "example.com/a", "http:/example.com", "mailto:a@b"}) {
        const auto error = uri_error(url);
        CHECK(error.code == ErrorCode::invalid_uri);
        CHECK(error.message == "URL is not absolute");
    }
}

TEST_CASE("Base string URIs reject user information", "[oauth]") {
    CHECK(uri_error("http://user:pass@example.com/").message == "URL must not contain user information");
    CHECK(uri_error("http://@example.com/").message == "URL must not contain user information");
}

TEST_CASE("Base string URIs reject an empty or invalid host", "[oauth]") {
    CHECK(uri_error("http:///path").message == "URL has no host");
    CHECK(uri_error("http://:80/").message == "URL has no host");
    CHECK(uri_error("http://exa%6Dple.com/").message == "URL has an invalid host");
    CHECK(uri_error("http://a:b:c/").message == "URL has an invalid host");
    CHECK(uri_error("http://[zz]/").message == "URL has an invalid host");
    CHECK(uri_error("http://[::1/").message == "URL has an invalid host");
    CHECK(uri_error("http://ex<ample.com/").message == "URL has an invalid host");
}

TEST_CASE("Base string URIs reject ports outside 1 to 65535 or written oddly", "[oauth]") {
    for (const char* url : {"http://example.com:/", "http://example.com:0/", "http://example.com:65536/",
                            "http://example.com:080/", "http://example.com:8o/", "http://example.com:123456/",
                            "http://example.com:-1/", "http://example.com:+80/"}) {
        const auto error = uri_error(url);
        CHECK(error.code == ErrorCode::invalid_uri);
        CHECK(error.message == "URL has an invalid port");
    }
}

TEST_CASE("Base string URIs reject spaces, control and non-ASCII bytes anywhere", "[oauth]") {
    for (std::string url : {"http://example.com/a b", "http://example.com/a\tb", "http://example.com/\x7F",
                            "http://example.com/caf\xC3\xA9", " http://example.com/", "http://example.com/?q= 1",
                            "http://example.com/\r\nX: y"}) {
        const auto error = uri_error(url);
        CHECK(error.code == ErrorCode::invalid_uri);
        CHECK(error.message == "URL contains a space, control or non-ASCII character");
    }
    CHECK(uri_error(std::string("http://example.com/\0", 20)).code == ErrorCode::invalid_uri);
}

TEST_CASE("Base string URIs reject invalid path characters and broken escapes", "[oauth]") {
    for (const char* url : {"http://example.com/a%2", "http://example.com/a%zz", "http://example.com/%",
                            "http://example.com/a\"b", "http://example.com/<x>", "http://example.com/a\\b",
                            "http://example.com/{x}", "http://example.com/a|b", "http://example.com/[x]"}) {
        const auto error = uri_error(url);
        CHECK(error.code == ErrorCode::invalid_uri);
        CHECK(error.message == "URL has an invalid path");
    }
}

TEST_CASE("Base string URIs are bounded in length", "[oauth]") {
    const std::string prefix = "http://example.com/";
    const std::string at_limit = prefix + std::string(perch::max_url_length - prefix.size(), 'a');
    CHECK(uri(at_limit) == at_limit);
    const auto error = uri_error(at_limit + "a");
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "URL is longer than 8192 bytes");
}

TEST_CASE("Signature base strings upper-case and encode the method", "[oauth]") {
    CHECK(signature_base_string("get", "http://example.com/", {}).value() == "GET&http%3A%2F%2Fexample.com%2F&");
    CHECK(signature_base_string("M-SEARCH", "http://example.com/", {{"a", "1"}}).value() ==
          "M-SEARCH&http%3A%2F%2Fexample.com%2F&a%3D1");
    CHECK(signature_base_string("A B", "http://example.com/", {}).value() == "A%20B&http%3A%2F%2Fexample.com%2F&");
    const auto empty = signature_base_string("", "http://example.com/", {});
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == ErrorCode::invalid_field);
    CHECK(empty.error().message == "HTTP method is empty");
}

TEST_CASE("Signature base strings pass on the URI error", "[oauth]") {
    const auto base = signature_base_string("GET", "ftp://example.com/", {});
    REQUIRE_FALSE(base.ok());
    CHECK(base.error().code == ErrorCode::invalid_uri);
    CHECK(base.error().message == "URL scheme must be http or https");
}

TEST_CASE("Normalization sorts by encoded name, then encoded value, in byte order", "[oauth]") {
    CHECK(normalize_parameters({}) == "");
    CHECK(normalize_parameters({{"b", "1"}, {"a", "2"}, {"a", "10"}, {"A", "z"}}) == "A=z&a=10&a=2&b=1");
    // '%' (0x25) sorts before letters, so encoded names order differently from raw ones.
    CHECK(normalize_parameters({{"a", "x"}, {"\xC3\xA9", "y"}, {" ", "z"}}) == "%20=z&%C3%A9=y&a=x");
    CHECK(normalize_parameters({{"a", "~"}, {"a", "%"}, {"a", "z"}}) == "a=%25&a=z&a=~");
    CHECK(normalize_parameters({{"x", ""}, {"x", ""}}) == "x=&x=");
}

TEST_CASE("The Authorization header of Twitter's example is built exactly", "[oauth]") {
    const Params oauth{
        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
        {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
        {"oauth_signature", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "1318622958"},
        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
        {"oauth_version", "1.0"},
    };
    const std::string header = authorization_header(oauth);
    CHECK(header ==
          "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
          "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
          "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", oauth_signature_method=\"HMAC-SHA1\", "
          "oauth_timestamp=\"1318622958\", oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
          "oauth_version=\"1.0\"");
    CHECK(header_params(header) == oauth);
}

TEST_CASE("The Authorization header puts a realm first and leaves out an empty one", "[oauth]") {
    CHECK(authorization_header({{"oauth_callback", "http://127.0.0.1:8080/cb?x=1"}}, "Photos") ==
          "OAuth realm=\"Photos\", oauth_callback=\"http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Fx%3D1\"");
    CHECK(authorization_header({{"a", "1"}}, "") == "OAuth a=\"1\"");
    CHECK(authorization_header({{"a", "\xE2\x98\x83"}}, "My Realm") == "OAuth realm=\"My%20Realm\", a=\"%E2%98%83\"");
}

TEST_CASE("RFC 5849 section 3.5.1 header parses into decoded pairs without the realm", "[oauth]") {
    CHECK(header_params("OAuth realm=\"Example\", oauth_consumer_key=\"0685bd9184jfhq22\", "
                        "oauth_token=\"ad180jjd733klru7\", oauth_signature_method=\"HMAC-SHA1\", "
                        "oauth_signature=\"wOJIO9A2W5mFwDgiDvZbTSMK%2FPY%3D\", oauth_timestamp=\"137131200\", "
                        "oauth_nonce=\"4572616e48616d6d65724c61686176\", oauth_version=\"1.0\"") ==
          Params{{"oauth_consumer_key", "0685bd9184jfhq22"},
                 {"oauth_token", "ad180jjd733klru7"},
                 {"oauth_signature_method", "HMAC-SHA1"},
                 {"oauth_signature", "wOJIO9A2W5mFwDgiDvZbTSMK/PY="},
                 {"oauth_timestamp", "137131200"},
                 {"oauth_nonce", "4572616e48616d6d65724c61686176"},
                 {"oauth_version", "1.0"}});
}

TEST_CASE("The OAuth scheme is matched in any case and followed by one or more spaces", "[oauth]") {
    CHECK(header_params("oauth a=\"1\"") == Params{{"a", "1"}});
    CHECK(header_params("OAUTH   a=\"1\"") == Params{{"a", "1"}});
    for (const char* header : {"Bearer a=\"1\"", "OAuth", "OAuth\ta=\"1\"", "OAutha=\"1\"", "OAuth2 a=\"1\"",
                               " OAuth a=\"1\"", ""}) {
        const auto error = header_error(header);
        CHECK(error.code == ErrorCode::invalid_field);
        CHECK(error.message == "Authorization header does not use the OAuth scheme");
    }
    CHECK(header_error("OAuth ").message == "Authorization header has no parameters");
    CHECK(header_error("OAuth    ").message == "Authorization header has no parameters");
}

TEST_CASE("Optional whitespace is allowed around commas and at the end", "[oauth]") {
    const Params expected{{"a", "1"}, {"b", "2"}, {"c", ""}};
    CHECK(header_params("OAuth a=\"1\",b=\"2\",c=\"\"") == expected);
    CHECK(header_params("OAuth a=\"1\" ,\tb=\"2\"  ,  c=\"\" \t") == expected);
}

TEST_CASE("Header syntax errors name what was expected", "[oauth]") {
    CHECK(header_error("OAuth a=1").message == "Authorization header expects =\" after a parameter name at byte 7");
    CHECK(header_error("OAuth a = \"1\"").message ==
          "Authorization header expects =\" after a parameter name at byte 7");
    CHECK(header_error("OAuth =\"1\"").message == "Authorization header expects a parameter name at byte 6");
    CHECK(header_error("OAuth a=\"1\",").message == "Authorization header ends with a comma");
    CHECK(header_error("OAuth a=\"1\", ").message == "Authorization header ends with a comma");
    CHECK(header_error("OAuth a=\"1\",,b=\"2\"").message ==
          "Authorization header expects a parameter name at byte 12");
    CHECK(header_error("OAuth a=\"1\" b=\"2\"").message == "Authorization header expects a comma at byte 12");
    CHECK(header_error("OAuth a=\"1").message == "Authorization header has an unterminated quoted value");
    CHECK(header_error("OAuth a=\"1\"x").message == "Authorization header expects a comma at byte 11");
    CHECK(header_error("OAuth a").message == "Authorization header expects =\" after a parameter name at byte 7");
}

TEST_CASE("Header values must be percent-encoded: raw reserved characters are rejected", "[oauth]") {
    const std::pair<const char*, const char*> cases[] = {
        {"OAuth a=\"x y\"", "byte 10"}, {"OAuth a=\"x+y\"", "byte 10"},      {"OAuth a=\"x/y\"", "byte 10"},
        {"OAuth a=\"x=\"", "byte 10"},  {"OAuth a=\"\\\"\"", "byte 9"}, {"OAuth a=\"caf\xC3\xA9\"", "byte 12"},
        {"OAuth a=\"x\ty\"", "byte 10"}};
    for (const auto& [header, where] : cases) {
        const auto error = header_error(header);
        CHECK(error.code == ErrorCode::invalid_field);
        CHECK(error.message == std::string("Authorization header has a character not allowed in a value at ") + where);
    }
    CHECK(header_error("OAuth a b=\"1\"").message == "Authorization header expects =\" after a parameter name at byte 7");
}

TEST_CASE("Header names and values are percent-decoded strictly", "[oauth]") {
    CHECK(header_params("OAuth a%20b=\"%E2%98%83%2b\"") == Params{{"a b", "\xE2\x98\x83+"}});
    auto error = header_error("OAuth a=\"%ZZ\"");
    CHECK(error.code == ErrorCode::invalid_encoding);
    CHECK(error.message == "Authorization header parameter value: malformed percent-escape at byte 0");
    error = header_error("OAuth a=\"%00\"");
    CHECK(error.message == "Authorization header parameter value: text contains a NUL byte");
    error = header_error("OAuth %FF=\"1\"");
    CHECK(error.code == ErrorCode::invalid_encoding);
    CHECK(error.message == "Authorization header parameter name: text is not valid UTF-8");
}

TEST_CASE("The realm is dropped and may hold printable characters other parameters may not", "[oauth]") {
    CHECK(header_params("OAuth realm=\"Photos, Inc. / API\", a=\"1\"") == Params{{"a", "1"}});
    CHECK(header_params("OAuth a=\"1\", realm=\"\"") == Params{{"a", "1"}});
    CHECK(header_params("OAuth r%65alm=\"x\", a=\"1\"") == Params{{"a", "1"}});
    CHECK(header_error("OAuth realm=\"a\\\"b\"").message ==
          "Authorization header has a character not allowed in a value at byte 14");
    CHECK(header_error("OAuth realm=\"caf\xC3\xA9\"").code == ErrorCode::invalid_field);
}

TEST_CASE("Duplicated header parameters are an error, also when only the encoding differs", "[oauth]") {
    for (const char* header : {"OAuth a=\"1\", a=\"1\"", "OAuth a=\"1\", b=\"2\", a=\"3\"", "OAuth a=\"1\", %61=\"2\"",
                               "OAuth realm=\"x\", realm=\"y\"", "OAuth oauth_token=\"\", oauth_token=\"t\""}) {
        const auto error = header_error(header);
        CHECK(error.code == ErrorCode::invalid_field);
        CHECK(error.message == "Authorization header repeats a parameter");
    }
}

TEST_CASE("The header parameter count limit allows exactly 32 pairs, realm included", "[oauth]") {
    auto header_with = [](std::size_t count, bool realm) {
        std::string header = realm ? "OAuth realm=\"r\"" : "OAuth ";
        for (std::size_t i = 0; i < count; ++i) {
            if (realm || i > 0) header += ", ";
            header += "p" + std::to_string(i) + "=\"v\"";
        }
        return header;
    };
    CHECK(header_params(header_with(32, false)).size() == 32);
    CHECK(header_params(header_with(31, true)).size() == 31);
    auto error = header_error(header_with(33, false));
    CHECK(error.code == ErrorCode::too_many);
    CHECK(error.message == "Authorization header has more than 32 parameters");
    CHECK(header_error(header_with(32, true)).code == ErrorCode::too_many);
}

TEST_CASE("The header length limit allows exactly 8192 bytes", "[oauth]") {
    const std::string prefix = "OAuth a=\"";
    const std::string at_limit = prefix + std::string(perch::max_authorization_header_length - prefix.size() - 1, 'x') + "\"";
    REQUIRE(at_limit.size() == 8192);
    CHECK(header_params(at_limit)[0].value.size() == 8182);
    const auto error = header_error(at_limit + " ");
    CHECK(error.code == ErrorCode::too_long);
    CHECK(error.message == "Authorization header is longer than 8192 bytes");
    CHECK(header_error(std::string(1 << 20, 'x')).code == ErrorCode::too_long);
}

TEST_CASE("Built headers parse back to the same pairs, Unicode and empty values included", "[oauth]") {
    const Params params{{"oauth_callback", "https://example.com/cb?a=1&b=\xE2\x98\x83"},
                        {"oauth_token", ""},
                        {"name with space", "\"quoted\" \\ value"},
                        {"\xF0\x9F\x90\xA6", "bird"}};
    CHECK(header_params(authorization_header(params, "realm with \"quotes\"")) == params);
}
