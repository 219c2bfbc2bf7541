#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app_fakes.h"
#include "session_store.h"

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
    limits.flow_ttl = minutes(10);
    limits.max_sessions = 3;
    limits.max_pending_flows = 100;
    limits.max_flows_per_session = 3;
    limits.max_tombstones_per_session = 4;
    return limits;
}

RequestToken token(const std::string& name) { return RequestToken{name, "secret-of-" + name}; }

struct Fixture {
    FakeClock clock;
    CountingRandom random;
    InMemorySessionStore store{small_limits(), clock, random};
};

}  // namespace

TEST_CASE("A new session id is 43 URL-safe characters and names a live session") {
    Fixture f;
    auto id = f.store.create();
    REQUIRE(id);
    CHECK(id->size() == 43);
    CHECK(is_session_id_text(*id));
    CHECK(f.store.touch(*id));
}

TEST_CASE("Session ids are made from 32 bytes of the injected randomness") {
    Fixture f;
    auto first = f.store.create();
    auto second = f.store.create();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
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
    auto id = *f.store.create();
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id));  // refreshes
    f.clock.advance(minutes(29));
    CHECK(f.store.touch(id));
    f.clock.advance(minutes(30));
    CHECK_FALSE(f.store.touch(id));
    CHECK_FALSE(f.store.touch(id));  // and it stays gone
}

TEST_CASE("A session expires at its absolute lifetime however active it is") {
    Fixture f;
    auto id = *f.store.create();
    for (int i = 0; i < 7; ++i) {
        f.clock.advance(minutes(17));
        REQUIRE(f.store.touch(id));  // 119 minutes in
    }
    f.clock.advance(minutes(1));
    CHECK_FALSE(f.store.touch(id));
}

TEST_CASE("When the store is full of live sessions a new one is refused, not made by evicting") {
    Fixture f;
    auto a = f.store.create(), b = f.store.create(), c = f.store.create();
    REQUIRE((a && b && c));
    CHECK_FALSE(f.store.create());
    CHECK(f.store.touch(*a));
    CHECK(f.store.touch(*b));
    CHECK(f.store.touch(*c));
}

TEST_CASE("When the store is full, expired sessions make room for new ones") {
    Fixture f;
    auto a = *f.store.create();
    f.clock.advance(minutes(20));
    auto b = *f.store.create();
    auto c = *f.store.create();
    f.clock.advance(minutes(15));  // a idle 35 min: expired; b, c idle 15 min
    auto d = f.store.create();
    REQUIRE(d);
    CHECK_FALSE(f.store.touch(a));
    CHECK(f.store.touch(b));
    CHECK(f.store.touch(c));
    CHECK(f.store.stats().sessions == 3);
}

TEST_CASE("A pending flow is taken exactly once, then reported as consumed") {
    Fixture f;
    auto id = *f.store.create();
    REQUIRE(f.store.add_flow(id, token("rt1")) == AddFlowResult::added);
    CHECK(f.store.peek_flow(id, "rt1") == FlowState::pending);

    TakenFlow first = f.store.take_flow(id, "rt1");
    CHECK(first.state == FlowState::taken);
    CHECK(first.token.token == "rt1");
    CHECK(first.token.secret == "secret-of-rt1");

    TakenFlow second = f.store.take_flow(id, "rt1");
    CHECK(second.state == FlowState::consumed);
    CHECK(second.token.secret.empty());
    CHECK(f.store.peek_flow(id, "rt1") == FlowState::consumed);
}

TEST_CASE("Two flows in one session both complete, each with its own secret") {
    Fixture f;
    auto id = *f.store.create();
    REQUIRE(f.store.add_flow(id, token("tab-a")) == AddFlowResult::added);
    REQUIRE(f.store.add_flow(id, token("tab-b")) == AddFlowResult::added);

    TakenFlow b = f.store.take_flow(id, "tab-b");
    TakenFlow a = f.store.take_flow(id, "tab-a");
    REQUIRE(a.state == FlowState::taken);
    REQUIRE(b.state == FlowState::taken);
    CHECK(a.token.secret == "secret-of-tab-a");
    CHECK(b.token.secret == "secret-of-tab-b");
}

