#include <catch2/catch.hpp>

#include "store/service_url.h"

using namespace perch;

TEST_CASE("redis URLs: host, port, database and credentials") {
    auto plain = parse_redis_url("redis://127.0.0.1");
    REQUIRE(plain);
    CHECK(plain.value().host == "127.0.0.1");
    CHECK(plain.value().port == 6379);
    CHECK(plain.value().database == 0);
    CHECK(plain.value().password.empty());

    auto full = parse_redis_url("redis://perch:s%40cret%2F1@cache.internal:6380/3");
    REQUIRE(full);
    CHECK(full.value().user == "perch");
    CHECK(full.value().password == "s@cret/1");
    CHECK(full.value().host == "cache.internal");
    CHECK(full.value().port == 6380);
    CHECK(full.value().database == 3);

    auto password_only = parse_redis_url("REDIS://:pw@[::1]:7000/0");
    REQUIRE(password_only);
    CHECK(password_only.value().user.empty());
    CHECK(password_only.value().password == "pw");
    CHECK(password_only.value().host == "::1");
    CHECK(password_only.value().port == 7000);
}

TEST_CASE("redis URLs that are refused, without echoing the password") {
    for (const char* bad : {"http://127.0.0.1", "redis://", "redis://host:0", "redis://host:65536",
                            "redis://host:12x", "redis://host/db", "redis://host/0?x=1", "redis://ho st",
                            "redis://user@host", "redis://host#frag", "redis://[::1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_redis_url(bad));
    }
    auto refused = parse_redis_url("redis://:topsecret@host:99999");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("topsecret") == std::string::npos);
}

TEST_CASE("postgresql URLs, both schemes, with sslmode passed through") {
    auto url = parse_postgres_url("postgresql://perch:p%3Ass@db.internal:5433/accounts?sslmode=verify-full");
    REQUIRE(url);
    CHECK(url.value().user == "perch");
    CHECK(url.value().password == "p:ss");
    CHECK(url.value().host == "db.internal");
    CHECK(url.value().port == 5433);
    CHECK(url.value().database == "accounts");
    CHECK(url.value().sslmode == "verify-full");

    auto short_scheme = parse_postgres_url("postgres://perch@127.0.0.1/perch");
    REQUIRE(short_scheme);
    CHECK(short_scheme.value().port == 5432);
    CHECK(short_scheme.value().password.empty());
    CHECK(short_scheme.value().sslmode.empty());

    for (const char* bad : {"postgresql://127.0.0.1/perch", "postgresql://u@host", "postgresql://u@host/",
                            "postgresql://u@host/db?sslmode=maybe", "postgresql://u@host/db?application_name=x",
                            "postgresql://u@host:0/db", "mysql://u@host/db"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_postgres_url(bad));
    }
}

TEST_CASE("masked_url hides the password and nothing else") {
    CHECK(masked_url("redis://:hunter2@127.0.0.1:6379/0") == "redis://:****@127.0.0.1:6379/0");
    CHECK(masked_url("postgresql://perch:p@ss/w0rd@db:5432/perch?sslmode=require") ==
          "postgresql://perch:****@db:5432/perch?sslmode=require");
    CHECK(masked_url("postgresql://perch@db/perch") == "postgresql://perch@db/perch");
    CHECK(masked_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379");
    CHECK(masked_url("/var/lib/perch/perch.db") == "/var/lib/perch/perch.db");
    CHECK(masked_url("redis://u:pw@[::1]:6379/2") == "redis://u:****@[::1]:6379/2");
}
