// perch-proxy's account store (proxy/src/store/account_store.h) at 10^5 and 10^6
// accounts, with Google Benchmark: registration and the sign-in paths.
// The lookups must stay flat as the table grows (UNIQUE indexes, cached
// prepared statements).
//
//   perch_bench_accounts --data-dir DIR [google benchmark flags]
//
// For each size a pristine database DIR/accounts-N.db is filled once through
// register_account() itself (durability normal, to fill quickly) and kept for
// later runs; every run works on a fresh copy of it, so registrations made by
// the benchmark never accumulate.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/account_store.h"
#include "store/sqlite_account_store.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "store/token_cipher.h"

namespace {

namespace fs = std::filesystem;
using perch::AccountStore;
using perch::AccountStoreOptions;
using perch::SqliteAccountStore;

std::string data_dir;

perch::SystemClock system_clock;
perch::SecureRandom secure_random;

const perch::TokenCipher& cipher() {
    // A fixed benchmark key: these databases hold made-up accounts only.
    static const perch::TokenKey key = perch::parse_token_key(std::string(64, '7')).value();
    static const perch::TokenCipher instance(key, secure_random);
    return instance;
}

// Account number i: ids and usernames shaped like real ones, all distinct.
std::string twitter_id_of(std::int64_t i) { return std::to_string(1400000000000000000LL + i * 7919); }

perch::NewAccount account_number(std::int64_t i) {
    perch::NewAccount account;
    account.twitter_id = twitter_id_of(i);
    account.form.username = "user_" + std::to_string(i);
    account.form.first_name = "Zoë";
    account.form.last_name = "Ångström-Ñúñez";
    account.form.email = "user" + std::to_string(i) + "@example.org";
    account.form.timezone = "Europe/Oslo";
    account.picture = "https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v.jpg";
    account.access_token = account.twitter_id + "-AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    account.access_token_secret = "sEcReTsEcReTsEcReTsEcReTsEcReTsEcReT123456";
    return account;
}

std::unique_ptr<AccountStore> open_store(const std::string& path, AccountStoreOptions::Durability durability) {
    AccountStoreOptions options;
    options.path = path;
    options.durability = durability;
    auto store = SqliteAccountStore::open(options, cipher(), system_clock);
    if (!store) {
        std::cerr << "perch_bench_accounts: " << store.error().message << "\n";
        std::exit(1);
    }
    return std::move(store).value();
}

void remove_database(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

// DIR/accounts-N.db with exactly N accounts, made once.
std::string pristine_database(std::int64_t n) {
    const std::string path = data_dir + "/accounts-" + std::to_string(n) + ".db";
    if (fs::exists(path)) {
        auto store = open_store(path, AccountStoreOptions::Durability::normal);
        auto count = store->count();
        if (count && count.value() == n) return path;
        store.reset();
        remove_database(path);
    }
    const std::string partial = path + ".partial";
    remove_database(partial);
    const auto started = std::chrono::steady_clock::now();
    {
        auto store = open_store(partial, AccountStoreOptions::Durability::normal);
        for (std::int64_t i = 0; i < n; ++i) {
            auto registered = store->register_account(account_number(i));
            if (!registered) {
                std::cerr << "perch_bench_accounts: filling: " << registered.error().message << "\n";
                std::exit(1);
            }
        }
    }  // closing the last connection checkpoints the WAL into the file
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "perch_bench_accounts: filled %lld accounts in %.1f s (%.0f registrations/s, durability normal)\n",
                 static_cast<long long>(n), seconds, static_cast<double>(n) / seconds);
    remove_database(path);
    fs::rename(partial, path);
    return path;
}

// One working copy per size and durability, opened once and shared by the benchmarks.
struct Fixture {
    std::int64_t accounts = 0;
    std::unique_ptr<AccountStore> store;
    std::int64_t next_new = 0;  // numbers beyond the pristine ones, for registrations
};

Fixture& fixture(std::int64_t n, AccountStoreOptions::Durability durability) {
    static std::map<std::pair<std::int64_t, int>, Fixture> fixtures;
    Fixture& f = fixtures[{n, static_cast<int>(durability)}];
    if (!f.store) {
        const std::string work = data_dir + "/work-" + std::to_string(n) + "-" +
                                 (durability == AccountStoreOptions::Durability::full ? "full" : "normal") + ".db";
        remove_database(work);
        fs::copy_file(pristine_database(n), work);
        f.accounts = n;
        f.next_new = n;
        f.store = open_store(work, durability);
    }
    return f;
}

// Existing accounts in a random order, so lookups touch the whole index.
std::vector<std::string> random_existing_ids(std::int64_t n, std::size_t how_many) {
    std::mt19937_64 generator(12345);
    std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
    std::vector<std::string> ids;
    ids.reserve(how_many);
    for (std::size_t i = 0; i < how_many; ++i) ids.push_back(twitter_id_of(pick(generator)));
    return ids;
}

// A returning user's sign-in starts with this lookup (exchange -> existing account?).
void find_by_twitter_id(benchmark::State& state) {
    Fixture& f = fixture(state.range(0), AccountStoreOptions::Durability::full);
    const auto ids = random_existing_ids(f.accounts, 1 << 16);
    std::size_t i = 0;
    for (auto _ : state) {
        auto found = f.store->find_by_twitter_id(ids[i++ & (ids.size() - 1)]);
        if (!found || !found.value()) {
            state.SkipWithError("an existing account was not found");
            break;
        }
        benchmark::DoNotOptimize(found);
    }
    state.counters["accounts"] = static_cast<double>(f.accounts);
}

// A new user's exchange: the lookup that finds nothing.
void find_missing_twitter_id(benchmark::State& state) {
    Fixture& f = fixture(state.range(0), AccountStoreOptions::Durability::full);
    std::int64_t i = 0;
    for (auto _ : state) {
        auto found = f.store->find_by_twitter_id(twitter_id_of(-1 - (i++ % 100000)));
        if (!found || found.value()) {
            state.SkipWithError("a missing account was found");
            break;
        }
    }
    state.counters["accounts"] = static_cast<double>(f.accounts);
}

// /api/me for a signed-in session.
void find_by_id(benchmark::State& state) {
    Fixture& f = fixture(state.range(0), AccountStoreOptions::Durability::full);
    std::mt19937_64 generator(777);
    std::uniform_int_distribution<std::int64_t> pick(1, f.accounts);
    for (auto _ : state) {
        auto found = f.store->find_by_id(pick(generator));
        if (!found || !found.value()) {
            state.SkipWithError("an existing account was not found");
            break;
        }
    }
    state.counters["accounts"] = static_cast<double>(f.accounts);
}

// A returning user's sign-in write: new sealed tokens + last_sign_in_at.
void refresh_tokens_and_sign_in(benchmark::State& state, AccountStoreOptions::Durability durability) {
    Fixture& f = fixture(state.range(0), durability);
    const auto ids = random_existing_ids(f.accounts, 1 << 12);
    std::size_t i = 0;
    for (auto _ : state) {
        auto signed_in = f.store->refresh_tokens_and_sign_in(ids[i++ & (ids.size() - 1)],
                                                             "1-NewTokenNewTokenNewTokenNewToken", "NewSecretNewSecret");
        if (!signed_in) {
            state.SkipWithError(signed_in.error().message.c_str());
            break;
        }
    }
    state.counters["accounts"] = static_cast<double>(f.accounts);
}

// /api/register: checks both UNIQUE columns, seals two tokens, inserts, commits.
void register_account(benchmark::State& state, AccountStoreOptions::Durability durability) {
    Fixture& f = fixture(state.range(0), durability);
    for (auto _ : state) {
        auto registered = f.store->register_account(account_number(f.next_new++));
        if (!registered) {
            state.SkipWithError(registered.error().message.c_str());
            break;
        }
    }
    state.counters["accounts"] = static_cast<double>(f.accounts);
}

constexpr auto full = AccountStoreOptions::Durability::full;
constexpr auto normal = AccountStoreOptions::Durability::normal;

}  // namespace

BENCHMARK(find_by_twitter_id)->Arg(100000)->Arg(1000000);
BENCHMARK(find_missing_twitter_id)->Arg(100000)->Arg(1000000);
BENCHMARK(find_by_id)->Arg(100000)->Arg(1000000);
BENCHMARK_CAPTURE(register_account, full_fsync, full)->Arg(100000)->Arg(1000000);
BENCHMARK_CAPTURE(register_account, normal, normal)->Arg(100000)->Arg(1000000);
BENCHMARK_CAPTURE(refresh_tokens_and_sign_in, full_fsync, full)->Arg(100000)->Arg(1000000);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--data-dir") data_dir = argv[i + 1];
    if (data_dir.empty()) {
        std::cerr << "usage: perch_bench_accounts --data-dir DIR [--benchmark_* flags]\n";
        return 2;
    }
    fs::create_directories(data_dir);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    for (const auto& entry : fs::directory_iterator(data_dir))
        if (entry.path().filename().string().rfind("work-", 0) == 0) fs::remove(entry.path());
    return 0;
}
