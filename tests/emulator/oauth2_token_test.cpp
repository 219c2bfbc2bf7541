#include <catch2/catch.hpp>

#include "emulator_fixture.h"

using namespace perch::emulator;
using namespace perch::emulator::testing;

namespace {

json error_of(const EmuResponse& response) { return json::parse(response.body); }

void check_oauth2_error(const EmuResponse& response, int status, const std::string& error) {
    CHECK(response.status == status);
    CHECK(response.content_type == "application/json; charset=utf-8");
    const json body = error_of(response);
    CHECK(body.at("error") == error);
    CHECK(body.at("error_description").is_string());
    CHECK(header(response, "Cache-Control") == "no-store");
}

Params code_form(const std::string& code) {
    return {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri},
            {"code_verifier", pkce_verifier}};
}

}  // namespace

TEST_CASE("A confidential client exchanges a code with HTTP Basic for X's token answer") {
    OAuth2Flow flow;
    const EmuResponse answer = flow.exchange(flow.code());
    REQUIRE(answer.status == 200);
    CHECK(answer.content_type == "application/json; charset=utf-8");
    CHECK(header(answer, "Cache-Control") == "no-store");
    CHECK(header(answer, "Pragma") == "no-cache");
    const json body = json::parse(answer.body);
    CHECK(body.at("token_type") == "bearer");
    CHECK(body.at("expires_in") == 7200);
    CHECK(body.at("scope") == "tweet.read users.read offline.access");
    CHECK(body.at("access_token").get<std::string>().size() == 43);
    CHECK(body.at("refresh_token").get<std::string>().size() == 43);
    CHECK(answer.body.rfind("{\"token_type\":\"bearer\",\"expires_in\":7200,\"access_token\":", 0) == 0);
}

TEST_CASE("Without offline.access the token answer has no refresh_token") {
    OAuth2Flow flow;
    const json body = json::parse(flow.exchange(flow.code("tweet.read users.read")).body);
    CHECK(body.count("refresh_token") == 0);
    CHECK(body.at("scope") == "tweet.read users.read");
}

TEST_CASE("A public client exchanges a code with client_id in the body and no Authorization") {
    OAuth2Flow flow(oauth2_config(false));
    CHECK(flow.exchange(flow.code()).status == 200);

    check_oauth2_error(flow.token(code_form(flow.code())), 401, "invalid_client");  // no client_id
    Params with_basic = code_form(flow.code());
    with_basic.push_back({"client_id", client_id});
    check_oauth2_error(flow.token(with_basic, basic(client_id, "")), 401, "invalid_client");
}

TEST_CASE("A confidential client must authenticate with the right Basic credentials") {
    OAuth2Flow flow;
    const std::string code = flow.code();
    for (const std::string& auth : {std::string(), basic(client_id, "wrong"), basic("other", client_secret),
                                    std::string("Bearer x"), std::string("Basic !!!!")}) {
        const EmuResponse refused = flow.token(code_form(code), auth);
        check_oauth2_error(refused, 401, "invalid_client");
        CHECK(header(refused, "WWW-Authenticate") == "Basic realm=\"perch-emulator\"");
    }
    Params secret_in_body = code_form(code);
    secret_in_body.push_back({"client_id", client_id});
    secret_in_body.push_back({"client_secret", client_secret});
    check_oauth2_error(flow.token(secret_in_body, ""), 401, "invalid_client");
    Params other_id = code_form(code);
    other_id.push_back({"client_id", "other"});
    check_oauth2_error(flow.token(other_id), 401, "invalid_client");

    // Refused client authentication does not consume the code; client_id in the body may accompany Basic.
    Params id_too = code_form(code);
    id_too.push_back({"client_id", client_id});
    CHECK(flow.token(id_too).status == 200);
}

