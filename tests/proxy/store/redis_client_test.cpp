#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/redis_server.h"
#include "store/redis_client.h"

using namespace perch;
using namespace std::chrono_literals;

TEST_CASE("redis client: commands, replies and binary-safe values") {
    test::RedisServer server;
    RedisClient client(server.client_options("", 200ms));
    const std::string binary("a\0b\r\nc", 6);
    auto set = client.command({"SET", "k", binary});
    REQUIRE(set);
    CHECK(set.value().type == RedisReply::Type::status);
    auto get = client.command({"GET", "k"});
    REQUIRE(get);
    CHECK(get.value().text == binary);
    auto missing = client.command({"GET", "nothing"});
    REQUIRE(missing);
    CHECK(missing.value().type == RedisReply::Type::nil);
    auto wrong_type = client.command({"LPUSH", "k", "x"});
    REQUIRE(wrong_type);  // Redis answered: an error reply, not an outage
    CHECK(wrong_type.value().is_error());
}

TEST_CASE("redis client: AUTH with the URL's password; a wrong one is unavailable, never echoed") {
    test::RedisServer server("right-password");
    RedisClient good(server.client_options("right-password", 200ms));
    auto ping = good.command({"PING"});
    REQUIRE(ping);
    CHECK(ping.value().text == "PONG");

    RedisClient bad(server.client_options("wrong-password", 200ms));
    auto refused = bad.command({"PING"});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("refused the credentials") != std::string::npos);
    CHECK(refused.error().message.find("wrong-password") == std::string::npos);
    CHECK(bad.display_name().find("wrong-password") == std::string::npos);
}

TEST_CASE("redis client: a stopped server is unavailable at once, and a restarted one is used again") {
    test::RedisServer server;
    RedisClient client(server.client_options("", 200ms));
    REQUIRE(client.command({"SET", "k", "v"}));
    server.stop();
    const auto started = std::chrono::steady_clock::now();
    auto down = client.command({"GET", "k"});
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    REQUIRE_FALSE(down);
    CHECK(down.error().message.find("127.0.0.1:") != std::string::npos);
    server.restart();
    auto up = client.command({"SET", "k", "again"});
    REQUIRE(up);
    CHECK(up.value().type == RedisReply::Type::status);
}

TEST_CASE("redis client: a command past its deadline is unavailable and the connection is replaced") {
    test::RedisServer server;
    RedisClient client(server.client_options("", 200ms));
    auto slow = client.command({"DEBUG", "SLEEP", "0.7"});
    REQUIRE_FALSE(slow);
    CHECK(slow.error().message.find("did not answer") != std::string::npos);
    // The next command goes out on a fresh connection and is answered once the
    // server's sleep ends, about 0.2 s later, inside its own 0.5 s deadline.
    auto next = client.command({"PING"});
    REQUIRE(next);
    CHECK(next.value().text == "PONG");
}

TEST_CASE("redis client: callers wait a bounded time for a free connection") {
    test::RedisServer server;
    RedisOptions options = server.client_options("", 200ms);
    options.pool_size = 1;
    options.command_timeout = 3000ms;
    RedisClient client(options);
    REQUIRE(client.command({"PING"}));
    std::thread holder([&] { (void)client.command({"BLPOP", "never", "1"}); });
    // Wait until the holder's BLPOP is on the server (CLIENT LIST counts it).
    RedisClient observer(server.client_options("", 200ms));
    for (int i = 0; i < 200; ++i) {
        auto blocked = observer.command({"INFO", "clients"});
        REQUIRE(blocked);
        if (blocked.value().text.find("blocked_clients:1") != std::string::npos) break;
        std::this_thread::sleep_for(5ms);
    }
    auto waited = client.command({"PING"});
    holder.join();
    REQUIRE_FALSE(waited);
    CHECK(waited.error().message.find("came free within 200 ms") != std::string::npos);
    CHECK(client.command({"PING"}));
}

TEST_CASE("redis client: scripts by SHA-1, sent again after SCRIPT FLUSH") {
    test::RedisServer server;
    RedisClient client(server.client_options("", 200ms));
    const RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    auto first = client.eval(script, {"n"}, {"2"});
    REQUIRE(first);
    CHECK(first.value().integer == 2);
    REQUIRE(client.command({"SCRIPT", "FLUSH"}));
    auto second = client.eval(script, {"n"}, {"3"});
    REQUIRE(second);
    CHECK(second.value().integer == 5);
}
