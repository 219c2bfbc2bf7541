#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/app_fakes.h"
#include "store/session_store.h"

using namespace perch;
using perch::testing::CountingRandom;
using perch::testing::FakeClock;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

SessionLimits small_limits() {
    SessionLimits limits;
    limits.idle_ttl = minutes(30);
    limits.absolute_ttl = minutes(120);
    limits.max_sessions = 3;
    return limits;
}

FlowKey flow_key(unsigned char seed) {
    FlowKey key{};
    key.fill(seed);
    return key;
}

NewSession person(const std::string& user_id = "42", unsigned char flow = 1) {
    return NewSession{TwitterIdentity{user_id, "perch", "at", "at-secret", nlohmann::json{{"id_str", user_id}}},
                      std::nullopt, flow_key(flow)};
}

struct Fixture {
    FakeClock clock;
    CountingRandom random;
    InMemorySessionStore store{small_limits(), clock, random};
};

}  // namespace

TEST_CASE("A new session id is 43 URL-safe characters and names a live session holding the identity") {
    Fixture f;
    auto id = f.store.create(person());
    REQUIRE(id);
    CHECK(id->size() == 43);
    CHECK(is_session_id_text(*id));
    CHECK(f.store.touch(*id));
    auto identity = f.store.identity(*id);
    REQUIRE(identity);
    CHECK(identity->user_id == "42");
    CHECK(identity->access_token_secret == "at-secret");
    CHECK(identity->user["id_str"] == "42");
    CHECK_FALSE(f.store.signed_in_account(*id));
}

TEST_CASE("Session ids are made from 32 bytes of the injected randomness") {
    Fixture f;
    auto first = f.store.create(person());
    auto second = f.store.create(person());
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
}

TEST_CASE("A returning user's session is signed in from the start") {
    Fixture f;
    NewSession returning = person();
    returning.account_id = 7;
    auto id = f.store.create(returning);
    REQUIRE(id);
    CHECK(f.store.signed_in_account(*id) == std::optional<std::int64_t>(7));
}

TEST_CASE("A session knows the flow whose exchange made it, and no other") {
    Fixture f;
    auto id = *f.store.create(person("42", 9));
    CHECK(f.store.made_by(id, flow_key(9)));
    CHECK_FALSE(f.store.made_by(id, flow_key(8)));
    CHECK_FALSE(f.store.made_by(std::string(43, 'A'), flow_key(9)));
    auto signed_in = *f.store.sign_in(id, 3);
    CHECK(f.store.made_by(signed_in, flow_key(9)));  // the flow moves along with the rotation
    CHECK_FALSE(f.store.made_by(id, flow_key(9)));
}

TEST_CASE("Text that is not shaped like a session id is never a session") {
    Fixture f;
    CHECK_FALSE(f.store.touch(""));
    CHECK_FALSE(f.store.touch("short"));
    CHECK_FALSE(f.store.touch(std::string(43, '.')));
    CHECK_FALSE(is_session_id_text(std::string(44, 'a')));
    CHECK(is_session_id_text(std::string(43, 'a')));
}

TEST_CASE("A session idle for the idle lifetime expires; activity keeps it alive") {
    Fixture f;
    auto id = *f.store.create(person());
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id));  // refreshes
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id));
    f.clock.advance(minutes(30));
    CHECK_FALSE(f.store.touch(id));
    CHECK_FALSE(f.store.identity(id));
    CHECK_FALSE(f.store.touch(id));  // and it stays gone
}

TEST_CASE("A session expires at its absolute lifetime however active it is") {
    Fixture f;
    auto id = *f.store.create(person());
    for (int i = 0; i < 7; ++i) {
        f.clock.advance(minutes(17));
        REQUIRE(f.store.touch(id));  // 119 minutes in
    }
    f.clock.advance(minutes(1));
    CHECK_FALSE(f.store.touch(id));
}

TEST_CASE("When the store is full of live sessions a new one is refused, not made by evicting") {
    Fixture f;
    auto a = f.store.create(person()), b = f.store.create(person()), c = f.store.create(person());
    REQUIRE((a && b && c));
    CHECK_FALSE(f.store.create(person()));
    CHECK(f.store.touch(*a));
    CHECK(f.store.touch(*b));
    CHECK(f.store.touch(*c));
}

TEST_CASE("When the store is full, expired sessions make room for new ones") {
    Fixture f;
    auto a = *f.store.create(person());
    f.clock.advance(minutes(20));
    auto b = *f.store.create(person());
    auto c = *f.store.create(person());
    f.clock.advance(minutes(15));  // a idle 35 min: expired; b, c idle 15 min
    auto d = f.store.create(person());
    REQUIRE(d);
    CHECK_FALSE(f.store.touch(a));
    CHECK(f.store.touch(b));
    CHECK(f.store.touch(c));
    CHECK(f.store.size() == 3);
}

TEST_CASE("Signing in records the account and rotates the id") {
    Fixture f;
    auto id = *f.store.create(person());
    auto signed_in = f.store.sign_in(id, 7);
    REQUIRE(signed_in);
    CHECK(*signed_in != id);
    CHECK_FALSE(f.store.touch(id));
    CHECK(f.store.signed_in_account(*signed_in) == std::optional<std::int64_t>(7));
    REQUIRE(f.store.identity(*signed_in));
    CHECK_FALSE(f.store.sign_in(std::string(43, 'z'), 7));
}

TEST_CASE("Signing in starts a new absolute lifetime") {
    Fixture f;
    auto id = *f.store.create(person());
    for (int i = 0; i < 4; ++i) {
        f.clock.advance(minutes(25));
        REQUIRE(f.store.touch(id));
    }
    auto signed_in = *f.store.sign_in(id, 7);
    f.clock.advance(minutes(25));
    CHECK(f.store.touch(signed_in));  // 125 minutes after the first sign-in
}

TEST_CASE("A destroyed session is gone") {
    Fixture f;
    auto id = *f.store.create(person());
    f.store.destroy(id);
    CHECK_FALSE(f.store.touch(id));
    CHECK(f.store.size() == 0);
    f.store.destroy(id);  // twice is harmless
}

TEST_CASE("A sweep reclaims expired sessions") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_sessions = 1000;
    InMemorySessionStore store(limits, clock, random);
    for (int i = 0; i < 100; ++i) REQUIRE(store.create(person()));
    clock.advance(minutes(29));
    auto survivor = *store.create(person());
    CHECK(store.sweep() == 0);
    clock.advance(minutes(2));
    CHECK(store.sweep() == 100);
    CHECK(store.size() == 1);
    CHECK(store.touch(survivor));
}

TEST_CASE("Concurrent creates, sign-ins and sign-outs across threads keep the count exact") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_sessions = 10000;
    InMemorySessionStore store(limits, clock, random);
    std::atomic<int> signed_in{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto kept = store.create(person());
                auto ended = store.create(person());
                if (!kept || !ended) continue;
                store.destroy(*ended);
                if (store.sign_in(*kept, i)) ++signed_in;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(signed_in == 800);
    CHECK(store.size() == 800);
}
