#include <catch2/catch.hpp>

#include "emulator/oauth2/oauth2_store.h"
#include "test_support.h"

using namespace perch::emulator;
using perch::emulator::testing::CountingRandom;
using perch::emulator::testing::FakeClock;

namespace {

constexpr const char* verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr const char* redirect = "http://127.0.0.1:8080/cb";

struct Store {
    FakeClock clock;
    CountingRandom random;
    OAuth2Store store{clock, random, OAuth2Limits{std::chrono::seconds(900), std::chrono::seconds(30),
                                                  std::chrono::seconds(7200), 1000}};

    std::string code(const Scopes& scopes = {"tweet.read", "users.read", "offline.access"}) {
        const AuthorizationRequest request = store.open_request(redirect, "st", scopes, challenge);
        auto decided = store.decide(request.id, request.csrf, true, scopes, "42");
        REQUIRE(std::holds_alternative<AuthorizationDecision>(decided));
        return std::get<AuthorizationDecision>(decided).code;
    }
    TokenGrant grant(const std::string& code) {
        auto redeemed = store.redeem_code(code, redirect, verifier);
        REQUIRE(std::holds_alternative<TokenGrant>(redeemed));
        return std::get<TokenGrant>(redeemed);
    }
};

GrantProblem problem(const std::variant<TokenGrant, GrantProblem>& outcome) {
    REQUIRE(std::holds_alternative<GrantProblem>(outcome));
    return std::get<GrantProblem>(outcome);
}

}  // namespace

TEST_CASE("A code redeems once for an access token and, with offline.access, a refresh token") {
    Store s;
    const std::string code = s.code();
    const TokenGrant grant = s.grant(code);
    CHECK(grant.access_token.size() == 43);
    CHECK(grant.refresh_token.size() == 43);
    CHECK(grant.expires_in == std::chrono::seconds(7200));
    CHECK(grant.scopes == Scopes{"tweet.read", "users.read", "offline.access"});
    auto holder = s.store.find_access_token(grant.access_token);
    REQUIRE(std::holds_alternative<AccessGrant>(holder));
    CHECK(std::get<AccessGrant>(holder).user_id == "42");
}

TEST_CASE("Without offline.access there is no refresh token") {
    Store s;
    CHECK(s.grant(s.code({"tweet.read", "users.read"})).refresh_token.empty());
}

TEST_CASE("A reused code is refused and revokes the tokens it gave") {
    Store s;
    const std::string code = s.code();
    const TokenGrant grant = s.grant(code);
    CHECK(problem(s.store.redeem_code(code, redirect, verifier)) == GrantProblem::used_code);
    CHECK(std::get<TokenProblem>(s.store.find_access_token(grant.access_token)) == TokenProblem::unknown);
    CHECK(problem(s.store.refresh(grant.refresh_token, std::nullopt)) == GrantProblem::unknown_refresh_token);
}

TEST_CASE("A code expires after its lifetime on the injected clock") {
    Store s;
    const std::string fresh = s.code();
    s.clock.advance(std::chrono::seconds(29));
    CHECK(std::holds_alternative<TokenGrant>(s.store.redeem_code(fresh, redirect, verifier)));

    const std::string late = s.code();
    s.clock.advance(std::chrono::seconds(30));
    CHECK(problem(s.store.redeem_code(late, redirect, verifier)) == GrantProblem::expired_code);
}

TEST_CASE("The first exchange attempt consumes the code, even when it fails") {
    Store s;
    const std::string code = s.code();
    CHECK(problem(s.store.redeem_code(code, redirect, std::string(43, 'x'))) == GrantProblem::pkce_mismatch);
    CHECK(problem(s.store.redeem_code(code, redirect, verifier)) == GrantProblem::used_code);

    const std::string other = s.code();
    CHECK(problem(s.store.redeem_code(other, std::string(redirect) + "/", verifier)) ==
          GrantProblem::redirect_mismatch);
    CHECK(problem(s.store.redeem_code("never-issued", redirect, verifier)) == GrantProblem::unknown_code);
}