TEST_CASE("A flow is never taken through another session or by an unknown token") {
    Fixture f;
    auto mine = *f.store.create();
    auto theirs = *f.store.create();
    REQUIRE(f.store.add_flow(mine, token("rt-mine")) == AddFlowResult::added);
    CHECK(f.store.take_flow(theirs, "rt-mine").state == FlowState::unknown);
    CHECK(f.store.take_flow(mine, "rt-other").state == FlowState::unknown);
    CHECK(f.store.take_flow(mine, "").state == FlowState::unknown);
    CHECK(f.store.take_flow(mine, "rt-min").state == FlowState::unknown);
    CHECK(f.store.take_flow(mine, "rt-mine").state == FlowState::taken);
}

TEST_CASE("Flow operations on a dead session say no_session") {
    Fixture f;
    CHECK(f.store.add_flow(std::string(43, 'A'), token("x")) == AddFlowResult::no_session);
    CHECK(f.store.take_flow(std::string(43, 'A'), "x").state == FlowState::no_session);
    CHECK(f.store.peek_flow(std::string(43, 'A'), "x") == FlowState::no_session);
}

TEST_CASE("A flow older than the flow lifetime is expired, and stays expired") {
    Fixture f;
    auto id = *f.store.create();
    REQUIRE(f.store.add_flow(id, token("old")) == AddFlowResult::added);
    f.clock.advance(minutes(9));
    REQUIRE(f.store.add_flow(id, token("young")) == AddFlowResult::added);
    f.clock.advance(minutes(1));
    CHECK(f.store.peek_flow(id, "old") == FlowState::expired);
    CHECK(f.store.take_flow(id, "old").state == FlowState::expired);
    CHECK(f.store.take_flow(id, "old").state == FlowState::expired);
    CHECK(f.store.take_flow(id, "young").state == FlowState::taken);
}

TEST_CASE("Beyond the per-session cap the oldest flow is dropped and then reads as expired") {
    Fixture f;
    auto id = *f.store.create();
    for (const char* name : {"f1", "f2", "f3", "f4"}) REQUIRE(f.store.add_flow(id, token(name)) == AddFlowResult::added);
    CHECK(f.store.stats().pending_flows == 3);
    CHECK(f.store.take_flow(id, "f1").state == FlowState::expired);
    CHECK(f.store.take_flow(id, "f2").state == FlowState::taken);
    CHECK(f.store.take_flow(id, "f4").state == FlowState::taken);
}

TEST_CASE("Tombstones are bounded: a long-forgotten token becomes unknown") {
    Fixture f;
    auto id = *f.store.create();
    for (int i = 0; i < 6; ++i) {
        const std::string name = "t" + std::to_string(i);
        REQUIRE(f.store.add_flow(id, token(name)) == AddFlowResult::added);
        REQUIRE(f.store.take_flow(id, name).state == FlowState::taken);
    }
    CHECK(f.store.take_flow(id, "t0").state == FlowState::unknown);  // 4 tombstones kept
    CHECK(f.store.take_flow(id, "t1").state == FlowState::unknown);
    CHECK(f.store.take_flow(id, "t2").state == FlowState::consumed);
    CHECK(f.store.take_flow(id, "t5").state == FlowState::consumed);
}

TEST_CASE("The global pending-flow cap refuses new flows with busy until some expire") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_pending_flows = 2;
    InMemorySessionStore store(limits, clock, random);
    auto a = *store.create();
    auto b = *store.create();
    REQUIRE(store.add_flow(a, token("a1")) == AddFlowResult::added);
    REQUIRE(store.add_flow(b, token("b1")) == AddFlowResult::added);
    CHECK(store.add_flow(b, token("b2")) == AddFlowResult::busy);
    REQUIRE(store.take_flow(a, "a1").state == FlowState::taken);
    CHECK(store.add_flow(b, token("b2")) == AddFlowResult::added);
    clock.advance(minutes(11));  // both pending flows expire
    CHECK(store.add_flow(a, token("a2")) == AddFlowResult::added);
    CHECK(store.add_flow(a, token("a3")) == AddFlowResult::added);
    CHECK(store.stats().pending_flows == 2);
}

