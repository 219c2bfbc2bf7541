#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "emulator_fixture.h"

using namespace perch::emulator;
using namespace perch::emulator::testing;
using perch::Params;
using nlohmann::json;


TEST_CASE("request_token answers a token, its secret and oauth_callback_confirmed=true") {
    Flow flow;
    const EmuResponse response = flow.request_token();
    CHECK(response.status == 200);
    CHECK(response.content_type == "text/html; charset=utf-8");
    const Params params = parse_form(response.body);
    REQUIRE(params.size() == 3);
    CHECK(params[0].name == "oauth_token");
    CHECK(params[1].name == "oauth_token_secret");
    CHECK(params[2] == perch::Param{"oauth_callback_confirmed", "true"});
}

TEST_CASE("The full flow ends with verify_credentials returning the user") {
    Flow flow;
    const auto [token, secret, verifier] = flow.authorize();

    const EmuResponse access = flow.access_token(token, secret, verifier);
    REQUIRE(access.status == 200);
    const Params tokens = parse_form(access.body);
    REQUIRE(tokens.size() == 4);
    CHECK(tokens[2] == perch::Param{"user_id", "1452019283001737216"});
    CHECK(tokens[3] == perch::Param{"screen_name", "zoe_perch"});

    const EmuResponse user = flow.verify_credentials(tokens[0].value, tokens[1].value,
                                                     "include_email=true&skip_status=true&include_entities=false");
    REQUIRE(user.status == 200);
    CHECK(user.content_type == "application/json; charset=utf-8");
    const json body = json::parse(user.body);
    CHECK(body.at("id_str") == "1452019283001737216");
    CHECK(body.at("email") == "zoe.angstrom@example.org");
    CHECK(body.count("status") == 0);
    CHECK(body.count("entities") == 0);
    CHECK(user.body.find("\"id\":1452019283001737216,") != std::string::npos);
}

TEST_CASE("Authorize redirects to the callback with oauth_token and oauth_verifier") {
    Flow flow;
    const std::string token = *perch::find_param(parse_form(flow.request_token(std::string(callback) + "?tab=2").body),
                                                 "oauth_token");
    const EmuResponse page = flow.consent(token);
    REQUIRE(page.status == 200);
    const EmuResponse redirect = flow.decide(token, form_value(page.body, "authenticity_token"), true);
    CHECK(redirect.status == 302);
    const std::string location = header(redirect, "Location");
    CHECK(location.rfind(std::string(callback) + "?tab=2&oauth_token=" + token + "&oauth_verifier=", 0) == 0);
}

TEST_CASE("Cancel redirects to the callback with denied=<token> and kills the token") {
    Flow flow;
    const Params issued = parse_form(flow.request_token().body);
    const std::string token = *perch::find_param(issued, "oauth_token");
    const EmuResponse page = flow.consent(token);
    const EmuResponse redirect = flow.decide(token, form_value(page.body, "authenticity_token"), false);
    CHECK(redirect.status == 302);
    CHECK(header(redirect, "Location") == std::string(callback) + "?denied=" + token);

    const EmuResponse exchange = flow.access_token(token, *perch::find_param(issued, "oauth_token_secret"), "x");
    CHECK(exchange.status == 401);
    CHECK(exchange.body == "Error processing your OAuth request: Invalid oauth_verifier parameter");
    CHECK(flow.consent(token).status == 410);
}

TEST_CASE("A request token and its verifier work once") {
    Flow flow;
    const auto [token, secret, verifier] = flow.authorize();
    CHECK(flow.access_token(token, secret, verifier).status == 200);
    const EmuResponse again = flow.access_token(token, secret, verifier);
    CHECK(again.status == 401);
    CHECK(again.body == twitter_error_body(89, "Invalid or expired token."));
}

TEST_CASE("A wrong verifier is refused with Twitter's plain-text answer and burns the token") {
    Flow flow;
    const auto [token, secret, verifier] = flow.authorize();
    const EmuResponse wrong = flow.access_token(token, secret, verifier + "x");
    CHECK(wrong.status == 401);
    CHECK(wrong.content_type == "text/plain; charset=utf-8");
    CHECK(wrong.body == "Error processing your OAuth request: Invalid oauth_verifier parameter");
    CHECK(flow.access_token(token, secret, verifier).status == 401);
}