TEST_CASE("Refreshing rotates the refresh token and issues a new access token") {
    Store s;
    const TokenGrant first = s.grant(s.code());
    auto refreshed = s.store.refresh(first.refresh_token, std::nullopt);
    REQUIRE(std::holds_alternative<TokenGrant>(refreshed));
    const TokenGrant second = std::get<TokenGrant>(refreshed);
    CHECK(second.access_token != first.access_token);
    CHECK(second.refresh_token != first.refresh_token);
    CHECK(problem(s.store.refresh(first.refresh_token, std::nullopt)) == GrantProblem::unknown_refresh_token);
    CHECK(std::holds_alternative<TokenGrant>(s.store.refresh(second.refresh_token, std::nullopt)));
}

TEST_CASE("A refresh may narrow the scopes but never widen them") {
    Store s;
    const TokenGrant grant = s.grant(s.code());
    CHECK(problem(s.store.refresh(grant.refresh_token, Scopes{"tweet.read", "users.email"})) ==
          GrantProblem::scope_widened);
    auto narrowed = s.store.refresh(grant.refresh_token, Scopes{"tweet.read", "offline.access"});
    REQUIRE(std::holds_alternative<TokenGrant>(narrowed));
    CHECK(std::get<TokenGrant>(narrowed).scopes == Scopes{"tweet.read", "offline.access"});
}

TEST_CASE("Access tokens expire after their lifetime") {
    Store s;
    const TokenGrant grant = s.grant(s.code());
    s.clock.advance(std::chrono::seconds(7199));
    CHECK(std::holds_alternative<AccessGrant>(s.store.find_access_token(grant.access_token)));
    s.clock.advance(std::chrono::seconds(1));
    CHECK(std::get<TokenProblem>(s.store.find_access_token(grant.access_token)) == TokenProblem::expired);
}

TEST_CASE("An authorization request is decided once, with its own authenticity token") {
    Store s;
    const AuthorizationRequest request = s.store.open_request(redirect, "st", {"tweet.read"}, challenge);
    CHECK(std::get<TokenProblem>(s.store.decide(request.id, request.csrf + "x", true, {}, "42")) ==
          TokenProblem::bad_csrf);
    auto cancelled = s.store.decide(request.id, request.csrf, false, {}, "42");
    REQUIRE(std::holds_alternative<AuthorizationDecision>(cancelled));
    CHECK(std::get<AuthorizationDecision>(cancelled).code.empty());
    CHECK(std::get<TokenProblem>(s.store.decide(request.id, request.csrf, true, {}, "42")) ==
          TokenProblem::already_decided);
    CHECK(std::get<TokenProblem>(s.store.find_request(request.id)) == TokenProblem::already_decided);

    const AuthorizationRequest late = s.store.open_request(redirect, "st", {"tweet.read"}, challenge);
    s.clock.advance(std::chrono::seconds(900));
    CHECK(std::get<TokenProblem>(s.store.find_request(late.id)) == TokenProblem::expired);
}

TEST_CASE("The store forgets the oldest records beyond its bound") {
    FakeClock clock;
    CountingRandom random;
    OAuth2Store store(clock, random, OAuth2Limits{std::chrono::seconds(900), std::chrono::seconds(30),
                                                  std::chrono::seconds(7200), 2});
    const AuthorizationRequest first = store.open_request(redirect, "1", {"tweet.read"}, challenge);
    store.open_request(redirect, "2", {"tweet.read"}, challenge);
    const AuthorizationRequest third = store.open_request(redirect, "3", {"tweet.read"}, challenge);
    CHECK(std::get<TokenProblem>(store.find_request(first.id)) == TokenProblem::unknown);
    CHECK(std::holds_alternative<AuthorizationRequest>(store.find_request(third.id)));
}
