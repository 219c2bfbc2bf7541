#include <catch2/catch.hpp>

#include "emulator_fixture.h"
#include "emulator/users_me.h"

using namespace perch::emulator;
using namespace perch::emulator::testing;

namespace {

constexpr const char* unauthorized = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
constexpr const char* forbidden = R"({"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"})";

}  // namespace

TEST_CASE("/2/users/me answers X's v2 user object for a bearer with tweet.read and users.read") {
    OAuth2Flow flow;
    const EmuResponse answer = flow.users_me(flow.access_token(), "user.fields=id,name,username,profile_image_url");
    REQUIRE(answer.status == 200);
    CHECK(answer.content_type == "application/json; charset=utf-8");
    CHECK(answer.body ==
          "{\"data\":{\"id\":\"1452019283001737216\",\"name\":\"Zo\u00eb \u00c5ngstr\u00f6m-\u00d1\u00fa\u00f1ez\","
          "\"username\":\"zoe_perch\",\"profile_image_url\":"
          "\"https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v_normal.jpg\"}}");
}

TEST_CASE("Without user.fields /2/users/me gives id, name and username only") {
    OAuth2Flow flow;
    const json data = json::parse(flow.users_me(flow.access_token()).body).at("data");
    CHECK(data.size() == 3);
    CHECK(data.at("id") == "1452019283001737216");
}

TEST_CASE("confirmed_email needs users.email: given with it, 403 without it") {
    OAuth2Flow flow;
    const std::string with_email = flow.access_token("tweet.read users.read users.email");
    const EmuResponse answer = flow.users_me(with_email, "user.fields=id,confirmed_email");
    REQUIRE(answer.status == 200);
    CHECK(json::parse(answer.body).at("data").at("confirmed_email") == "zoe.angstrom@example.org");
    CHECK(json::parse(flow.users_me(with_email).body).at("data").count("confirmed_email") == 0);

    const EmuResponse refused = flow.users_me(flow.access_token(), "user.fields=confirmed_email,name");
    CHECK(refused.status == 403);
    CHECK(refused.content_type == "application/problem+json");
    CHECK(refused.body ==
          R"({"title":"Forbidden","type":"about:blank","status":403,"detail":"Missing required OAuth2 scopes: users.email"})");
}

TEST_CASE("/2/users/me needs both tweet.read and users.read") {
    OAuth2Flow flow;
    for (const char* scope : {"users.read", "tweet.read", "users.read users.email offline.access"}) {
        const EmuResponse refused = flow.users_me(flow.access_token(scope));
        CHECK(refused.status == 403);
        CHECK(refused.body == forbidden);
    }
}

TEST_CASE("An unknown, expired or missing bearer gets X's 401 problem") {
    OAuth2Flow flow;
    CHECK(flow.users_me("not-a-token").body == unauthorized);
    CHECK(flow.users_me("not-a-token").status == 401);
    const EmuResponse none = flow.emulator->handle(make_request("GET", "/2/users/me"));
    CHECK(none.status == 401);
    CHECK(none.body == unauthorized);
    CHECK(flow.emulator->handle(make_request("GET", "/2/users/me", {}, "Bearer")).status == 401);

    EmuRequest twice = make_request("GET", "/2/users/me", {}, "Bearer " + flow.access_token());
    twice.headers.emplace("authorization", "Bearer other");
    CHECK(flow.emulator->handle(twice).status == 401);
}

TEST_CASE("/2/users/me refuses unknown parameters and fields with X's 400 problem") {
    OAuth2Flow flow;
    const std::string token = flow.access_token();
    const EmuResponse field = flow.users_me(token, "user.fields=id,shoe_size");
    CHECK(field.status == 400);
    const json body = json::parse(field.body);
    CHECK(body.at("title") == "Invalid Request");
    CHECK(body.at("type") == "https://api.twitter.com/2/problems/invalid-request");
    CHECK(body.at("errors")[0].at("parameters") == json{{"user.fields", {"shoe_size"}}});
    CHECK(body.at("errors")[0].at("message").get<std::string>().rfind(
              "The `user.fields` query parameter value [shoe_size] is not one of [affiliation,", 0) == 0);

    CHECK(flow.users_me(token, "colour=red").status == 400);
    CHECK(flow.users_me(token, "user.fields=id&user.fields=name").status == 400);
    CHECK(flow.users_me(token, "expansions=pinned_tweet_id&tweet.fields=created_at").status == 200);
}

TEST_CASE("An OAuth 1.0a-signed /2/users/me gets the same user, never an email") {
    Flow flow(oauth2_config());
    const auto [token, secret, verifier] = flow.authorize();
    const Params tokens = parse_form(flow.access_token(token, secret, verifier).body);
    auto users_me = [&](const std::string& query, const std::string& token_secret) {
        Signer s = flow.signer();
        s.token = tokens[0].value;
        s.token_secret = token_secret;
        return flow.emulator->handle(make_request("GET", "/2/users/me", query,
                                                  s.header("GET", std::string(base_url) + "/2/users/me",
                                                           parse_form(query))));
    };
    const EmuResponse answer = users_me("user.fields=id,name,username,profile_image_url", tokens[1].value);
    REQUIRE(answer.status == 200);
    const json data = json::parse(answer.body).at("data");
    CHECK(data.at("id") == "1452019283001737216");
    CHECK(data.at("username") == "zoe_perch");
    CHECK(data.count("confirmed_email") == 0);

    CHECK(users_me("user.fields=confirmed_email", tokens[1].value).status == 403);
    const EmuResponse wrong = users_me("user.fields=id", tokens[1].value + "x");
    CHECK(wrong.status == 401);
    CHECK(wrong.body == unauthorized);
}

