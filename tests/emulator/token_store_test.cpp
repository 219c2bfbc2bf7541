#include <catch2/catch.hpp>

#include <set>

#include "test_support.h"
#include "emulator/token_store.h"

using namespace perch::emulator;
using perch::emulator::testing::CountingRandom;
using perch::emulator::testing::FakeClock;

namespace {

template <typename T>
TokenProblem problem_of(const TokenResult<T>& result) {
    REQUIRE(std::holds_alternative<TokenProblem>(result));
    return std::get<TokenProblem>(result);
}

}  // namespace

TEST_CASE("Issued request tokens are distinct, unguessable-looking and carry the callback") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const RequestTokenRecord record = store.issue_request_token("http://127.0.0.1/cb");
        CHECK(record.token.size() == 32);
        CHECK(record.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        CHECK(record.secret != record.token);
        CHECK(record.csrf != record.token);
        CHECK(record.callback == "http://127.0.0.1/cb");
        CHECK(record.state == RequestTokenState::pending);
        CHECK(seen.insert(record.token).second);
    }
}

TEST_CASE("Authorizing sets a verifier and the exchange then issues an access token once") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    const RequestTokenRecord issued = store.issue_request_token("oob");

    auto decided = store.decide(issued.token, issued.csrf, true);
    REQUIRE(std::holds_alternative<RequestTokenRecord>(decided));
    const std::string verifier = std::get<RequestTokenRecord>(decided).verifier;
    CHECK_FALSE(verifier.empty());

    auto exchanged = store.exchange(issued.token, verifier, "1452019283001737216", "zoe");
    REQUIRE(std::holds_alternative<AccessTokenRecord>(exchanged));
    const AccessTokenRecord access = std::get<AccessTokenRecord>(exchanged);
    CHECK(access.token.rfind("1452019283001737216-", 0) == 0);
    CHECK(access.user_id == "1452019283001737216");
    CHECK(access.screen_name == "zoe");
    REQUIRE(store.find_access_token(access.token).has_value());
    CHECK(store.find_access_token(access.token)->secret == access.secret);

    CHECK(problem_of(store.exchange(issued.token, verifier, "1", "zoe")) == TokenProblem::used);
    CHECK(problem_of(store.request_token_secret(issued.token)) == TokenProblem::used);
}

TEST_CASE("A wrong verifier burns the request token") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    const RequestTokenRecord issued = store.issue_request_token("oob");
    const std::string verifier =
        std::get<RequestTokenRecord>(store.decide(issued.token, issued.csrf, true)).verifier;

    CHECK(problem_of(store.exchange(issued.token, verifier + "x", "1", "zoe")) == TokenProblem::bad_verifier);
    CHECK(problem_of(store.exchange(issued.token, verifier, "1", "zoe")) == TokenProblem::used);
}

TEST_CASE("Exchanging before the user decided, or after Cancel, is refused and burns the token") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    const RequestTokenRecord pending = store.issue_request_token("oob");
    CHECK(problem_of(store.exchange(pending.token, "anything", "1", "zoe")) == TokenProblem::not_authorized);
    CHECK(problem_of(store.find_pending(pending.token)) == TokenProblem::used);

    const RequestTokenRecord denied = store.issue_request_token("oob");
    REQUIRE(std::holds_alternative<RequestTokenRecord>(store.decide(denied.token, denied.csrf, false)));
    CHECK(problem_of(store.exchange(denied.token, "", "1", "zoe")) == TokenProblem::not_authorized);
}

TEST_CASE("The consent page can be answered once, and only with the right authenticity token") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    const RequestTokenRecord issued = store.issue_request_token("oob");
    CHECK(problem_of(store.decide(issued.token, "wrong", true)) == TokenProblem::bad_csrf);
    CHECK(problem_of(store.decide(issued.token, "", true)) == TokenProblem::bad_csrf);
    REQUIRE(std::holds_alternative<RequestTokenRecord>(store.decide(issued.token, issued.csrf, false)));
    CHECK(problem_of(store.decide(issued.token, issued.csrf, true)) == TokenProblem::already_decided);
    CHECK(problem_of(store.find_pending(issued.token)) == TokenProblem::already_decided);
}

TEST_CASE("Request tokens expire after their lifetime") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random, TokenStoreLimits{std::chrono::seconds(60), 100, 100});
    const RequestTokenRecord issued = store.issue_request_token("oob");
    clock.advance(std::chrono::seconds(59));
    CHECK(std::holds_alternative<RequestTokenRecord>(store.find_pending(issued.token)));
    clock.advance(std::chrono::seconds(1));
    CHECK(problem_of(store.find_pending(issued.token)) == TokenProblem::expired);
    CHECK(problem_of(store.decide(issued.token, issued.csrf, true)) == TokenProblem::expired);
    CHECK(problem_of(store.request_token_secret(issued.token)) == TokenProblem::expired);
}

TEST_CASE("A verifier is useless once its request token has expired") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random, TokenStoreLimits{std::chrono::seconds(60), 100, 100});
    const RequestTokenRecord issued = store.issue_request_token("oob");
    const std::string verifier =
        std::get<RequestTokenRecord>(store.decide(issued.token, issued.csrf, true)).verifier;
    clock.advance(std::chrono::seconds(61));
    CHECK(problem_of(store.exchange(issued.token, verifier, "1", "zoe")) == TokenProblem::expired);
}

TEST_CASE("Expired tokens are reported as expired for one more lifetime, then forgotten") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random, TokenStoreLimits{std::chrono::seconds(60), 100, 100});
    const RequestTokenRecord old = store.issue_request_token("oob");
    clock.advance(std::chrono::seconds(100));
    store.issue_request_token("oob");
    CHECK(problem_of(store.find_pending(old.token)) == TokenProblem::expired);
    clock.advance(std::chrono::seconds(30));
    store.issue_request_token("oob");
    CHECK(problem_of(store.find_pending(old.token)) == TokenProblem::unknown);
    CHECK(store.request_token_count() == 2);
}

TEST_CASE("Beyond the cap the oldest request tokens are forgotten") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random, TokenStoreLimits{std::chrono::seconds(600), 3, 3});
    const RequestTokenRecord first = store.issue_request_token("oob");
    for (int i = 0; i < 3; ++i) store.issue_request_token("oob");
    CHECK(store.request_token_count() == 3);
    CHECK(problem_of(store.find_pending(first.token)) == TokenProblem::unknown);
}

TEST_CASE("Unknown tokens are unknown everywhere") {
    FakeClock clock;
    CountingRandom random;
    TokenStore store(clock, random);
    CHECK(problem_of(store.find_pending("nope")) == TokenProblem::unknown);
    CHECK(problem_of(store.decide("nope", "x", true)) == TokenProblem::unknown);
    CHECK(problem_of(store.request_token_secret("nope")) == TokenProblem::unknown);
    CHECK(problem_of(store.exchange("nope", "v", "1", "zoe")) == TokenProblem::unknown);
    CHECK_FALSE(store.find_access_token("nope").has_value());
}