TEST_CASE("A code works once; its second use is invalid_grant and revokes the first tokens") {
    OAuth2Flow flow;
    const std::string code = flow.code();
    const EmuResponse first = flow.exchange(code);
    REQUIRE(first.status == 200);
    const std::string access = json::parse(first.body).at("access_token");
    CHECK(flow.users_me(access).status == 200);

    const EmuResponse again = flow.exchange(code);
    check_oauth2_error(again, 400, "invalid_grant");
    CHECK(error_of(again).at("error_description") == "Value passed for the authorization code was invalid.");
    CHECK(flow.users_me(access).status == 401);
}

TEST_CASE("A code expires after --code-ttl seconds (30 by default)") {
    OAuth2Flow flow;
    const std::string code = flow.code();
    flow.clock.advance(std::chrono::seconds(30));
    check_oauth2_error(flow.exchange(code), 400, "invalid_grant");

    EmulatorConfig config = oauth2_config();
    config.code_ttl = std::chrono::seconds(5);
    OAuth2Flow quick(config);
    const std::string fresh = quick.code();
    quick.clock.advance(std::chrono::seconds(4));
    CHECK(quick.exchange(fresh).status == 200);
    const std::string stale = quick.code();
    quick.clock.advance(std::chrono::seconds(5));
    check_oauth2_error(quick.exchange(stale), 400, "invalid_grant");
}

TEST_CASE("A verifier that does not hash to the challenge is refused and burns the code") {
    OAuth2Flow flow;
    const std::string code = flow.code();
    const EmuResponse mismatch = flow.exchange(code, std::string(43, 'A'));
    check_oauth2_error(mismatch, 400, "invalid_grant");
    CHECK(error_of(mismatch).at("error_description") ==
          "Value passed for the code verifier did not match the code challenge.");
    check_oauth2_error(flow.exchange(code), 400, "invalid_grant");
}

TEST_CASE("The redirect_uri must equal the one the code was issued for") {
    OAuth2Flow flow;
    Params form = code_form(flow.code());
    form[2].value = std::string(redirect_uri) + "?x=1";
    check_oauth2_error(flow.token(form), 400, "invalid_grant");
}

TEST_CASE("Malformed token requests are invalid_request and leave the code alone") {
    OAuth2Flow flow;
    const std::string code = flow.code();
    for (const char* name : {"code", "redirect_uri", "code_verifier", "grant_type"}) {
        Params form;
        for (const perch::Param& p : code_form(code))
            if (p.name != name) form.push_back(p);
        const EmuResponse refused = flow.token(form);
        check_oauth2_error(refused, 400, "invalid_request");
        CHECK(error_of(refused).at("error_description") == "Missing required parameter [" + std::string(name) + "].");
    }
    Params repeated = code_form(code);
    repeated.push_back({"code", code});
    check_oauth2_error(flow.token(repeated), 400, "invalid_request");
    Params short_verifier = code_form(code);
    short_verifier[3].value = std::string(42, 'a');
    check_oauth2_error(flow.token(short_verifier), 400, "invalid_request");

    EmuRequest json_body = make_request("POST", "/2/oauth2/token", {}, basic(client_id, client_secret),
                                        "{\"grant_type\":\"authorization_code\"}", "application/json");
    check_oauth2_error(flow.emulator->handle(json_body), 400, "invalid_request");
    Params implicit = code_form(code);
    implicit[0].value = "password";
    check_oauth2_error(flow.token(implicit), 400, "unsupported_grant_type");

    CHECK(flow.exchange(code).status == 200);
}

TEST_CASE("A refresh returns a new access token and a new refresh token; the old one stops working") {
    OAuth2Flow flow;
    const json first = json::parse(flow.exchange(flow.code()).body);
    const EmuResponse refreshed = flow.refresh(first.at("refresh_token"));
    REQUIRE(refreshed.status == 200);
    const json second = json::parse(refreshed.body);
    CHECK(second.at("token_type") == "bearer");
    CHECK(second.at("expires_in") == 7200);
    CHECK(second.at("scope") == first.at("scope"));
    CHECK(second.at("access_token") != first.at("access_token"));
    CHECK(second.at("refresh_token") != first.at("refresh_token"));
    CHECK(flow.users_me(second.at("access_token")).status == 200);

    const EmuResponse old = flow.refresh(first.at("refresh_token"));
    check_oauth2_error(old, 400, "invalid_grant");
    CHECK(error_of(old).at("error_description") == "Value passed for the token was invalid.");
    CHECK(flow.refresh(second.at("refresh_token")).status == 200);
}

