#include <catch2/catch.hpp>

#include "emulator_fixture.h"
#include "emulator/oauth2/oauth2_authorize.h"

using namespace perch::emulator;
using namespace perch::emulator::testing;

namespace {

Params with(Params params, const std::string& name, const std::string& value) {
    for (perch::Param& p : params)
        if (p.name == name) p.value = value;
    return params;
}

Params without(Params params, const std::string& name) {
    Params kept;
    for (const perch::Param& p : params)
        if (p.name != name) kept.push_back(p);
    return kept;
}

// A refusal that goes back to the app: error (and state) on the redirect URI.
void check_redirected_error(const EmuResponse& response, const std::string& error, const std::string& state) {
    CHECK(response.status == 302);
    const std::string location = header(response, "Location");
    CHECK(location.rfind(std::string(redirect_uri) + "?error=" + error + "&", 0) == 0);
    const Params back = location_params(response);
    CHECK(param(back, "error") == error);
    CHECK_FALSE(param(back, "error_description").empty());
    if (state.empty()) CHECK_FALSE(perch::find_param(back, "state").has_value());
    else CHECK(param(back, "state") == state);
    CHECK_FALSE(perch::find_param(back, "code").has_value());
}

}  // namespace

TEST_CASE("The OAuth 2.0 consent page shows the app, the user and the requested scopes") {
    OAuth2Flow flow;
    const EmuResponse page = flow.authorize(OAuth2Flow::authorize_params("tweet.read users.read users.email"));
    REQUIRE(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("Perch Test App") != std::string::npos);
    CHECK(page.body.find("@zoe_perch") != std::string::npos);
    CHECK(page.body.find("<ul id=\"scopes\">") != std::string::npos);
    for (const char* scope : {"tweet.read", "users.read", "users.email"})
        CHECK(page.body.find("data-scope=\"" + std::string(scope) + "\"") != std::string::npos);
    CHECK(page.body.find("id=\"oauth_form\"") != std::string::npos);
    CHECK(page.body.find("id=\"cancel_form\"") != std::string::npos);
    CHECK(page.body.find("<button type=\"submit\" id=\"allow\">Authorize app</button>") != std::string::npos);
    CHECK(page.body.find("<button type=\"submit\" id=\"cancel\">Cancel</button>") != std::string::npos);
    CHECK(page.body.find("action=\"/i/oauth2/authorize\"") != std::string::npos);
    CHECK(header(page, "Content-Security-Policy").find("form-action 'self' http://127.0.0.1:8080;") !=
          std::string::npos);
}

TEST_CASE("Authorize app redirects to the exact redirect URI with state and code") {
    OAuth2Flow flow;
    const EmuResponse redirect = flow.decide(flow.authorize(), true);
    CHECK(redirect.status == 302);
    const std::string location = header(redirect, "Location");
    CHECK(location.rfind(std::string(redirect_uri) + "?state=state-123&code=", 0) == 0);
    CHECK(param(location_params(redirect), "code").size() == 43);
}

TEST_CASE("Cancel redirects with error=access_denied and the state, and no code") {
    OAuth2Flow flow;
    const EmuResponse redirect = flow.decide(flow.authorize(), false);
    CHECK(redirect.status == 302);
    CHECK(header(redirect, "Location") == std::string(redirect_uri) + "?error=access_denied&state=state-123");
}

TEST_CASE("The OAuth 2.0 consent form is answered once and checks its authenticity token") {
    OAuth2Flow flow;
    const EmuResponse page = flow.authorize();
    const std::string id = form_value(page.body, "request_id");
    const std::string csrf = form_value(page.body, "authenticity_token");
    auto post = [&](const std::string& body) {
        return flow.emulator->handle(make_request("POST", "/i/oauth2/authorize", {}, {}, body, form_type));
    };
    CHECK(post("authenticity_token=" + csrf + "x&request_id=" + id).status == 403);
    CHECK(post("request_id=" + id).status == 400);
    CHECK(post("authenticity_token=" + csrf + "&request_id=nope").status == 404);
    CHECK(flow.decide(page, true).status == 302);
    CHECK(flow.decide(page, true).status == 410);

    EmuRequest foreign = make_request("POST", "/i/oauth2/authorize", {}, {},
                                      "authenticity_token=" + csrf + "&request_id=" + id, form_type);
    foreign.headers.emplace("origin", "http://evil.example");
    CHECK(flow.emulator->handle(foreign).status == 403);
}

TEST_CASE("An unknown client or an unregistered redirect URI gets an error page, never a redirect") {
    OAuth2Flow flow;
    const Params good = OAuth2Flow::authorize_params();
    for (const Params& bad : {with(good, "client_id", "someone-else"), without(good, "client_id"),
                              with(good, "redirect_uri", std::string(redirect_uri) + "/"),
                              with(good, "redirect_uri", "http://evil.example/cb"), without(good, "redirect_uri")}) {
        const EmuResponse response = flow.authorize(bad);
        CHECK(response.status == 400);
        CHECK(header(response, "Location").empty());
        CHECK(response.body.find("Something went wrong") != std::string::npos);
        CHECK(response.body.find("<form") == std::string::npos);
    }
    Params twice = good;
    twice.push_back({"redirect_uri", redirect_uri});
    CHECK(flow.authorize(twice).status == 400);
    CHECK(flow.emulator->handle(make_request("GET", "/i/oauth2/authorize", "client_id=%zz")).status == 400);
}

