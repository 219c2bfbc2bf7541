#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

#include "cli.h"

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
          "perch-emulator: --fault must be one of none, http500, http401, garbage, slow, drop (got 'boom')");
    CHECK(parse({"--consumer-key", "ck", "--consumer-secret", "cs", "--fault-on", "authorize"}).error ==
          "perch-emulator: --fault-on must be one of request_token, access_token, verify_credentials, all (got "
          "'authorize')");
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