TEST_CASE("A refresh authenticates the client like a code exchange") {
    OAuth2Flow flow;
    const std::string refresh = json::parse(flow.exchange(flow.code()).body).at("refresh_token");
    check_oauth2_error(flow.token({{"grant_type", "refresh_token"}, {"refresh_token", refresh}}, ""), 401,
                       "invalid_client");
    CHECK(flow.refresh(refresh).status == 200);

    OAuth2Flow public_client(oauth2_config(false));
    const std::string token = json::parse(public_client.exchange(public_client.code()).body).at("refresh_token");
    CHECK(public_client.refresh(token).status == 200);
}

TEST_CASE("--access-token-ttl sets expires_in and when the bearer stops working") {
    EmulatorConfig config = oauth2_config();
    config.access_token_ttl = std::chrono::seconds(60);
    OAuth2Flow flow(config);
    const json answer = json::parse(flow.exchange(flow.code()).body);
    CHECK(answer.at("expires_in") == 60);
    flow.clock.advance(std::chrono::seconds(59));
    CHECK(flow.users_me(answer.at("access_token")).status == 200);
    flow.clock.advance(std::chrono::seconds(1));
    CHECK(flow.users_me(answer.at("access_token")).status == 401);
}

TEST_CASE("--withhold-scope leaves a scope out of the grant and the token answer says so") {
    EmulatorConfig config = oauth2_config();
    config.withheld_scopes = {"users.email"};
    OAuth2Flow flow(config);
    const json answer = json::parse(flow.exchange(flow.code("tweet.read users.read users.email")).body);
    CHECK(answer.at("scope") == "tweet.read users.read");
    CHECK(flow.users_me(answer.at("access_token"), "user.fields=confirmed_email").status == 403);
}

TEST_CASE("--token-errors x words refusals as api.x.com does") {
    EmulatorConfig config = oauth2_config();
    config.token_errors = TokenErrorDialect::x;
    OAuth2Flow flow(config);
    const std::string code = flow.code();
    const EmuResponse no_auth = flow.token(code_form(code), "");
    CHECK(no_auth.status == 401);
    CHECK(no_auth.body ==
          R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})");
    CHECK(flow.exchange(code).status == 200);
    const EmuResponse reused = flow.exchange(code);
    CHECK(reused.status == 400);
    CHECK(reused.body ==
          R"({"error":"invalid_request","error_description":"Value passed for the authorization code was invalid."})");
}

TEST_CASE("Token endpoint faults: http401 is invalid_client, http429 carries the rate-limit headers") {
    EmulatorConfig config = oauth2_config();
    config.fault = FaultPlan{FaultMode::http401, FaultEndpoint::token, std::chrono::milliseconds(10)};
    OAuth2Flow flow(config);
    const std::string code = flow.code();
    check_oauth2_error(flow.exchange(code), 401, "invalid_client");

    flow.emulator->faults().set(FaultPlan{FaultMode::http429, FaultEndpoint::token, std::chrono::milliseconds(10)});
    const EmuResponse limited = flow.exchange(code);
    CHECK(limited.status == 429);
    CHECK(limited.content_type == "application/problem+json");
    CHECK(limited.body == R"({"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"})");
    CHECK(header(limited, "x-rate-limit-remaining") == "0");
    CHECK(header(limited, "x-rate-limit-limit") == "75");
    CHECK(header(limited, "x-rate-limit-reset") == std::to_string(flow.clock.unix_now + 900));

    // Faulted calls are not processed: the code is still good.
    flow.emulator->faults().set(FaultPlan{});
    CHECK(flow.exchange(code).status == 200);
}
