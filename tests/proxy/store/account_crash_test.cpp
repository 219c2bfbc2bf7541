// kill -9 during registrations: a forked child registers accounts (and signs
// earlier ones in again) in a loop, reporting each acknowledged write through a
// pipe; the parent kills it after a given number of reports, reopens the
// database, and checks that nothing acknowledged was lost and nothing is half
// written. The parent acts on what the pipe says, never on elapsed time.
#include "store/account_store.h"
#include "store/sqlite_account_store.h"

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "store/sqlite.h"
#include "support/temp_dir.h"

namespace {

using TempDir = perch::test::TempDir;

perch::TokenKey crash_key() {
    perch::TokenKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(0x5a ^ i);
    return key;
}

std::string twitter_id(std::int64_t i) { return std::to_string(7000000 + i); }

// Tokens carry their account and a generation (0 = registration, 1 = after one
// sign-in), so the check can tell a mixed-up pair from a consistent one.
std::string token_for(std::int64_t i, int generation) {
    return "tok-" + std::to_string(i) + "-g" + std::to_string(generation);
}
std::string secret_for(std::int64_t i, int generation) {
    return "sec-" + std::to_string(i) + "-g" + std::to_string(generation);
}

// Messages on the pipe: 'R' + index after a registration returned success,
// 'S' + index after a sign-in returned success.
struct Report {
    char kind;
    std::int64_t index;
};

bool write_report(int fd, char kind, std::int64_t index) {
    unsigned char buffer[9];
    buffer[0] = static_cast<unsigned char>(kind);
    for (int b = 0; b < 8; ++b) buffer[1 + b] = static_cast<unsigned char>(index >> (8 * b));
    return write(fd, buffer, sizeof buffer) == static_cast<ssize_t>(sizeof buffer);
}

// The child: never returns, never touches Catch2.
[[noreturn]] void run_child(const std::string& path, std::int64_t first, int fd) {
    try {
        perch::SecureRandom random;
        const perch::TokenCipher cipher(crash_key(), random);
        const perch::SystemClock clock;
        perch::AccountStoreOptions options;
        options.path = path;
        auto opened = perch::SqliteAccountStore::open(options, cipher, clock);
        if (!opened) {
            std::fprintf(stderr, "child: open failed: %s\n", opened.error().message.c_str());
            _exit(3);
        }
        auto& store = *opened.value();
        for (std::int64_t i = first;; ++i) {
            perch::NewAccount account;
            account.twitter_id = twitter_id(i);
            account.form = {"user" + std::to_string(i), "First" + std::to_string(i),
                            "Last" + std::to_string(i), "u" + std::to_string(i) + "@example.com",
                            "UTC"};
            account.picture = "https://example.com/" + std::to_string(i) + ".png";
            account.access_token = token_for(i, 0);
            account.access_token_secret = secret_for(i, 0);
            const auto registered = store.register_account(account);
            if (!registered) {
                std::fprintf(stderr, "child: register %lld failed: %s\n", static_cast<long long>(i),
                             registered.error().message.c_str());
                _exit(4);
            }
            if (!write_report(fd, 'R', i)) _exit(5);
            // Sign the previous account in again: an UPDATE to interrupt as well.
            if (i > first) {
                const auto signed_in = store.refresh_tokens_and_sign_in(
                    twitter_id(i - 1), token_for(i - 1, 1), secret_for(i - 1, 1));
                if (!signed_in) _exit(6);
                if (!write_report(fd, 'S', i - 1)) _exit(5);
            }
        }
    } catch (...) {
        _exit(7);
    }
}

// Reads one report, waiting at most until `deadline`. false on EOF or timeout.
bool read_report(int fd, std::chrono::steady_clock::time_point deadline, Report& report) {
    unsigned char buffer[9];
    std::size_t have = 0;
    while (have < sizeof buffer) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd poll_fd{fd, POLLIN, 0};
        if (poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t got = read(fd, buffer + have, sizeof buffer - have);
        if (got <= 0) return false;
        have += static_cast<std::size_t>(got);
    }
    report.kind = static_cast<char>(buffer[0]);
    report.index = 0;
    for (int b = 0; b < 8; ++b) report.index |= static_cast<std::int64_t>(buffer[1 + b]) << (8 * b);
    return true;
}

}  // namespace

