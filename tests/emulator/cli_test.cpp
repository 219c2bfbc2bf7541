#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

#include "emulator/cli.h"

using namespace perch::emulator;

namespace {

CliOutcome parse(std::vector<const char*> args) {
    args.insert(args.begin(), "perch-emulator");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("The minimal command line starts the emulator with Twitter-like defaults") {
    const CliOutcome outcome = parse({"--port", "0", "--consumer-key", "ck", "--consumer-secret", "cs"});
    REQUIRE(outcome.config.has_value());
    const EmulatorConfig& config = *outcome.config;
    CHECK(config.port == 0);
    CHECK(config.host == "127.0.0.1");
    CHECK(config.consumer_key == "ck");
    CHECK(config.consumer_secret == "cs");
    CHECK(config.strict);
    CHECK(config.control);
    CHECK(config.fault.mode == FaultMode::none);
    CHECK(config.fault.on == FaultEndpoint::all);
    CHECK(config.fault.slow == std::chrono::milliseconds(15000));
    CHECK(config.timestamp_window_s == 300);
    CHECK(config.request_token_ttl == std::chrono::seconds(900));
    CHECK(config.user.at("id_str") == "1452019283001737216");
}

TEST_CASE("Fault options, strictness and callbacks are read") {
    const CliOutcome outcome =
        parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fault", "slow", "--fault-on", "access_token",
               "--slow-ms", "2500", "--no-strict", "--allowed-callback", "http://127.0.0.1:8080/cb",
               "--token-ttl", "30", "--no-control", "--host", "::1", "--port", "8123"});
    REQUIRE(outcome.config.has_value());
    const EmulatorConfig& config = *outcome.config;
    CHECK(config.fault.mode == FaultMode::slow);
    CHECK(config.fault.on == FaultEndpoint::access_token);
    CHECK(config.fault.slow == std::chrono::milliseconds(2500));
    CHECK_FALSE(config.strict);
    CHECK_FALSE(config.control);
    CHECK(config.allowed_callbacks == std::vector<std::string>{"http://127.0.0.1:8080/cb"});
    CHECK(config.request_token_ttl == std::chrono::seconds(30));
    CHECK(config.host == "::1");
    CHECK(config.port == 8123);
}

TEST_CASE("Missing credentials stop start-up with one line and exit code 2") {
    const CliOutcome outcome = parse({"--consumer-key", "ck"});
    CHECK_FALSE(outcome.config.has_value());
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.error == "perch-emulator: --consumer-secret is required");
}

TEST_CASE("Bad fault settings are refused with the allowed values") {
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fault", "boom"}).error ==
          "perch-emulator: --fault must be one of none, http500, http401, http429, garbage, slow, drop (got 'boom')");
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fault-on", "authorize"}).error ==
          "perch-emulator: --fault-on must be one of request_token, access_token, verify_credentials, token, "
          "users_me, all (got 'authorize')");
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--slow-ms", "-1"}).exit_code == 2);
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--port", "70000"}).exit_code == 2);
}

TEST_CASE("A consumer key with spaces and a callback with a query are refused") {
    CHECK(parse({"--consumer-key", "c k", "--consumer-secret", "cs"}).error ==
          "perch-emulator: --consumer-key must be 1-256 printable ASCII characters without spaces");
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--allowed-callback", "http://h/cb?x=1"}).error ==
          "perch-emulator: --allowed-callback must be an absolute http(s) URL without query or fragment (got "
          "'http://h/cb?x=1')");
}