TEST_CASE("access_token signed without the request token secret gets code 32") {
    Flow flow;
    const auto [token, secret, verifier] = flow.authorize();
    const EmuResponse response = flow.access_token(token, "", verifier);
    CHECK(response.status == 401);
    CHECK(response.body == twitter_error_body(32, "Could not authenticate you."));
}

TEST_CASE("An expired request token gets an error page and code 89") {
    EmulatorConfig config = test_config();
    config.request_token_ttl = std::chrono::seconds(60);
    Flow flow(config);
    const Params issued = parse_form(flow.request_token().body);
    const std::string token = *perch::find_param(issued, "oauth_token");
    flow.clock.advance(std::chrono::seconds(61));
    const EmuResponse page = flow.consent(token);
    CHECK(page.status == 410);
    CHECK(page.body.find("This page is no longer valid") != std::string::npos);
    const EmuResponse exchange = flow.access_token(token, *perch::find_param(issued, "oauth_token_secret"), "v");
    CHECK(exchange.status == 401);
    CHECK(exchange.body == twitter_error_body(89, "Invalid or expired token."));
}

TEST_CASE("The consent page refuses unknown tokens and a missing oauth_token") {
    Flow flow;
    CHECK(flow.consent("nope").status == 404);
    CHECK(flow.emulator->handle(make_request("GET", "/oauth/authorize")).status == 400);
    CHECK(flow.emulator->handle(make_request("GET", "/oauth/authorize", "oauth_token=a&oauth_token=b")).status == 400);
}

TEST_CASE("The consent form refuses a wrong authenticity token and a foreign Origin") {
    Flow flow;
    const std::string token = *perch::find_param(parse_form(flow.request_token().body), "oauth_token");
    const std::string csrf = form_value(flow.consent(token).body, "authenticity_token");
    CHECK(flow.decide(token, csrf + "x", true).status == 403);

    EmuRequest foreign = make_request("POST", "/oauth/authorize", {}, {},
                                      "authenticity_token=" + csrf + "&oauth_token=" + token, form_type);
    foreign.headers.emplace("origin", "http://evil.example");
    CHECK(flow.emulator->handle(foreign).status == 403);

    EmuRequest same = foreign;
    same.headers.erase("origin");
    same.headers.emplace("origin", std::string(base_url));
    CHECK(flow.emulator->handle(same).status == 302);
}

TEST_CASE("The oob flow shows the verifier as a PIN") {
    Flow flow;
    const std::string token = *perch::find_param(parse_form(flow.request_token("oob").body), "oauth_token");
    const EmuResponse page = flow.consent(token);
    const EmuResponse pin = flow.decide(token, form_value(page.body, "authenticity_token"), true);
    CHECK(pin.status == 200);
    CHECK(pin.body.find("id=\"oauth_pin\"") != std::string::npos);
}

TEST_CASE("Callback problems answer 403 with codes 417 and 415") {
    Flow flow;
    const EmuResponse malformed = flow.request_token("not a url");
    CHECK(malformed.status == 403);
    CHECK(malformed.body ==
          twitter_error_body(417, "Desktop applications only support the oauth_callback value 'oob'"));

    Signer s = flow.signer();
    const EmuResponse missing = flow.emulator->handle(make_request(
        "POST", "/oauth/request_token", {}, s.header("POST", std::string(base_url) + "/oauth/request_token")));
    CHECK(missing.status == 403);
    CHECK(missing.body == malformed.body);

    EmulatorConfig config = test_config();
    config.allowed_callbacks = {"http://127.0.0.1:8080/signup/callback"};
    Flow listed(config);
    CHECK(listed.request_token("http://127.0.0.1:8080/signup/callback?x=1").status == 200);
    const EmuResponse other = listed.request_token("http://127.0.0.1:9999/elsewhere");
    CHECK(other.status == 403);
    CHECK(other.body == twitter_error_body(415, "Callback URL not approved for this client application. Approved "
                                                "callback URLs can be adjusted in your application settings"));
}