TEST_CASE("Killing the process mid-registration loses no acknowledged account and leaves none half-written") {
    TempDir dir;
    const std::string path = dir.file("crash.db");
    perch::SecureRandom random;
    const perch::TokenCipher cipher(crash_key(), random);
    const perch::SystemClock clock;

    std::set<std::int64_t> registered;  // acknowledged to the child
    std::set<std::int64_t> signed_in;   // acknowledged second-generation tokens
    std::int64_t next = 0;

    // Where the kill lands inside the child's next write is spread by a random
    // delay of 0-4 ms after the last report. The verdict never depends on it:
    // any kill point must leave a consistent database.
    std::mt19937 jitter(Catch::rngSeed());
    std::uniform_int_distribution<int> delay_us(0, 4000);

    constexpr int rounds = 24;
    for (int round = 0; round < rounds; ++round) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            close(fds[0]);
            run_child(path, next, fds[1]);
        }
        close(fds[1]);

        // Kill after a varying number of acknowledged writes (odd and even, so
        // after a registration and after a sign-in).
        const int kill_after = 5 + (round * 7) % 31;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        int reports = 0;
        Report report{};
        while (reports < kill_after && read_report(fds[0], deadline, report)) {
            ++reports;
            (report.kind == 'R' ? registered : signed_in).insert(report.index);
        }
        if (reports == kill_after) {
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us(jitter)));
        }
        kill(child, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        // Reports the child wrote after the last one read (during the delay)
        // count as acknowledged too; the pipe ends at EOF now the child is gone.
        while (read_report(fds[0], deadline, report)) {
            (report.kind == 'R' ? registered : signed_in).insert(report.index);
        }
        close(fds[0]);
        INFO("round " << round << ", child exit status " << status);
        REQUIRE(reports == kill_after);
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);

        {
            perch::sqlite::Database raw(path, perch::sqlite::Database::Mode::read_write);
            CHECK(raw.query_text("PRAGMA integrity_check") == "ok");
            CHECK(raw.query_int64(
                      "SELECT count(*) FROM accounts WHERE twitter_id IS NULL OR username IS NULL OR "
                      "first_name IS NULL OR last_name IS NULL OR email IS NULL OR timezone IS NULL OR "
                      "picture IS NULL OR access_token IS NULL OR access_token_secret IS NULL OR "
                      "created_at IS NULL OR last_sign_in_at IS NULL") == 0);
        }

        auto opened = perch::SqliteAccountStore::open(perch::AccountStoreOptions{path}, cipher, clock);
        REQUIRE(opened.ok());
        auto& store = *opened.value();
        const std::int64_t rows = store.count().value();
        // Accounts are registered in index order, so rows 0..rows-1 must hold every
        // acknowledged one, plus at most the one in flight when the kill came.
        REQUIRE_FALSE(registered.empty());
        const std::int64_t last_acknowledged = *registered.rbegin();
        REQUIRE(rows >= last_acknowledged + 1);
        REQUIRE(rows <= last_acknowledged + 2);
        for (std::int64_t i = 0; i < rows; ++i) {
            const auto found = store.find_by_twitter_id(twitter_id(i));
            REQUIRE(found.ok());
            INFO("account " << i);
            REQUIRE(found.value().has_value());
            const perch::Account& account = *found.value();
            CHECK(account.username == "user" + std::to_string(i));
            CHECK(account.first_name == "First" + std::to_string(i));
            CHECK(account.last_name == "Last" + std::to_string(i));
            CHECK(account.email == "u" + std::to_string(i) + "@example.com");
            CHECK(account.timezone == "UTC");
            CHECK(account.picture == "https://example.com/" + std::to_string(i) + ".png");
            CHECK(account.created_at.size() == 20);
            CHECK(account.last_sign_in_at >= account.created_at);
            const auto tokens = store.decrypt_tokens(account);
            REQUIRE(tokens.ok());
            // A sign-in changes both tokens or neither; an acknowledged one stays.
            const int generation = tokens.value().token == token_for(i, 1) ? 1 : 0;
            CHECK(tokens.value().token == token_for(i, generation));
            CHECK(tokens.value().secret == secret_for(i, generation));
            if (signed_in.count(i) != 0) CHECK(generation == 1);
        }
        next = rows;
    }
    // The rounds really did build on each other's databases.
    CHECK(next >= static_cast<std::int64_t>(registered.size()));
    CHECK(signed_in.size() > static_cast<std::size_t>(rounds));
    CHECK(registered.size() > static_cast<std::size_t>(rounds * 5 / 2));
}
