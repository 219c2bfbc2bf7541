// Delivers the webhook outbox (store/webhook_outbox.h) on a thread of its own:
// each due event is POSTed with its Perch-Signature (webhook_signature.h);
// a 2xx removes it, anything else (another status, a refused connection, a
// receiver that hangs past the transport's timeout) schedules the same body
// again with exponential backoff, until the event is older than `keep_for`,
// when it is dropped with an error line. Delivery is at least once: a receiver
// deduplicates by the body's "id".
//
// The thread sleeps until the next event falls due, a commit wakes it (wake(),
// so a new event goes out in well under a second), or `poll` passes (events
// recorded by other proxies on a shared PostgreSQL database).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "net/http_types.h"
#include "store/webhook_outbox.h"

namespace perch {

class Log;

struct WebhookWorkerOptions {
    std::string url;
    std::string secret;
    std::chrono::milliseconds first_retry{1000};  // then 2 s, 4 s, … up to max_backoff
    std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
    std::chrono::milliseconds keep_for{std::chrono::hours(24)};  // retried at least this long
    // Longer than the transport's connect + read timeouts, so a lease never
    // runs out while its holder is still sending.
    std::chrono::milliseconds lease{std::chrono::minutes(1)};
    std::chrono::milliseconds poll{std::chrono::seconds(2)};
    int batch = 16;
};

// Each attempt's result: "delivered" (2xx), "failed" (retried later) or
// "dropped" (failed and older than keep_for). For a metrics counter.
using DeliveryObserver = std::function<void(std::string_view result)>;

// The delay before retry number `failures` (1 = after the first failure):
// first_retry * 2^(failures-1), at most max_backoff.
std::chrono::milliseconds retry_delay(const WebhookWorkerOptions& options, int failures);

class WebhookWorker {
public:
    using NowMs = std::function<std::int64_t()>;
    // `outbox`, `transport` and `log` (may be null) must outlive the worker.
    WebhookWorker(WebhookOutbox& outbox, HttpTransport& transport, WebhookWorkerOptions options, Log* log,
                  DeliveryObserver observer = nullptr, NowMs now_ms = nullptr);
    ~WebhookWorker();
    WebhookWorker(const WebhookWorker&) = delete;
    WebhookWorker& operator=(const WebhookWorker&) = delete;

    void start();
    // Waits for the attempt in progress (bounded by the transport's timeouts).
    void stop();
    // An event was committed: look now.
    void wake();

    // Claims and attempts what is due now; returns how many were attempted.
    int deliver_due();

private:
    void run();
    void attempt(const OutboxEvent& event);
    std::chrono::milliseconds idle_time();

    WebhookOutbox& outbox_;
    HttpTransport& transport_;
    const WebhookWorkerOptions options_;
    Log* log_;
    DeliveryObserver observer_;
    NowMs now_ms_;

    std::mutex mutex_;
    std::condition_variable changed_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace perch
