// perch-proxy: serves the sign-up page and its JSON API, signing every call to
// Twitter itself so no secret ever reaches the browser.
//   perch-proxy [flags]   serve (see --help)
//   perch-proxy sign      print an OAuth base string and signature for JSON on stdin
//   perch-proxy rotate-token-key   re-seal every stored token under a new key (proxies stopped)
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include <malloc.h>
#include <sys/resource.h>
#include <openssl/crypto.h>
#include <pthread.h>

#include "store/account_store.h"
#include "app/api_handlers.h"
#include "app/settings/config.h"
#include "store/consumed_flows.h"
#include "base/crypto.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "base/log.h"
#include "app/stores.h"
#include "app/webhooks.h"
#include "app/settings/protocol_settings.h"
#include "app/commands/rotate_command.h"
#include "app/metered_transport.h"
#include "app/ops_listeners.h"
#include "app/prometheus_metrics.h"
#include "app/routes.h"
#include "app/sealed_flow.h"
#include "app/commands/sign_command.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/log.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "provider/oauth2_client.h"
#include "provider/twitter_http_client.h"
#include "store/account_store.h"
#include "store/consumed_flows.h"
#include "store/session_store.h"
#include "store/sqlite_account_store.h"
#include "store/token_cipher.h"

#ifndef PERCH_VERSION
#define PERCH_VERSION "0.0.0"
#endif

namespace {

using namespace perch;

// Waits for SIGTERM/SIGINT with sigtimedwait (no async handler, so nothing
// signal-unsafe runs) and sweeps expired sessions and consumed-flow records
// now and then meanwhile, so memory is reclaimed even when no one signs in.
void watch_signals(const sigset_t& signals, std::atomic<bool>& done, HttpServer& server, Stores& stores, Log& log) {
    const timespec tick{0, 200 * 1000 * 1000};
    const auto sweep_every = std::chrono::seconds(10);
    auto last_sweep = std::chrono::steady_clock::now();
    while (!done.load()) {
        siginfo_t info{};
        const int signal = sigtimedwait(&signals, &info, &tick);
        if (signal == SIGTERM || signal == SIGINT) {
            log.info(signal == SIGTERM ? "SIGTERM: stopping" : "SIGINT: stopping");
            server.stop();
            return;
        }
        if (std::chrono::steady_clock::now() - last_sweep >= sweep_every) {
            // glibc keeps freed session memory mapped; hand it back once a
            // sweep freed some, so RSS falls after a wave of flows expires.
            // (Redis expires its own keys.)
            if (stores.memory_flows != nullptr) stores.memory_flows->sweep();
            if (stores.memory_sessions != nullptr && stores.memory_sessions->sweep() > 0) malloc_trim(0);
            last_sweep = std::chrono::steady_clock::now();
        }
    }
}

// Connections waiting for a request cost a socket but no worker, so the proxy
// may hold far more sockets than threads; a service manager's default soft
// limit (1024 open files) would stop accept() long before memory runs out.
void raise_open_file_limit(Log& log) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
    const rlim_t was = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
        log.info("open files limit " + std::to_string(was) + " -> " + std::to_string(limit.rlim_cur));
    }
}

