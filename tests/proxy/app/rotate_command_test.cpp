#include "app/commands/rotate_command.h"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "support/account_test_support.h"

namespace {

using namespace perch::test;

const std::string old_hex = "0101010101010101010101010101010101010101010101010101010101010101";
const std::string new_hex = "0202020202020202020202020202020202020202020202020202020202020202";

perch::TokenKey key_of(const std::string& hex) { return perch::parse_token_key(hex).value(); }

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

Run run(const std::map<std::string, std::string>& env, std::vector<std::string> args = {}) {
    args.insert(args.begin(), "rotate-token-key");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    std::ostringstream out;
    std::ostringstream err;
    const perch::EnvLookup lookup = [env](const char* name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    Run result;
    result.status = perch::run_rotate_token_key_command(static_cast<int>(argv.size()), argv.data(), lookup,
                                                        "1.2.3", out, err);
    result.out = out.str();
    result.err = err.str();
    // Whatever happened: no key in any output.
    for (const std::string& text : {result.out, result.err}) {
        CHECK(text.find(old_hex) == std::string::npos);
        CHECK(text.find(new_hex) == std::string::npos);
        CHECK(text.find("PlaintextMarker") == std::string::npos);
    }
    return result;
}

// A closed database of `count` accounts under old_hex's key.
struct Database {
    explicit Database(int count) : cipher(key_of(old_hex), random) {
        auto store = perch::SqliteAccountStore::open(perch::AccountStoreOptions{path}, cipher, clock);
        REQUIRE(store.ok());
        for (int i = 1; i <= count; ++i) {
            REQUIRE(store.value()->register_account(new_account(std::to_string(i), "u" + std::to_string(i))).ok());
        }
    }
    std::map<std::string, std::string> env() const {
        return {{"PERCH_DATABASE", path}, {"PERCH_TOKEN_KEY", old_hex}, {"PERCH_NEW_TOKEN_KEY", new_hex}};
    }
    bool opens_with(const std::string& hex) {
        const perch::TokenCipher with(key_of(hex), random);
        return perch::SqliteAccountStore::open(perch::AccountStoreOptions{path}, with, clock).ok();
    }

    TempDir dir;
    std::string path = dir.file("perch.db");
    perch::SecureRandom random;
    perch::TokenCipher cipher;
    FixedClock clock;
};

}  // namespace

TEST_CASE("rotate-token-key re-seals every token and prints a summary") {
    Database database(2);
    const Run result = run(database.env());
    CHECK(result.status == 0);
    CHECK(result.out == "perch-proxy rotate-token-key: re-sealed 4 tokens of 2 accounts in " + database.path +
                            "; start perch-proxy with the new key as PERCH_TOKEN_KEY\n");
    CHECK(result.err.empty());
    CHECK(database.opens_with(new_hex));
    CHECK_FALSE(database.opens_with(old_hex));
}

TEST_CASE("rotate-token-key takes its settings from flags and key files too; a flag wins") {
    Database database(1);
    TempDir keys;
    std::ofstream(keys.file("new.key")) << new_hex << "\n";
    std::ofstream(keys.file("old.key")) << old_hex << "\n";
    const Run result = run({{"PERCH_DATABASE", "/nonexistent/elsewhere.db"}, {"PERCH_TOKEN_KEY", new_hex}},
                           {"--database", database.path, "--token-key-file", keys.file("old.key"),
                            "--new-token-key-file", keys.file("new.key")});
    CHECK(result.status == 0);
    CHECK(result.out.find("re-sealed 2 tokens of 1 accounts") != std::string::npos);
    CHECK(database.opens_with(new_hex));
}

TEST_CASE("rotate-token-key refuses missing, malformed or identical keys with exit 2") {
    Database database(1);
    auto without = [&](const std::string& name) {
        auto env = database.env();
        env.erase(name);
        return env;
    };
    auto with = [&](const std::string& name, const std::string& value) {
        auto env = database.env();
        env[name] = value;
        return env;
    };
    const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
        {without("PERCH_NEW_TOKEN_KEY"),
         "PERCH_NEW_TOKEN_KEY or PERCH_NEW_TOKEN_KEY_FILE (--new-token-key[-file]) is required: 64 hex digits, "
         "e.g. from openssl rand -hex 32"},
        {without("PERCH_TOKEN_KEY"),
         "PERCH_TOKEN_KEY or PERCH_TOKEN_KEY_FILE (--token-key[-file]) is required: 64 hex digits, e.g. from "
         "openssl rand -hex 32"},
        {with("PERCH_NEW_TOKEN_KEY", new_hex.substr(1)),
         "the new token key (PERCH_NEW_TOKEN_KEY[_FILE]) must be 64 hex digits (32 bytes)"},
        {with("PERCH_NEW_TOKEN_KEY", old_hex),
         "PERCH_NEW_TOKEN_KEY is the same key as PERCH_TOKEN_KEY: there is nothing to rotate"},
        {with("PERCH_DATABASE", ""), "PERCH_DATABASE must not be empty"},
    };
    for (const auto& [env, message] : cases) {
        const Run result = run(env);
        CHECK(result.status == 2);
        CHECK(result.err == "perch-proxy rotate-token-key: " + message + "\n");
        CHECK(result.out.empty());
    }
    CHECK(database.opens_with(old_hex));
}

