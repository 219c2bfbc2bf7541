// perch-bench-flows: drives perch-proxy (in front of perch-emulator --fast) on
// 127.0.0.1 the way the sign-up page does, and prints one JSON object.
//
//   perch-bench-flows flows --proxy URL --concurrency C --seconds S
//       Whole sign-ins, each in a fresh browser: POST /api/twitter/start
//       -> GET authorize_url at the emulator (its --fast /oauth/authenticate
//       approves at once and redirects to the callback) -> POST
//       /api/twitter/exchange with the callback's query and the start's flow
//       cookie (the proxy then calls
//       access_token and verify_credentials). C workers, each one connection
//       to the proxy and one to the emulator, loop until S seconds are up.
//   perch-bench-flows flows --stack passport --proxy URL ...
//       The same sign-in against bench/anchor (passport-twitter + Express):
//       GET /auth/twitter (302 to the provider, a session cookie) -> the
//       provider's authenticate -> GET /auth/twitter/callback with its query
//       and the cookie, which must redirect to "/" (passport's success).
//   perch-bench-flows fill --proxy URL --count N --concurrency C
//       N start calls: N sign-ins in progress, each held by the flow cookie
//       its answer set (and this driver drops): the server keeps none of them.
//
// Every request has short timeouts, so a run ends within S + a few seconds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto connect_timeout = std::chrono::seconds(2);
constexpr auto io_timeout = std::chrono::seconds(10);

struct Origin {
    std::string scheme_host_port;  // "http://127.0.0.1:8080"
    std::string target;            // "/path?query"
};

// "http://127.x.y.z:port/path?query" -> origin and target. Loopback only: the
// load must never leave this machine.
std::optional<Origin> split_url(const std::string& url) {
    if (url.rfind("http://127.", 0) != 0) return std::nullopt;
    const auto slash = url.find('/', 7);
    if (slash == std::string::npos) return Origin{url, "/"};
    return Origin{url.substr(0, slash), url.substr(slash)};
}

std::unique_ptr<httplib::Client> make_client(const std::string& origin) {
    auto client = std::make_unique<httplib::Client>(origin);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_connection_timeout(connect_timeout);
    client->set_read_timeout(io_timeout);
    client->set_write_timeout(io_timeout);
    client->set_follow_location(false);
    return client;
}

// "perch_flow_ID=VALUE; Path=/; ..." -> "perch_flow_ID=VALUE", what the browser sends back.
std::string flow_cookie_from(const httplib::Result& result) {
    for (const auto& [name, value] : result->headers) {
        if (name != "Set-Cookie" || value.rfind("perch_flow_", 0) != 0) continue;
        return value.substr(0, value.find(';'));
    }
    return {};
}

// The first "name=value" a response sets: express-session's cookie.
std::string first_cookie_from(const httplib::Result& result) {
    for (const auto& [name, value] : result->headers) {
        if (name == "Set-Cookie") return value.substr(0, value.find(';'));
    }
    return {};
}

// What one worker saw; merged at the end.
struct Tally {
    std::vector<double> flow_ms;
    std::map<std::string, std::vector<double>> step_ms;
    std::map<std::string, long> errors;  // "start: HTTP 503", "exchange: Read", ...
};

double percentile(std::vector<double>& values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(rank, values.size() - 1)];
}

json latency_summary(std::vector<double>& values) {
    return {{"count", values.size()}, {"p50_ms", percentile(values, 50)}, {"p99_ms", percentile(values, 99)}};
}

class Worker {
public:
    Worker(const std::string& proxy, Tally& tally) : proxy_origin_(proxy), tally_(tally), proxy_(make_client(proxy)) {}