int serve(ProxyConfig& config) {
    // Block the stop signals before any thread exists, so every thread inherits
    // the mask and only the watcher receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill us

    std::unique_ptr<Log> log = Log::to_stderr();
    raise_open_file_limit(*log);
    SecureRandom random;
    SystemClock clock;

    // load_config refuses to run without a key; this guards the invariant.
    if (!config.token_key) {
        std::cerr << "perch-proxy: PERCH_TOKEN_KEY or PERCH_TOKEN_KEY_FILE is required" << std::endl;
        return 2;
    }
    const TokenCipher cipher(*config.token_key, random);
    // Sign-ins in progress are sealed under keys derived from the token key.
    const FlowSeal flow_seal(*config.token_key, random);
    auto opened = open_stores(config, *config.token_key, cipher, clock, random);
    // The cipher and the stores keep their own copies or derived keys; no other copy stays.
    OPENSSL_cleanse(config.token_key->data(), config.token_key->size());
    config.token_key.reset();
    if (!opened) {
        std::cerr << "perch-proxy: " << opened.error().line << std::endl;
        return opened.error().exit_code;
    }
    Stores& stores = opened.value();
    log->info(stores.description);
    // With PERCH_METRICS_LISTEN unset none of the metrics machinery exists.
    std::unique_ptr<PrometheusMetrics> metrics;
    if (config.metrics_listen) {
        SessionStore* sessions = stores.sessions.get();
        metrics = std::make_unique<PrometheusMetrics>(MetricsSources{
            [sessions]() -> std::optional<std::size_t> {
                auto size = sessions->size();
                return size ? std::optional<std::size_t>(size.value()) : std::nullopt;
            },
            config.flow_ttl});
    }
    DeliveryObserver count_delivery;
    if (metrics) count_delivery = [m = metrics.get()](std::string_view result) { m->webhook_delivery(result); };
    auto webhooks = start_webhooks(config, stores, random, *log, count_delivery);
    if (!webhooks) {
        std::cerr << "perch-proxy: " << webhooks.error() << std::endl;
        return 1;
    }

    HttplibTransport httplib_transport(config.upstream);
    std::unique_ptr<MeteredTransport> metered;
    if (metrics) metered = std::make_unique<MeteredTransport>(httplib_transport, *metrics);
    HttpTransport& transport = metered ? static_cast<HttpTransport&>(*metered) : httplib_transport;
    TwitterHttpClient twitter(twitter_settings(config), transport, clock, random, log.get());
    std::unique_ptr<OAuth2HttpClient> oauth2;
    if (config.protocol == Protocol::oauth2) {
        oauth2 = std::make_unique<OAuth2HttpClient>(oauth2_settings(config), transport, clock);
        log->info(std::string("OAuth 2.0 with PKCE, ") + (config.client_secret.empty() ? "public" : "confidential") +
                  " client; scopes: " + config.scopes);
        if (!has_scope(config.scopes, "tweet.read") || !has_scope(config.scopes, "users.read")) {
            log->warn("PERCH_SCOPES lacks tweet.read or users.read: X's /2/users/me needs both, so sign-ins will fail");
        }
    } else {
        log->info("OAuth 1.0a");
    }

    ServerOptions options;
    options.host = config.listen_host;
    options.port = config.listen_port;
    options.max_body_bytes = config.max_body_bytes;
    options.threads = config.threads;
    options.request_timeout = config.request_timeout;
    options.max_connections_per_client = config.max_connections_per_client;
    options.keep_alive_max_requests = config.keep_alive_requests;
    options.error_headers = security_headers(config);
    options.log = log.get();

    // The router is made after bind(): with port 0 the public origin is only known then.
    std::unique_ptr<Router> router;
    HttpServer server(options, [&router](const HttpRequest& request) { return router->handle(request); });
    Result<int> port = server.bind();
    if (!port) {
        std::cerr << "perch-proxy: " << port.error().message << std::endl;
        return 1;
    }
    if (config.public_origin_from_listen) config.public_origin = listen_origin(config.listen_host, port.value());
    router = std::make_unique<Router>(AppContext{config, twitter, *stores.sessions, flow_seal, *stores.consumed_flows,
                                                 *stores.accounts, clock, random, log.get(), stores.start_limiter.get(),
                                                 stores.exchange_limiter.get(), oauth2.get(), stores.dependencies,
                                                 metrics.get()},
                                      api_routes());

    std::error_code error;
    if (!std::filesystem::is_directory(config.web_root, error)) {
        log->warn("PERCH_WEB_ROOT is not a folder; the page will answer 404: " + config.web_root);
    }

    auto ops = open_ops_listeners(config, metrics.get(), *stores.accounts, oauth2.get(), clock, log.get(), std::cout);
    if (!ops) {
        std::cerr << "perch-proxy: " << ops.error() << std::endl;
        return 1;
    }
    if (config.admin_listen) log->info("admin listener on: it hands out X credentials; keep it private");
    std::cout << "perch-proxy listening on " << listen_origin(config.listen_host, port.value()) << std::endl;

    std::atomic<bool> done{false};
    std::thread watcher(watch_signals, std::cref(signals), std::ref(done), std::ref(server), std::ref(stores),
                        std::ref(*log));
    server.run();
    done = true;
    watcher.join();
    ops.value().stop();
    log->info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "sign") {
        return perch::run_sign_command(std::cin, std::cout, std::cerr);
    }
    if (argc >= 2 && std::string_view(argv[1]) == "rotate-token-key") {
        return perch::run_rotate_token_key_command(argc - 1, argv + 1, perch::process_env(), PERCH_VERSION,
                                                   std::cout, std::cerr);
    }
    auto loaded = perch::load_config(argc, argv, perch::process_env(), PERCH_VERSION);
    if (!loaded) {
        std::cerr << "perch-proxy: " << loaded.error().message << std::endl;
        return 2;
    }
    if (loaded.value().action == perch::ConfigAction::print_and_exit) {
        std::cout << loaded.value().text;
        return 0;
    }
    return serve(loaded.value().config);
}