TEST_CASE("rotate-token-key with a PERCH_TOKEN_KEY that is not the database's exits 2, changing nothing") {
    Database database(1);
    auto env = database.env();
    env["PERCH_TOKEN_KEY"] = std::string(64, 'a');
    const Run result = run(env);
    CHECK(result.status == 2);
    CHECK(result.err ==
          "perch-proxy rotate-token-key: PERCH_TOKEN_KEY does not match the key this database's tokens are "
          "sealed with; nothing was changed\n");
    CHECK(database.opens_with(old_hex));
}

TEST_CASE("rotate-token-key refuses a database in use, or one holding a token that does not open, with exit 1") {
    Database database(2);
    {
        auto running = perch::SqliteAccountStore::open(perch::AccountStoreOptions{database.path}, database.cipher,
                                                 database.clock);
        REQUIRE(running.ok());
        const Run busy = run(database.env());
        CHECK(busy.status == 1);
        CHECK(busy.err == "perch-proxy rotate-token-key: PERCH_DATABASE " + database.path +
                              " is in use by another process: stop every perch-proxy using it, then run "
                              "rotate-token-key again; nothing was changed\n");
    }
    {
        perch::sqlite::Database raw(database.path, perch::sqlite::Database::Mode::read_write);
        raw.exec("UPDATE accounts SET access_token = (SELECT access_token FROM accounts WHERE id = 1) WHERE id = 2");
    }
    const Run swapped = run(database.env());
    CHECK(swapped.status == 1);
    CHECK(swapped.err ==
          "perch-proxy rotate-token-key: the stored access_token of account row 2 does not open: sealed token "
          "failed authentication (tampered, wrong key, or another account's value); nothing was changed. "
          "Restore that account row from a backup, or delete the account (the person signs up again), then "
          "run rotate-token-key again\n");
    CHECK(database.opens_with(old_hex));

    const Run missing = run({{"PERCH_DATABASE", database.dir.file("none.db")},
                             {"PERCH_TOKEN_KEY", old_hex}, {"PERCH_NEW_TOKEN_KEY", new_hex}});
    CHECK(missing.status == 1);
    CHECK(missing.err == "perch-proxy rotate-token-key: PERCH_DATABASE " + database.dir.file("none.db") +
                             ": no such database file; nothing was changed\n");
}

TEST_CASE("rotate-token-key --help names its settings") {
    const Run result = run({}, {"--help"});
    CHECK(result.status == 0);
    for (const char* name : {"--database", "--token-key", "--token-key-file", "--new-token-key",
                             "--new-token-key-file", "PERCH_DATABASE", "PERCH_TOKEN_KEY", "PERCH_TOKEN_KEY_FILE",
                             "PERCH_NEW_TOKEN_KEY", "PERCH_NEW_TOKEN_KEY_FILE", "Stop every perch-proxy"}) {
        INFO(name);
        CHECK(result.out.find(name) != std::string::npos);
    }
}
