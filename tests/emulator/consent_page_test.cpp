#include <catch2/catch.hpp>

#include "emulator/consent_page.h"
#include "emulator/html.h"

using namespace perch::emulator;

namespace {

std::string header(const EmuResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers)
        if (key == name) return value;
    return {};
}

}  // namespace

TEST_CASE("HTML escaping covers the five special characters") {
    CHECK(html_escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(html_escape("Zo\u00eb") == "Zo\u00eb");
}

TEST_CASE("The consent page escapes every value and has both forms") {
    ConsentPage page{"<script>alert(1)</script>", "Zo\u00eb \"Z\"", "z<b>", "tok&en", "cs\"rf", "http://127.0.0.1:8080"};
    const EmuResponse response = consent_page(page);
    CHECK(response.status == 200);
    CHECK(response.content_type == "text/html; charset=utf-8");
    CHECK(response.body.find("<script") == std::string::npos);
    CHECK(response.body.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(response.body.find("Zo\u00eb &quot;Z&quot;") != std::string::npos);
    CHECK(response.body.find("@z&lt;b&gt;") != std::string::npos);
    CHECK(response.body.find("name=\"oauth_token\" value=\"tok&amp;en\"") != std::string::npos);
    CHECK(response.body.find("name=\"authenticity_token\" value=\"cs&quot;rf\"") != std::string::npos);
    CHECK(response.body.find("<button type=\"submit\" id=\"allow\">Authorize app</button>") != std::string::npos);
    CHECK(response.body.find("<button type=\"submit\" id=\"cancel\">Cancel</button>") != std::string::npos);
    CHECK(response.body.find("name=\"cancel\" value=\"1\"") != std::string::npos);
    CHECK(response.body.find("src=") == std::string::npos);
    CHECK(response.body.find("<link") == std::string::npos);
}

TEST_CASE("The consent page's policy allows its own style and the callback origin as form target") {
    const EmuResponse response = consent_page(ConsentPage{"App", "U", "u", "t", "c", "http://127.0.0.1:8080"});
    const std::string csp = header(response, "Content-Security-Policy");
    CHECK(csp.rfind("default-src 'none'; style-src 'sha256-", 0) == 0);
    CHECK(csp.find("form-action 'self' http://127.0.0.1:8080;") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(header(response, "X-Frame-Options") == "DENY");
    CHECK(header(response, "Cache-Control") == "no-store");
    // Not no-referrer: that makes browsers post the form with "Origin: null".
    CHECK(header(response, "Referrer-Policy") == "same-origin");
}

TEST_CASE("The PIN page shows the verifier escaped") {
    const EmuResponse response = pin_page("A&B", "12<34");
    CHECK(response.body.find("<code>12&lt;34</code>") != std::string::npos);
    CHECK(response.body.find("access to A&amp;B!") != std::string::npos);
}

TEST_CASE("Redirects answer 302 with the location and an escaped link") {
    const EmuResponse response = redirect_to("http://h/cb?a=1&b=2");
    CHECK(response.status == 302);
    CHECK(header(response, "Location") == "http://h/cb?a=1&b=2");
    CHECK(response.body.find("href=\"http://h/cb?a=1&amp;b=2\"") != std::string::npos);
}