TEST_CASE("--user replaces the default user, and a bad file stops start-up in one line") {
    const std::string path = "perch_emulator_cli_user.json";
    {
        std::ofstream file(path);
        file << R"({"id":9007199254740993,"id_str":"9007199254740993","screen_name":"big","name":"Big Id"})";
    }
    const CliOutcome good = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--user", path.c_str()});
    REQUIRE(good.config.has_value());
    CHECK(good.config->user.at("screen_name") == "big");
    CHECK(good.config->user.dump().find("\"id\":9007199254740993,") != std::string::npos);

    {
        std::ofstream file(path);
        file << R"({"id":9007199254740992,"id_str":"9007199254740993","screen_name":"big","name":"Big Id"})";
    }
    const CliOutcome bad = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--user", path.c_str()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.error == "perch-emulator: --user: " + path + ": id must be an integer equal to id_str");
    CHECK(bad.error.find('\n') == std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("--help and --version print to stdout and exit 0") {
    const CliOutcome help = parse({"--help"});
    CHECK_FALSE(help.config.has_value());
    CHECK(help.exit_code == 0);
    CHECK(help.output.find("--consumer-key") != std::string::npos);
    CHECK(help.output.find("/__emulator/fault") != std::string::npos);

    const CliOutcome version = parse({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.output.rfind("perch-emulator ", 0) == 0);
}

TEST_CASE("--fast, --threads and --bench-replay-nonces are read") {
    const CliOutcome plain = parse({"--consumer-key", "ck", "--consumer-secret", "cs"});
    REQUIRE(plain.config.has_value());
    CHECK_FALSE(plain.config->fast);
    CHECK_FALSE(plain.config->replay_nonces);
    CHECK(plain.config->worker_threads() == 32);

    const CliOutcome fast = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fast", "--bench-replay-nonces"});
    REQUIRE(fast.config.has_value());
    CHECK(fast.config->fast);
    CHECK(fast.config->replay_nonces);
    CHECK(fast.config->worker_threads() == 256);

    const CliOutcome threads = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--threads", "8"});
    REQUIRE(threads.config.has_value());
    CHECK(threads.config->worker_threads() == 8);
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--threads", "0"}).exit_code == 2);
}

TEST_CASE("--bench-replay-nonces without --fast is refused: it switches off replay protection") {
    const CliOutcome outcome = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--bench-replay-nonces"});
    CHECK_FALSE(outcome.config.has_value());
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.error ==
          "perch-emulator: --bench-replay-nonces switches off replay protection and is allowed only with --fast");
}

TEST_CASE("OAuth 2.0 settings are read, with X's defaults") {
    const CliOutcome plain = parse({"--consumer-key", "ck", "--consumer-secret", "cs"});
    REQUIRE(plain.config.has_value());
    CHECK(plain.config->client_id.empty());
    CHECK(plain.config->code_ttl == std::chrono::seconds(30));
    CHECK(plain.config->access_token_ttl == std::chrono::seconds(7200));
    CHECK(plain.config->tier == AccessTier::basic);
    CHECK(plain.config->token_errors == TokenErrorDialect::rfc);

    const CliOutcome set = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--client-id", "cid",
                                  "--client-secret", "csec", "--allowed-redirect", "http://127.0.0.1:8080/cb",
                                  "--allowed-redirect", "http://127.0.0.1:8080/cb2?x=1", "--code-ttl", "1",
                                  "--access-token-ttl", "60", "--tier", "free", "--withhold-scope", "users.email",
                                  "--token-errors", "x"});
    REQUIRE(set.config.has_value());
    CHECK(set.config->client_id == "cid");
    CHECK(set.config->confidential_client());
    CHECK(set.config->allowed_redirects ==
          std::vector<std::string>{"http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb2?x=1"});
    CHECK(set.config->code_ttl == std::chrono::seconds(1));
    CHECK(set.config->access_token_ttl == std::chrono::seconds(60));
    CHECK(set.config->tier == AccessTier::free);
    CHECK(set.config->withheld_scopes == std::vector<std::string>{"users.email"});
    CHECK(set.config->token_errors == TokenErrorDialect::x);

    const CliOutcome public_client = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--client-id", "cid"});
    REQUIRE(public_client.config.has_value());
    CHECK_FALSE(public_client.config->confidential_client());
}

TEST_CASE("Bad OAuth 2.0 settings stop start-up with one line") {
    auto error = [](std::vector<const char*> extra) {
        std::vector<const char*> args{"--consumer-key", "ck", "--consumer-secret", "cs"};
        args.insert(args.end(), extra.begin(), extra.end());
        const CliOutcome outcome = parse(args);
        CHECK(outcome.exit_code == 2);
        return outcome.error;
    };
    CHECK(error({"--client-id", "a b"}) == "perch-emulator: --client-id must be 1-128 characters of A-Z a-z 0-9 - . _ ~");
    CHECK(error({"--client-id", "a", "--client-secret", "s:t"}) ==
          "perch-emulator: --client-secret must be 1-128 characters of A-Z a-z 0-9 - . _ ~");
    CHECK(error({"--client-secret", "s"}) == "perch-emulator: --client-secret needs --client-id");
    CHECK(error({"--allowed-redirect", "http://h/cb#frag"}) ==
          "perch-emulator: --allowed-redirect must be an absolute http(s) URL without fragment (got 'http://h/cb#frag')");
    CHECK(error({"--withhold-scope", "email"}) == "perch-emulator: --withhold-scope must name one X scope (got 'email')");
    CHECK(error({"--code-ttl", "0"}).rfind("perch-emulator: --code-ttl", 0) == 0);
    CHECK(error({"--tier", "gold"}).rfind("perch-emulator: --tier", 0) == 0);
    CHECK(error({"--token-errors", "loud"}).rfind("perch-emulator: --token-errors", 0) == 0);
    const CliOutcome faults = parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fault", "http429",
                                     "--fault-on", "users_me"});
    REQUIRE(faults.config.has_value());
    CHECK(faults.config->fault.mode == FaultMode::http429);
    CHECK(faults.config->fault.on == FaultEndpoint::users_me);
}
