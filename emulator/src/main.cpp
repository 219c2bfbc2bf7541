// perch-emulator: a local Twitter OAuth 1.0a provider for tests.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <pthread.h>

#include "emulator/cli.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "emulator/emulator.h"
#include "net/raw_head_server.h"

int main(int argc, char** argv) {
    using namespace perch::emulator;
    CliOutcome outcome = parse_command_line(argc, argv);
    if (!outcome.config) {
        if (!outcome.output.empty()) std::fputs(outcome.output.c_str(), stdout);
        if (!outcome.error.empty()) std::fprintf(stderr, "%s\n", outcome.error.c_str());
        return outcome.exit_code;
    }
    const EmulatorConfig config = std::move(*outcome.config);

    // SIGINT/SIGTERM are taken by one thread with sigwait, so no handler runs in
    // signal context; every other thread inherits the blocked mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a dropped client must not kill us mid-write

    perch::SystemClock clock;
    perch::SecureRandom random;
    Emulator emulator(config, clock, random);
    perch::RawServerOptions options;
    options.host = config.host;
    options.port = config.port;
    // Slow answers hold a thread each; leave plenty for everything else.
    options.threads = config.worker_threads();
    options.max_body_bytes = config.max_body_bytes;
    options.fast = config.fast;
    perch::RawHeadServer server(options, [&emulator](const perch::RawRequest& request) {
        return emulator.handle(request);
    });
    const int port = server.bind();
    if (port < 0) {
        std::fprintf(stderr, "perch-emulator: cannot listen on %s port %d\n", config.host.c_str(), config.port);
        return 1;
    }
    const bool ipv6 = config.host.find(':') != std::string::npos;
    std::printf("perch-emulator listening on http://%s%s%s:%d\n", ipv6 ? "[" : "", config.host.c_str(),
                ipv6 ? "]" : "", port);
    std::fflush(stdout);

    std::atomic<bool> finished{false};
    std::thread watcher([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        // stop() is lost if it lands before the accept loop starts: repeat it
        // until run() has returned.
        while (!finished.load()) {
            server.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });

    const bool ran = server.run();
    finished.store(true);
    pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if no signal came
    watcher.join();
    std::fprintf(stderr, "perch-emulator: stopped\n");
    return ran ? 0 : 1;
}