TEST_CASE("--tier free: v1.1 verify_credentials answers 403 code 453, /2/users/me still works") {
    EmulatorConfig config = oauth2_config();
    config.tier = AccessTier::free;
    Flow flow(config);
    const auto [token, secret, verifier] = flow.authorize();
    const Params tokens = parse_form(flow.access_token(token, secret, verifier).body);
    const EmuResponse refused = flow.verify_credentials(tokens[0].value, tokens[1].value, "");
    CHECK(refused.status == 403);
    CHECK(refused.body ==
          R"({"errors":[{"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 )"
          R"(endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may need a different )"
          R"(access level. You can learn more here: https://developer.x.com/en/portal/product","code":453}]})");
    // A bad signature is still a 401 first.
    CHECK(flow.verify_credentials(tokens[0].value, "wrong", "").status == 401);

    OAuth2Flow v2(config);
    CHECK(v2.users_me(v2.access_token()).status == 200);
}

TEST_CASE("users_me faults: http401 is X's 401 problem, http429 its 429 with rate-limit headers") {
    EmulatorConfig config = oauth2_config();
    OAuth2Flow flow(config);
    const std::string token = flow.access_token();
    flow.emulator->faults().set(FaultPlan{FaultMode::http401, FaultEndpoint::users_me, std::chrono::milliseconds(10)});
    CHECK(flow.users_me(token).body == unauthorized);
    flow.emulator->faults().set(FaultPlan{FaultMode::http429, FaultEndpoint::users_me, std::chrono::milliseconds(10)});
    const EmuResponse limited = flow.users_me(token);
    CHECK(limited.status == 429);
    CHECK(header(limited, "x-rate-limit-reset") == std::to_string(flow.clock.unix_now + 900));
    CHECK(flow.exchange(flow.code()).status == 200);  // aimed at users_me only
}

TEST_CASE("http429 on an OAuth 1.0a endpoint answers code 88 with the rate-limit headers") {
    EmulatorConfig config = test_config();
    config.fault = FaultPlan{FaultMode::http429, FaultEndpoint::all, std::chrono::milliseconds(10)};
    Flow flow(config);
    const EmuResponse limited = flow.request_token();
    CHECK(limited.status == 429);
    CHECK(limited.body == R"({"errors":[{"message":"Rate limit exceeded","code":88}]})");
    CHECK(header(limited, "x-rate-limit-remaining") == "0");
    CHECK(header(limited, "x-rate-limit-reset") == std::to_string(flow.clock.unix_now + 900));
    CHECK(flow.emulator->tokens().request_token_count() == 0);
}

TEST_CASE("v2 user objects: created_at in ISO form, public_metrics renamed, absent values left out") {
    const nlohmann::json user = default_user();
    const auto out = v2_user(user, {"created_at", "public_metrics", "location", "url", "pinned_tweet_id"});
    CHECK(out.at("created_at") == "2021-10-24T07:12:45.000Z");
    CHECK(out.at("public_metrics").at("following_count") == 7);
    CHECK(out.at("public_metrics").at("tweet_count") == 1);
    CHECK(out.at("location") == "Troms\u00f8, Norge");
    CHECK(out.at("url") == "");
    CHECK(out.count("pinned_tweet_id") == 0);

    CHECK(v2_created_at("Sun Oct 24 07:12:45 +0000 2021") == "2021-10-24T07:12:45.000Z");
    CHECK(v2_created_at("Sun Foo 24 07:12:45 +0000 2021").empty());
    CHECK(v2_created_at("2021-10-24").empty());
}

TEST_CASE("Error answers that quote client input stay valid JSON, whatever the bytes") {
    OAuth2Flow flow;
    const std::string token = flow.access_token();
    // A raw 0xff is not UTF-8; a 2-byte character cut at 64 bytes would not be either.
    for (const std::string& query : {std::string("user.fields=\xff"), std::string("%ff=1"),
                                     std::string(63, 'a') + "%C3%A9=1", "user.fields=" + std::string(63, 'a') + "%C3%A9"}) {
        const EmuResponse refused = flow.users_me(token, query);
        CHECK(refused.status == 400);
        CHECK(json::accept(refused.body));
    }
    Params repeated{{"grant_type", "authorization_code"}, {std::string(63, 'n') + "\xc3\xa9", "1"},
                    {std::string(63, 'n') + "\xc3\xa9", "2"}};
    const EmuResponse token_refused = flow.token(repeated);
    CHECK(token_refused.status == 400);
    CHECK(json::accept(token_refused.body));
    const EmuResponse scope = flow.authorize(OAuth2Flow::authorize_params("tweet.read \"\xc3\xa9"));
    CHECK(header(scope, "Location").find("error=invalid_scope") != std::string::npos);
}