    // One POST /api/twitter/start from a new browser; the authorize URL and flow cookie.
    std::optional<std::pair<std::string, std::string>> start() {
        const auto begun = Clock::now();
        httplib::Headers headers{{"Origin", proxy_origin_}};
        auto result = proxy_->Post("/api/twitter/start", headers, "{}", "application/json");
        if (!check("start", result, 200)) return std::nullopt;
        step("start", begun);
        auto body = json::parse(result->body, nullptr, false);
        if (!body.is_object() || !body.contains("authorize_url") || !body["authorize_url"].is_string()) {
            ++tally_.errors["start: answer without authorize_url"];
            return std::nullopt;
        }
        return std::make_pair(body["authorize_url"].get<std::string>(), flow_cookie_from(result));
    }

    // start -> authenticate (auto-approved) -> exchange; true if all succeeded.
    bool flow() {
        const auto begun = Clock::now();
        auto started = start();
        if (!started) return false;
        const auto& [authorize_url, flow_cookie] = *started;
        auto query = authenticate(authorize_url);
        if (!query) return false;

        const auto step_begun = Clock::now();
        httplib::Headers headers{{"Origin", proxy_origin_}, {"Cookie", flow_cookie}};
        const std::string body = json{{"callback_query", *query}}.dump();
        auto exchanged = proxy_->Post("/api/twitter/exchange", headers, body, "application/json");
        if (!check("exchange", exchanged, 200)) return false;
        step("exchange", step_begun);
        tally_.flow_ms.push_back(ms_since(begun));
        return true;
    }

    // The same three steps against passport-twitter: redirects and a session cookie.
    bool passport_flow() {
        const auto begun = Clock::now();
        auto step_begun = begun;
        auto started = proxy_->Get("/auth/twitter");
        if (!check("start", started, 302)) return false;
        step("start", step_begun);
        const std::string cookie = first_cookie_from(started);
        auto query = authenticate(started->get_header_value("Location"));
        if (!query) return false;

        step_begun = Clock::now();
        const std::string target = "/auth/twitter/callback" + *query;
        auto called_back = proxy_->Get(target.c_str(), httplib::Headers{{"Cookie", cookie}});
        if (!check("exchange", called_back, 302)) return false;
        if (called_back->get_header_value("Location") != "/") {
            ++tally_.errors["exchange: redirected to passport's failure page"];
            return false;
        }
        step("exchange", step_begun);
        tally_.flow_ms.push_back(ms_since(begun));
        return true;
    }

private:
    static double ms_since(Clock::time_point begun) {
        return std::chrono::duration<double, std::milli>(Clock::now() - begun).count();
    }
    void step(const char* name, Clock::time_point begun) { tally_.step_ms[name].push_back(ms_since(begun)); }

    // GET the authorize URL at the provider, which approves at once; the
    // query ("?oauth_token=...&oauth_verifier=...") of its redirect.
    std::optional<std::string> authenticate(const std::string& authorize_url) {
        auto target = split_url(authorize_url);
        if (!target) {
            ++tally_.errors["authenticate: authorize_url is not http://127.x.y.z"];
            return std::nullopt;
        }
        if (!provider_ || provider_origin_ != target->scheme_host_port) {
            provider_ = make_client(target->scheme_host_port);
            provider_origin_ = target->scheme_host_port;
        }
        const auto begun = Clock::now();
        auto redirect = provider_->Get(target->target.c_str());
        if (!check("authenticate", redirect, 302)) return std::nullopt;
        step("authenticate", begun);
        const std::string location = redirect->get_header_value("Location");
        const auto question = location.find('?');
        if (question == std::string::npos) {
            ++tally_.errors["authenticate: redirect without a query"];
            return std::nullopt;
        }
        return location.substr(question);
    }

    bool check(const char* step_name, const httplib::Result& result, int expected) {
        if (!result) {
            ++tally_.errors[std::string(step_name) + ": " + httplib::to_string(result.error())];
            return false;
        }
        if (result->status != expected) {
            ++tally_.errors[std::string(step_name) + ": HTTP " + std::to_string(result->status)];
            return false;
        }
        return true;
    }

    std::string proxy_origin_;
    Tally& tally_;
    std::unique_ptr<httplib::Client> proxy_;
    std::unique_ptr<httplib::Client> provider_;
    std::string provider_origin_;
};