TEST_CASE("A strict-mode violation keeps Twitter's shape and says what is wrong") {
    Flow flow;
    Signer s = flow.signer();
    const std::string url = std::string(base_url) + "/oauth/request_token";
    const EmuResponse response = flow.emulator->handle(make_request(
        "POST", "/oauth/request_token", "oauth_callback=oob", s.header("POST", url, {{"oauth_callback", "oob"}})));
    CHECK(response.status == 400);
    const json body = json::parse(response.body);
    CHECK(body.at("errors") == json::array({json{{"code", 32}, {"message", "Could not authenticate you."}}}));
    CHECK(body.at("perch_emulator").get<std::string>().rfind("strict mode: protocol parameter 'oauth_callback'", 0) == 0);
}

TEST_CASE("The signed URL is built from the Host header the client sent") {
    Flow flow;
    Signer s = flow.signer();
    s.extra = {{"oauth_callback", "oob"}};
    EmuRequest request = make_request("POST", "/oauth/request_token", {},
                                      s.header("POST", "http://localhost:8081/oauth/request_token"));
    CHECK(flow.emulator->handle(request).status == 401);  // signed for localhost, sent to 127.0.0.1
    request.headers.erase("host");
    request.headers.emplace("host", "localhost:8081");
    CHECK(flow.emulator->handle(request).status == 200);
    request.headers.emplace("host", "other:1");
    CHECK(flow.emulator->handle(request).status == 400);  // two Host headers
}

TEST_CASE("Unknown routes answer Twitter's 404 code 34") {
    Flow flow;
    const EmuResponse response = flow.emulator->handle(make_request("GET", "/1.1/statuses/home_timeline.json"));
    CHECK(response.status == 404);
    CHECK(response.body == twitter_error_body(34, "Sorry, that page does not exist."));
    CHECK(flow.emulator->handle(make_request("GET", "/oauth/request_token")).status == 404);
}

TEST_CASE("Fault http500 answers 500 with an HTML body and creates no token") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::http500, FaultEndpoint::all, std::chrono::milliseconds(10)};
    Flow flow(config);
    const EmuResponse response = flow.request_token();
    CHECK(response.status == 500);
    CHECK(response.content_type == "text/html; charset=utf-8");
    CHECK(response.body.rfind("<html>", 0) == 0);
    CHECK(flow.emulator->tokens().request_token_count() == 0);
}

TEST_CASE("Fault http401 answers 401 code 89") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::http401, FaultEndpoint::request_token, std::chrono::milliseconds(10)};
    Flow flow(config);
    const EmuResponse response = flow.request_token();
    CHECK(response.status == 401);
    CHECK(response.body == twitter_error_body(89, "Invalid or expired token."));
}

TEST_CASE("Fault garbage answers 200 with bytes that are neither form, JSON nor UTF-8") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::garbage, FaultEndpoint::all, std::chrono::milliseconds(10)};
    Flow flow(config);
    const EmuResponse response = flow.request_token();
    CHECK(response.status == 200);
    CHECK(response.body.find("oauth_token=") == std::string::npos);
    CHECK(response.body.find('\0') != std::string::npos);
    CHECK_FALSE(json::accept(response.body));
}

TEST_CASE("Fault drop asks the server to close the connection unanswered") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::drop, FaultEndpoint::all, std::chrono::milliseconds(10)};
    Flow flow(config);
    CHECK(flow.request_token().drop);
}

TEST_CASE("Fault slow answers normally but asks for the configured delay") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::slow, FaultEndpoint::all, std::chrono::milliseconds(1234)};
    Flow flow(config);
    const EmuResponse response = flow.request_token();
    CHECK(response.status == 200);
    CHECK(response.delay == std::chrono::milliseconds(1234));
}

TEST_CASE("A fault aimed at access_token lets the earlier steps through and never faults the consent page") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::http500, FaultEndpoint::access_token, std::chrono::milliseconds(10)};
    Flow flow(config);
    const auto [token, secret, verifier] = flow.authorize();
    CHECK_FALSE(verifier.empty());
    CHECK(flow.access_token(token, secret, verifier).status == 500);
}

