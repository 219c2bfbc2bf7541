// The core calls the callback page makes, natively (Google Benchmark), on the
// same inputs as the browser benchmark (bench/core_inputs.json), so the two
// can be compared: verify_callback + map_profile + prefill +
// validate_registration, each alone and as the page's sequence.
//   perch_bench_core [--benchmark_format=json] [PATH/core_inputs.json]
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "core/callback.h"
#include "core/profile.h"
#include "core/registration_form.h"

namespace {

struct Inputs {
    std::string callback_query;
    std::string expected_token;
    std::string user_json;
};

Inputs inputs;

// Twitter's default user has no utc_offset; the page then fills in the
// browser's own zone before validating, and so do the benchmarks.
constexpr const char* browser_timezone = "Europe/Oslo";

perch::RegistrationForm page_prefill(const perch::Profile& profile) {
    perch::RegistrationForm form = perch::prefill(profile);
    if (form.timezone.empty()) form.timezone = browser_timezone;
    return form;
}

bool load_inputs(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    auto json = nlohmann::json::parse(text.str(), nullptr, false);
    if (!file || !json.is_object()) return false;
    inputs.callback_query = json.value("callback_query", "");
    inputs.expected_token = json.value("expected_token", "");
    inputs.user_json = json.value("user_json", "");
    return !inputs.callback_query.empty() && !inputs.user_json.empty();
}

// Each benchmark checks its answer once, so a broken input cannot be timed as a fast failure.
void require(bool condition, benchmark::State& state, const char* what) {
    if (!condition) state.SkipWithError(what);
}

void verify_callback_alone(benchmark::State& state) {
    require(perch::verify_callback(inputs.callback_query, inputs.expected_token).outcome ==
                perch::CallbackOutcome::approved,
            state, "callback not approved");
    for (auto _ : state) {
        auto result = perch::verify_callback(inputs.callback_query, inputs.expected_token);
        benchmark::DoNotOptimize(result);
    }
}

void map_profile_alone(benchmark::State& state) {
    require(perch::map_profile(inputs.user_json).ok(), state, "map_profile failed");
    for (auto _ : state) {
        auto result = perch::map_profile(inputs.user_json);
        benchmark::DoNotOptimize(result);
    }
}

void prefill_alone(benchmark::State& state) {
    const perch::Profile profile = perch::map_profile(inputs.user_json).value();
    for (auto _ : state) {
        auto form = perch::prefill(profile);
        benchmark::DoNotOptimize(form);
    }
}

void validate_registration_alone(benchmark::State& state) {
    const perch::RegistrationForm form = page_prefill(perch::map_profile(inputs.user_json).value());
    require(perch::validate_registration(form).ok(), state, "the pre-filled form does not validate");
    for (auto _ : state) {
        auto validation = perch::validate_registration(form);
        benchmark::DoNotOptimize(validation);
    }
}

// What the callback page does once the proxy answered: the whole sequence.
void callback_page_sequence(benchmark::State& state) {
    for (auto _ : state) {
        auto verdict = perch::verify_callback(inputs.callback_query, inputs.expected_token);
        auto profile = perch::map_profile(inputs.user_json);
        auto form = page_prefill(profile.value());
        auto validation = perch::validate_registration(form);
        benchmark::DoNotOptimize(verdict);
        benchmark::DoNotOptimize(validation);
    }
}

BENCHMARK(verify_callback_alone);
BENCHMARK(map_profile_alone);
BENCHMARK(prefill_alone);
BENCHMARK(validate_registration_alone);
BENCHMARK(callback_page_sequence);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    const std::string path = argc > 1 ? argv[1] : PERCH_BENCH_INPUTS;
    if (!load_inputs(path)) {
        std::cerr << "perch_bench_core: cannot read inputs from " << path << "\n";
        return 2;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