json merge(std::vector<Tally>& tallies, double seconds) {
    Tally all;
    for (Tally& tally : tallies) {
        all.flow_ms.insert(all.flow_ms.end(), tally.flow_ms.begin(), tally.flow_ms.end());
        for (auto& [name, values] : tally.step_ms)
            all.step_ms[name].insert(all.step_ms[name].end(), values.begin(), values.end());
        for (auto& [name, count] : tally.errors) all.errors[name] += count;
    }
    long error_count = 0;
    for (const auto& [name, count] : all.errors) error_count += count;
    json steps = json::object();
    for (auto& [name, values] : all.step_ms) steps[name] = latency_summary(values);
    const double completed = static_cast<double>(all.flow_ms.size());
    return {{"seconds", seconds},
            {"completed", all.flow_ms.size()},
            {"per_second", seconds > 0 ? completed / seconds : 0},
            {"latency", latency_summary(all.flow_ms)},
            {"steps", steps},
            {"errors", error_count},
            {"error_kinds", all.errors}};
}

int run_flows(const std::string& proxy, int concurrency, double seconds, bool passport) {
    std::vector<Tally> tallies(static_cast<std::size_t>(concurrency));
    const auto begun = Clock::now();
    const auto deadline = begun + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int i = 0; i < concurrency; ++i) {
        threads.emplace_back([&, i] {
            Worker worker(proxy, tallies[static_cast<std::size_t>(i)]);
            while (Clock::now() < deadline) passport ? worker.passport_flow() : worker.flow();
        });
    }
    for (auto& thread : threads) thread.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - begun).count();
    json out = merge(tallies, elapsed);
    out["mode"] = "flows";
    out["stack"] = passport ? "passport" : "perch";
    out["concurrency"] = concurrency;
    std::cout << out.dump() << std::endl;
    return 0;
}

int run_fill(const std::string& proxy, long count, int concurrency) {
    std::vector<Tally> tallies(static_cast<std::size_t>(concurrency));
    std::atomic<long> next{0};
    const auto begun = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < concurrency; ++i) {
        threads.emplace_back([&, i] {
            Tally& tally = tallies[static_cast<std::size_t>(i)];
            Worker worker(proxy, tally);
            while (next.fetch_add(1) < count) {
                const auto started = Clock::now();
                if (worker.start()) tally.flow_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - begun).count();
    json out = merge(tallies, elapsed);
    out["mode"] = "fill";
    out["requested"] = count;
    std::cout << out.dump() << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"perch-bench-flows: load perch-proxy + perch-emulator --fast on 127.0.0.1"};
    app.require_subcommand(1);
    std::string proxy;
    int concurrency = 1;
    double seconds = 10;
    long count = 10000;

    auto* flows = app.add_subcommand("flows", "whole sign-ins for --seconds");
    flows->add_option("--proxy", proxy, "perch-proxy origin, http://127.0.0.1:PORT")->required();
    flows->add_option("--concurrency", concurrency)->check(CLI::Range(1, 512));
    flows->add_option("--seconds", seconds)->check(CLI::Range(0.1, 600.0));
    std::string stack = "perch";
    flows->add_option("--stack", stack, "perch (the default) or passport (bench/anchor)")
        ->check(CLI::IsMember({"perch", "passport"}));

    auto* fill = app.add_subcommand("fill", "--count start calls, each from a new browser");
    fill->add_option("--proxy", proxy, "perch-proxy origin, http://127.0.0.1:PORT")->required();
    fill->add_option("--count", count)->check(CLI::Range(1L, 10000000L));
    fill->add_option("--concurrency", concurrency)->check(CLI::Range(1, 512));

    CLI11_PARSE(app, argc, argv);
    // The proxy must be on this machine: loads only ever target loopback.
    if (proxy.rfind("http://127.", 0) != 0) {
        std::cerr << "perch-bench-flows: --proxy must be http://127.x.y.z:PORT\n";
        return 2;
    }
    if (flows->parsed()) return run_flows(proxy, concurrency, seconds, stack == "passport");
    return run_fill(proxy, count, concurrency);
}