TEST_CASE("The control endpoint switches faults for loopback clients") {
    Flow flow;
    EmuRequest set = make_request("POST", "/__emulator/fault", {}, {}, "mode=http401&on=verify_credentials&slow_ms=50",
                                  form_type);
    const EmuResponse answer = flow.emulator->handle(set);
    CHECK(answer.status == 200);
    CHECK(json::parse(answer.body) == json{{"mode", "http401"}, {"on", "verify_credentials"}, {"slow_ms", 50}});
    CHECK(flow.emulator->faults().get().mode == FaultMode::http401);

    const EmuResponse shown = flow.emulator->handle(make_request("GET", "/__emulator/fault"));
    CHECK(json::parse(shown.body).at("mode") == "http401");

    CHECK(flow.emulator->handle(make_request("POST", "/__emulator/fault", {}, {}, "mode=bogus", form_type)).status ==
          400);
    CHECK(flow.emulator->handle(make_request("POST", "/__emulator/fault", {}, {}, "slow_ms=700000", form_type)).status ==
          400);
    CHECK(flow.emulator->handle(make_request("POST", "/__emulator/fault", {}, {}, "colour=red", form_type)).status ==
          400);
}

TEST_CASE("The control endpoint refuses remote clients, browsers, and everyone when disabled") {
    Flow flow;
    EmuRequest remote = make_request("POST", "/__emulator/fault", {}, {}, "mode=drop", form_type);
    remote.remote_addr = "192.168.1.20";
    CHECK(flow.emulator->handle(remote).status == 403);

    EmuRequest browser = make_request("POST", "/__emulator/fault", {}, {}, "mode=drop", form_type);
    browser.headers.emplace("origin", "http://127.0.0.1:8080");
    CHECK(flow.emulator->handle(browser).status == 403);
    CHECK(flow.emulator->faults().get().mode == FaultMode::none);

    EmulatorConfig config = test_config();
    config.control = false;
    Flow closed(config);
    CHECK(closed.emulator->handle(make_request("GET", "/__emulator/fault")).status == 404);
}

TEST_CASE("The calls endpoint counts every request each OAuth endpoint received, whatever its answer") {
    Flow flow;
    const auto calls = [&flow] { return json::parse(flow.emulator->handle(make_request("GET", "/__emulator/calls")).body); };
    CHECK(calls() == json{{"request_token", 0}, {"access_token", 0}, {"verify_credentials", 0}, {"token", 0}, {"users_me", 0}});

    const auto [token, secret, verifier] = flow.authorize();
    REQUIRE(flow.access_token(token, secret, verifier).status == 200);
    CHECK(flow.access_token(token, secret, verifier).status == 401);  // refused, but the provider saw it
    flow.emulator->faults().set(FaultPlan{FaultMode::http500, FaultEndpoint::request_token});
    CHECK(flow.request_token().status == 500);
    CHECK(calls() == json{{"request_token", 2}, {"access_token", 2}, {"verify_credentials", 0}, {"token", 0}, {"users_me", 0}});

    EmuRequest remote = make_request("GET", "/__emulator/calls");
    remote.remote_addr = "192.168.1.20";
    CHECK(flow.emulator->handle(remote).status == 403);
    EmulatorConfig config = test_config();
    config.control = false;
    Flow closed(config);
    CHECK(closed.emulator->handle(make_request("GET", "/__emulator/calls")).status == 404);
}

TEST_CASE("Loopback addresses are recognised in IPv4, IPv6 and mapped form") {
    CHECK(is_loopback_address("127.0.0.1"));
    CHECK(is_loopback_address("127.1.2.3"));
    CHECK(is_loopback_address("::1"));
    CHECK(is_loopback_address("::ffff:127.0.0.1"));
    CHECK_FALSE(is_loopback_address("10.0.0.1"));
    CHECK_FALSE(is_loopback_address("::ffff:10.0.0.1"));
    CHECK_FALSE(is_loopback_address(""));
}

TEST_CASE("Failure reasons are one printable line") {
    Flow flow;
    Signer s = flow.signer();
    s.extra = {{"oauth_callback", "oob"}};
    // A decoded query parameter name with a newline ends up quoted in the reason.
    EmuRequest request = make_request("POST", "/oauth/request_token", "oauth_x%0Ay=1",
                                      s.header("POST", std::string(base_url) + "/oauth/request_token"));
    const EmuResponse response = flow.emulator->handle(request);
    CHECK(response.status == 400);
    CHECK(response.reason.find('\n') == std::string::npos);
    CHECK(response.reason.find("'oauth_x?y'") != std::string::npos);
}