TEST_CASE("Without a registered client every authorization request gets the error page") {
    OAuth2Flow flow(test_config());
    const EmuResponse response = flow.authorize();
    CHECK(response.status == 400);
    CHECK(header(response, "Location").empty());
}

TEST_CASE("Other problems go back to the app as error and state") {
    OAuth2Flow flow;
    const Params good = OAuth2Flow::authorize_params();
    check_redirected_error(flow.authorize(with(good, "response_type", "token")), "unsupported_response_type",
                           "state-123");
    check_redirected_error(flow.authorize(without(good, "response_type")), "invalid_request", "state-123");
    check_redirected_error(flow.authorize(with(good, "scope", "tweet.read email")), "invalid_scope", "state-123");
    check_redirected_error(flow.authorize(without(good, "scope")), "invalid_request", "state-123");
    check_redirected_error(flow.authorize(with(good, "code_challenge_method", "plain")), "invalid_request",
                           "state-123");
    check_redirected_error(flow.authorize(without(good, "code_challenge_method")), "invalid_request", "state-123");
    check_redirected_error(flow.authorize(without(good, "code_challenge")), "invalid_request", "state-123");
    check_redirected_error(flow.authorize(with(good, "code_challenge", "short")), "invalid_request", "state-123");
    check_redirected_error(flow.authorize(without(good, "state")), "invalid_request", "");
    Params scope_twice = good;
    scope_twice.push_back({"scope", "tweet.read"});
    check_redirected_error(flow.authorize(scope_twice), "invalid_request", "state-123");
}

TEST_CASE("A state of up to 500 characters is accepted, a longer one refused") {
    OAuth2Flow flow;
    const std::string longest(max_state_length, 's');
    const EmuResponse page = flow.authorize(OAuth2Flow::authorize_params("tweet.read", longest));
    REQUIRE(page.status == 200);
    CHECK(param(location_params(flow.decide(page, true)), "state") == longest);

    const std::string too_long(max_state_length + 1, 's');
    check_redirected_error(flow.authorize(OAuth2Flow::authorize_params("tweet.read", too_long)), "invalid_request",
                           too_long);
}

TEST_CASE("Registered redirects: --allowed-redirect, else --allowed-callback, exact strings") {
    EmulatorConfig config = oauth2_config();
    config.allowed_redirects.clear();
    config.allowed_callbacks = {redirect_uri};
    OAuth2Flow from_callbacks(config);
    CHECK(from_callbacks.authorize().status == 200);
    CHECK(from_callbacks.authorize(with(OAuth2Flow::authorize_params(), "redirect_uri",
                                        std::string(redirect_uri) + "?tab=2"))
              .status == 400);

    config.allowed_callbacks.clear();
    OAuth2Flow open(config);
    CHECK(open.authorize(with(OAuth2Flow::authorize_params(), "redirect_uri", "http://127.0.0.1:1/any?x=1"))
              .status == 200);
    CHECK(open.authorize(with(OAuth2Flow::authorize_params(), "redirect_uri", "oob")).status == 400);
    CHECK(open.authorize(with(OAuth2Flow::authorize_params(), "redirect_uri", "javascript:alert(1)")).status == 400);
}

TEST_CASE("A registered redirect URI with a query keeps it, and the answer is appended") {
    EmulatorConfig config = oauth2_config();
    config.allowed_redirects = {"http://127.0.0.1:8080/cb?flow=1"};
    OAuth2Flow flow(config);
    const EmuResponse page =
        flow.authorize(with(OAuth2Flow::authorize_params(), "redirect_uri", "http://127.0.0.1:8080/cb?flow=1"));
    REQUIRE(page.status == 200);
    CHECK(header(flow.decide(page, true), "Location").rfind("http://127.0.0.1:8080/cb?flow=1&state=state-123&code=",
                                                            0) == 0);
}

TEST_CASE("In --fast mode /i/oauth2/authorize approves at once, still validating the request") {
    EmulatorConfig config = oauth2_config();
    config.fast = true;
    OAuth2Flow flow(config);
    const EmuResponse redirect = flow.authorize();
    CHECK(redirect.status == 302);
    const std::string code = param(location_params(redirect), "code");
    CHECK(flow.exchange(code).status == 200);
    CHECK(flow.authorize(with(OAuth2Flow::authorize_params(), "client_id", "x")).status == 400);
}

TEST_CASE("The consent page is never faulted") {
    EmulatorConfig config = oauth2_config();
    config.fault = FaultPlan{FaultMode::http500, FaultEndpoint::all, std::chrono::milliseconds(10)};
    OAuth2Flow flow(config);
    const EmuResponse page = flow.authorize();
    CHECK(page.status == 200);
    CHECK(flow.decide(page, true).status == 302);
}
