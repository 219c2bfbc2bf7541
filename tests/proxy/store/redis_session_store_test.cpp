#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "base/crypto.h"
#include "support/redis_server.h"
#include "store/redis_session_store.h"

using namespace perch;
using namespace std::chrono_literals;

namespace {

TokenKey key_of_byte(unsigned char byte) {
    TokenKey key{};
    key.fill(byte);
    return key;
}

NewSession person(const std::string& user_id = "42") {
    NewSession session;
    session.identity = TwitterIdentity{user_id, "perch_tester", "at-value", "at-secret",
                                       nlohmann::json{{"id_str", user_id}, {"name", "Zoë"}}, std::nullopt};
    session.flow.fill(7);
    return session;
}

struct Fixture {
    explicit Fixture(SessionLimits limits = {}) : client(server.client_options()), store(client, limits, key_of_byte(1), random) {}
    test::RedisServer server;
    SecureRandom random;
    RedisClient client;
    RedisSessionStore store;
};

}  // namespace

TEST_CASE("redis sessions: made, read, rotated and ended like the in-memory store") {
    Fixture f;
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    CHECK(is_session_id_text(*id));
    CHECK(f.store.touch(*id).value());
    auto identity = f.store.identity(*id).value();
    REQUIRE(identity);
    CHECK(identity->user_id == "42");
    CHECK(identity->access_token_secret == "at-secret");
    CHECK(identity->user.at("name") == "Zoë");
    FlowKey flow{};
    flow.fill(7);
    CHECK(f.store.made_by(*id, flow).value());
    flow.fill(8);
    CHECK_FALSE(f.store.made_by(*id, flow).value());
    CHECK_FALSE(f.store.signed_in_account(*id).value());

    auto rotated = f.store.sign_in(*id, 17).value();
    REQUIRE(rotated);
    CHECK(*rotated != *id);
    CHECK_FALSE(f.store.touch(*id).value());
    CHECK(f.store.signed_in_account(*rotated).value() == std::optional<std::int64_t>(17));
    CHECK(f.store.size().value() == 1);
    CHECK(f.store.destroy(*rotated).value());
    CHECK_FALSE(f.store.touch(*rotated).value());
    CHECK(f.store.size().value() == 0);
}

TEST_CASE("redis sessions: an OAuth 2.0 sign-in's grant comes back whole") {
    Fixture f;
    NewSession session = person();
    session.identity.access_token.clear();
    session.identity.access_token_secret.clear();
    session.identity.oauth2 = OAuth2Grant{"bearer-value", "refresh-value", 1900000000};
    auto id = f.store.create(session).value();
    REQUIRE(id);
    auto identity = f.store.identity(*id).value();
    REQUIRE(identity);
    REQUIRE(identity->oauth2);
    CHECK(identity->oauth2->access_token == "bearer-value");
    CHECK(identity->oauth2->refresh_token == "refresh-value");
    CHECK(identity->oauth2->expires_at == 1900000000);
    auto plain = f.store.identity(*f.store.create(person()).value()).value();
    REQUIRE(plain);
    CHECK_FALSE(plain->oauth2);
    auto dump = f.client.command({"DUMP", f.store.key_of(*id)});
    REQUIRE(dump);
    CHECK(dump.value().text.find("bearer-value") == std::string::npos);
}

TEST_CASE("redis sessions: two stores on one Redis are one store (instances share sessions)") {
    Fixture f;
    SecureRandom random;
    RedisClient other_client(f.server.client_options());
    RedisSessionStore other(other_client, SessionLimits{}, key_of_byte(1), random);
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    CHECK(other.touch(*id).value());
    auto rotated = other.sign_in(*id, 5).value();
    REQUIRE(rotated);
    CHECK(f.store.signed_in_account(*rotated).value() == std::optional<std::int64_t>(5));
    CHECK_FALSE(f.store.touch(*id).value());
}