TEST_CASE("In --fast mode /oauth/authenticate approves at once, like Twitter for a returning user") {
    EmulatorConfig config = test_config();
    config.fast = true;
    Flow flow(config);
    const Params issued = parse_form(flow.request_token().body);
    const std::string token = *perch::find_param(issued, "oauth_token");

    const EmuResponse redirect = flow.consent(token);
    CHECK(redirect.status == 302);
    const std::string location = header(redirect, "Location");
    const std::string prefix = std::string(callback) + "?oauth_token=" + token + "&oauth_verifier=";
    REQUIRE(location.rfind(prefix, 0) == 0);
    const std::string verifier = location.substr(prefix.size());

    // The token is decided: no second approval, and the verifier works once.
    CHECK(flow.consent(token).status == 410);
    const std::string secret = *perch::find_param(issued, "oauth_token_secret");
    CHECK(flow.access_token(token, secret, verifier).status == 200);
    CHECK(flow.access_token(token, secret, verifier).status == 401);
}

TEST_CASE("In --fast mode /oauth/authorize still shows the consent page and signatures are still checked") {
    EmulatorConfig config = test_config();
    config.fast = true;
    Flow flow(config);
    const std::string token = *perch::find_param(parse_form(flow.request_token().body), "oauth_token");
    const EmuResponse page = flow.emulator->handle(make_request("GET", "/oauth/authorize", "oauth_token=" + token));
    CHECK(page.status == 200);
    CHECK(page.body.find("id=\"allow\"") != std::string::npos);

    Signer wrong = flow.signer();
    wrong.consumer_secret = "not-the-secret";
    wrong.extra = {{"oauth_callback", callback}};
    const EmuResponse refused = flow.emulator->handle(make_request(
        "POST", "/oauth/request_token", {}, wrong.header("POST", std::string(base_url) + "/oauth/request_token")));
    CHECK(refused.status == 401);
    CHECK(refused.body == twitter_error_body(32, "Could not authenticate you."));
}

TEST_CASE("A replayed request_token is refused unless --bench-replay-nonces is on") {
    Signer s;
    s.timestamp = 1700000000;
    s.nonce = "the-same-nonce";
    s.extra = {{"oauth_callback", callback}};
    const EmuRequest request = make_request("POST", "/oauth/request_token", {},
                                            s.header("POST", std::string(base_url) + "/oauth/request_token"));

    EmulatorConfig fast = test_config();
    fast.fast = true;
    Flow checked(fast);
    CHECK(checked.emulator->handle(request).status == 200);
    const EmuResponse replayed = checked.emulator->handle(request);
    CHECK(replayed.status == 401);
    CHECK(replayed.reason == "oauth_nonce already used");

    fast.replay_nonces = true;
    Flow replaying(fast);
    CHECK(replaying.emulator->handle(request).status == 200);
    const EmuResponse again = replaying.emulator->handle(request);
    CHECK(again.status == 200);
    // Each replay still gets its own request token.
    CHECK(parse_form(again.body)[0].value != parse_form(replaying.emulator->handle(request).body)[0].value);
}

TEST_CASE("The control endpoint takes the OAuth 2.0 endpoints and http429, and lists the names when refused") {
    Flow flow;
    const EmuResponse set = flow.emulator->handle(
        make_request("POST", "/__emulator/fault", {}, {}, "mode=http429&on=users_me", form_type));
    CHECK(set.status == 200);
    CHECK(json::parse(set.body) == json{{"mode", "http429"}, {"on", "users_me"}, {"slow_ms", 15000}});
    CHECK(flow.emulator->handle(make_request("POST", "/__emulator/fault", {}, {}, "on=token", form_type)).status ==
          200);
    const EmuResponse bad = flow.emulator->handle(
        make_request("POST", "/__emulator/fault", {}, {}, "on=authorize", form_type));
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body).at("error") ==
          "on must be one of request_token, access_token, verify_credentials, token, users_me, all");
}