TEST_CASE("Establishing the identity rotates the id, invalidates the old one and keeps pending flows") {
    Fixture f;
    auto old_id = *f.store.create();
    REQUIRE(f.store.add_flow(old_id, token("done")) == AddFlowResult::added);
    REQUIRE(f.store.add_flow(old_id, token("other-tab")) == AddFlowResult::added);
    REQUIRE(f.store.take_flow(old_id, "done").state == FlowState::taken);

    TwitterIdentity identity{"42", "perch", "at", "at-secret", nlohmann::json{{"id_str", "42"}}};
    auto new_id = f.store.establish_identity(old_id, identity);
    REQUIRE(new_id);
    CHECK(*new_id != old_id);
    CHECK(is_session_id_text(*new_id));
    CHECK_FALSE(f.store.touch(old_id));
    CHECK_FALSE(f.store.identity(old_id));

    auto stored = f.store.identity(*new_id);
    REQUIRE(stored);
    CHECK(stored->user_id == "42");
    CHECK(stored->screen_name == "perch");
    CHECK(stored->access_token_secret == "at-secret");
    CHECK(stored->user["id_str"] == "42");
    CHECK(f.store.take_flow(*new_id, "other-tab").state == FlowState::taken);
    CHECK(f.store.take_flow(*new_id, "done").state == FlowState::consumed);
}

TEST_CASE("Establishing an identity on a dead session fails") {
    Fixture f;
    CHECK_FALSE(f.store.establish_identity(std::string(43, 'z'), TwitterIdentity{}));
}

TEST_CASE("Signing in records the account and rotates the id again") {
    Fixture f;
    auto id = *f.store.create();
    auto with_identity = *f.store.establish_identity(id, TwitterIdentity{"42", "p", "t", "s", {}});
    CHECK_FALSE(f.store.signed_in_account(with_identity));
    auto signed_in = f.store.sign_in(with_identity, 7);
    REQUIRE(signed_in);
    CHECK(*signed_in != with_identity);
    CHECK_FALSE(f.store.touch(with_identity));
    CHECK(f.store.signed_in_account(*signed_in) == std::optional<std::int64_t>(7));
    REQUIRE(f.store.identity(*signed_in));
}

TEST_CASE("A destroyed session is gone along with its flows") {
    Fixture f;
    auto id = *f.store.create();
    REQUIRE(f.store.add_flow(id, token("x")) == AddFlowResult::added);
    f.store.destroy(id);
    CHECK_FALSE(f.store.touch(id));
    CHECK(f.store.stats().pending_flows == 0);
    CHECK(f.store.stats().sessions == 0);
}

TEST_CASE("A sweep reclaims expired sessions and their flows") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_sessions = 1000;
    InMemorySessionStore store(limits, clock, random);
    for (int i = 0; i < 100; ++i) {
        auto id = *store.create();
        REQUIRE(store.add_flow(id, token("t" + std::to_string(i))) == AddFlowResult::added);
    }
    clock.advance(minutes(29));
    auto survivor = *store.create();
    CHECK(store.sweep() == 0);
    clock.advance(minutes(2));
    CHECK(store.sweep() == 100);
    CHECK(store.stats().sessions == 1);
    CHECK(store.stats().pending_flows == 0);
    CHECK(store.touch(survivor));
}

TEST_CASE("Of many threads taking the same token at once, exactly one wins") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    InMemorySessionStore store(limits, clock, random);
    for (int round = 0; round < 50; ++round) {
        auto id = *store.create();
        REQUIRE(store.add_flow(id, token("contested")) == AddFlowResult::added);
        std::atomic<int> winners{0}, consumed{0}, other{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                while (!go.load()) std::this_thread::yield();
                TakenFlow taken = store.take_flow(id, "contested");
                if (taken.state == FlowState::taken && taken.token.secret == "secret-of-contested") ++winners;
                else if (taken.state == FlowState::consumed) ++consumed;
                else ++other;
            });
        }
        go = true;
        for (auto& thread : threads) thread.join();
        REQUIRE(winners == 1);
        REQUIRE(consumed == 7);
        REQUIRE(other == 0);
        store.destroy(id);
    }
}

TEST_CASE("Concurrent creates, flows and takes across threads keep the counts exact") {
    FakeClock clock;
    CountingRandom random;
    SessionLimits limits = small_limits();
    limits.max_sessions = 10000;
    limits.max_pending_flows = 100000;
    InMemorySessionStore store(limits, clock, random);
    std::atomic<int> taken{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                auto id = store.create();
                if (!id) continue;
                const std::string a = "a" + std::to_string(t) + "-" + std::to_string(i);
                const std::string b = "b" + std::to_string(t) + "-" + std::to_string(i);
                store.add_flow(*id, token(a));
                store.add_flow(*id, token(b));
                if (store.take_flow(*id, a).state == FlowState::taken) ++taken;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(taken == 800);
    auto stats = store.stats();
    CHECK(stats.sessions == 800);
    CHECK(stats.pending_flows == 800);
}