TEST_CASE("redis sessions: Redis holds no session id and no token in clear") {
    Fixture f;
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    auto keys = f.client.command({"KEYS", "*"});
    REQUIRE(keys);
    REQUIRE(keys.value().elements.size() == 2);  // the session and the index
    for (const RedisReply& key : keys.value().elements) {
        CHECK(key.text.find(*id) == std::string::npos);
        auto dump = f.client.command({"DUMP", key.text});
        REQUIRE(dump);
        CHECK(dump.value().text.find(*id) == std::string::npos);
        CHECK(dump.value().text.find("at-secret") == std::string::npos);
        CHECK(dump.value().text.find("at-value") == std::string::npos);
        CHECK(dump.value().text.find("perch_tester") == std::string::npos);
        auto ttl = f.client.command({"PTTL", key.text});  // the index too: nothing kept forever
        REQUIRE(ttl);
        CHECK(ttl.value().integer > 0);
    }
    CHECK(f.store.key_of(*id).rfind("perch:session:", 0) == 0);
}

TEST_CASE("redis sessions: a value moved to another key, or read under another key, opens nowhere") {
    Fixture f;
    auto first = f.store.create(person("1")).value();
    auto second = f.store.create(person("2")).value();
    REQUIRE(first);
    REQUIRE(second);
    // Copy the first session's sealed value over the second's.
    auto sealed = f.client.command({"HGET", f.store.key_of(*first), "v"});
    REQUIRE(sealed);
    REQUIRE(f.client.command({"HSET", f.store.key_of(*second), "v", sealed.value().text}));
    CHECK_FALSE(f.store.identity(*second).value());
    CHECK(f.store.identity(*first).value());

    SecureRandom random;
    RedisClient other_client(f.server.client_options());
    RedisSessionStore other_key(other_client, SessionLimits{}, key_of_byte(2), random);
    CHECK_FALSE(other_key.touch(*first).value());
}

TEST_CASE("redis sessions: expiry is set in Redis and follows idle and absolute limits") {
    SessionLimits limits;
    limits.idle_ttl = std::chrono::seconds(30);
    limits.absolute_ttl = std::chrono::seconds(60);
    Fixture f(limits);
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    auto ttl = f.client.command({"PTTL", f.store.key_of(*id)});
    REQUIRE(ttl);
    CHECK(ttl.value().integer > 29000);
    CHECK(ttl.value().integer <= 30000);

    // An absolute lifetime nearly spent caps the idle extension: age the
    // session by rewriting its creation time (Redis's clock is the judge).
    auto now = f.client.command({"TIME"});
    REQUIRE(now);
    const long long now_ms = std::stoll(now.value().elements[0].text) * 1000 + std::stoll(now.value().elements[1].text) / 1000;
    REQUIRE(f.client.command({"HSET", f.store.key_of(*id), "c", std::to_string(now_ms - 50000)}));
    REQUIRE(f.store.touch(*id).value());
    auto capped = f.client.command({"PTTL", f.store.key_of(*id)});
    REQUIRE(capped);
    CHECK(capped.value().integer <= 10000);
    CHECK(capped.value().integer > 8000);

    REQUIRE(f.client.command({"HSET", f.store.key_of(*id), "c", std::to_string(now_ms - 61000)}));
    CHECK_FALSE(f.store.touch(*id).value());
    auto gone = f.client.command({"EXISTS", f.store.key_of(*id)});
    REQUIRE(gone);
    CHECK(gone.value().integer == 0);
}

TEST_CASE("redis sessions: the cap refuses new sessions while live ones fill it") {
    SessionLimits limits;
    limits.max_sessions = 3;
    Fixture f(limits);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        auto id = f.store.create(person()).value();
        REQUIRE(id);
        ids.push_back(*id);
    }
    CHECK_FALSE(f.store.create(person()).value());
    REQUIRE(f.store.destroy(ids[0]).value());
    CHECK(f.store.create(person()).value());
}

TEST_CASE("redis sessions: of concurrent sign-ins of one session, exactly one rotates it") {
    Fixture f;
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            SecureRandom random;
            RedisClient client(f.server.client_options());
            RedisSessionStore store(client, SessionLimits{}, key_of_byte(1), random);
            auto rotated = store.sign_in(*id, 100 + i);
            if (rotated && rotated.value()) ++winners;
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(winners == 1);
    CHECK(f.store.size().value() == 1);
}

TEST_CASE("redis sessions: Redis down is StoreUnavailable, not 'no session'") {
    Fixture f;
    auto id = f.store.create(person()).value();
    REQUIRE(id);
    f.server.stop();
    auto touched = f.store.touch(*id);
    REQUIRE_FALSE(touched);
    CHECK(touched.error().message.find("Redis") != std::string::npos);
    CHECK_FALSE(f.store.create(person()));
    CHECK_FALSE(f.store.size());
}
