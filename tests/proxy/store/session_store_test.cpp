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
    return NewSession{TwitterIdentity{user_id, "perch", "at", "at-secret", nlohmann::json{{"id_str", user_id}}, std::nullopt},
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
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    CHECK(id->size() == 43);
    CHECK(is_session_id_text(*id));
    CHECK(f.store.touch(*id).value());
    auto identity = f.store.identity(*id).value();
    REQUIRE(identity);
    CHECK(identity->user_id == "42");
    CHECK(identity->access_token_secret == "at-secret");
    CHECK(identity->user["id_str"] == "42");
    CHECK_FALSE(f.store.signed_in_account(*id).value());
}

TEST_CASE("Session ids are made from 32 bytes of the injected randomness") {
    Fixture f;
    auto first = f.store.create(person()).value();
    auto second = f.store.create(person()).value();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
}

TEST_CASE("A returning user's session is signed in from the start") {
    Fixture f;
    NewSession returning = person();
    returning.account_id = 7;
    auto id = f.store.create(returning).value();
    REQUIRE(id);
    CHECK(f.store.signed_in_account(*id).value() == std::optional<std::int64_t>(7));
}

TEST_CASE("A session knows the flow whose exchange made it, and no other") {
    Fixture f;
    auto id = *f.store.create(person("42", 9)).value();
    CHECK(f.store.made_by(id, flow_key(9)).value());
    CHECK_FALSE(f.store.made_by(id, flow_key(8)).value());
    CHECK_FALSE(f.store.made_by(std::string(43, 'A'), flow_key(9)).value());
    auto signed_in = *f.store.sign_in(id, 3).value();
    CHECK(f.store.made_by(signed_in, flow_key(9)).value());  // the flow moves along with the rotation
    CHECK_FALSE(f.store.made_by(id, flow_key(9)).value());
}

TEST_CASE("Text that is not shaped like a session id is never a session") {
    Fixture f;
    CHECK_FALSE(f.store.touch("").value());
    CHECK_FALSE(f.store.touch("short").value());
    CHECK_FALSE(f.store.touch(std::string(43, '.')).value());
    CHECK_FALSE(is_session_id_text(std::string(44, 'a')));
    CHECK(is_session_id_text(std::string(43, 'a')));
}

TEST_CASE("A session idle for the idle lifetime expires; activity keeps it alive") {
    Fixture f;
    auto id = *f.store.create(person()).value();
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id).value());  // refreshes
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id).value());
    f.clock.advance(minutes(30));
    CHECK_FALSE(f.store.touch(id).value());
    CHECK_FALSE(f.store.identity(id).value());
    CHECK_FALSE(f.store.touch(id).value());  // and it stays gone
}

TEST_CASE("A session expires at its absolute lifetime however active it is") {
    Fixture f;
    auto id = *f.store.create(person()).value();
    for (int i = 0; i < 7; ++i) {
        f.clock.advance(minutes(17));
        REQUIRE(f.store.touch(id).value());  // 119 minutes in
    }
    f.clock.advance(minutes(1));
    CHECK_FALSE(f.store.touch(id).value());
}

TEST_CASE("When the store is full of live sessions a new one is refused, not made by evicting") {
    Fixture f;
    auto a = f.store.create(person()).value(), b = f.store.create(person()).value(), c = f.store.create(person()).value();
    REQUIRE((a && b && c));
    CHECK_FALSE(f.store.create(person()).value());
    CHECK(f.store.touch(*a).value());
    CHECK(f.store.touch(*b).value());
    CHECK(f.store.touch(*c).value());
}

TEST_CASE("When the store is full, expired sessions make room for new ones") {
    Fixture f;
    auto a = *f.store.create(person()).value();
    f.clock.advance(minutes(20));
    auto b = *f.store.create(person()).value();
    auto c = *f.store.create(person()).value();
    f.clock.advance(minutes(15));  // a idle 35 min: expired; b, c idle 15 min
    auto d = f.store.create(person()).value();
    REQUIRE(d);
    CHECK_FALSE(f.store.touch(a).value());
    CHECK(f.store.touch(b).value());
    CHECK(f.store.touch(c).value());
    CHECK(f.store.size().value() == 3);
}

TEST_CASE("Signing in records the account and rotates the id") {
    Fixture f;
    auto id = *f.store.create(person()).value();
    auto signed_in = f.store.sign_in(id, 7).value();
    REQUIRE(signed_in);
    CHECK(*signed_in != id);
    CHECK_FALSE(f.store.touch(id).value());
    CHECK(f.store.signed_in_account(*signed_in).value() == std::optional<std::int64_t>(7));
    REQUIRE(f.store.identity(*signed_in).value());
    CHECK_FALSE(f.store.sign_in(std::string(43, 'z'), 7).value());
}

TEST_CASE("Signing in starts a new absolute lifetime") {
    Fixture f;
    auto id = *f.store.create(person()).value();
    for (int i = 0; i < 4; ++i) {
        f.clock.advance(minutes(25));
        REQUIRE(f.store.touch(id).value());
    }
    auto signed_in = *f.store.sign_in(id, 7).value();
    f.clock.advance(minutes(25));
    CHECK(f.store.touch(signed_in).value());  // 125 minutes after the first sign-in
}

TEST_CASE("A destroyed session is gone") {
    Fixture f;
    auto id = *f.store.create(person()).value();
    f.store.destroy(id).value();
    CHECK_FALSE(f.store.touch(id).value());
    CHECK(f.store.size().value() == 0);
    f.store.destroy(id).value();  // twice is harmless
}

TEST_CASE("A sweep reclaims expired sessions") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_sessions = 1000;
    InMemorySessionStore store(limits, clock, random);
    for (int i = 0; i < 100; ++i) REQUIRE(store.create(person()).value());
    clock.advance(minutes(29));
    auto survivor = *store.create(person()).value();
    CHECK(store.sweep() == 0);
    clock.advance(minutes(2));
    CHECK(store.sweep() == 100);
    CHECK(store.size().value() == 1);
    CHECK(store.touch(survivor).value());
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
                auto kept = store.create(person()).value();
                auto ended = store.create(person()).value();
                if (!kept || !ended) continue;
                store.destroy(*ended).value();
                if (store.sign_in(*kept, i).value()) ++signed_in;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(signed_in == 800);
    CHECK(store.size().value() == 800);
}
