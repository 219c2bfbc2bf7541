#include "app/webhook_worker.h"

#include <algorithm>

#include "app/webhook_signature.h"
#include "base/log.h"

namespace perch {
namespace {

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string_view failure_name(TransportFailure failure) {
    switch (failure) {
        case TransportFailure::timeout: return "timed out";
        case TransportFailure::connection: return "connection failed";
        case TransportFailure::too_large: return "answer too large";
        case TransportFailure::tls: return "TLS failed";
        case TransportFailure::invalid_url: return "invalid URL";
    }
    return "failed";
}

}  // namespace

std::chrono::milliseconds retry_delay(const WebhookWorkerOptions& options, int failures) {
    auto delay = options.first_retry;
    for (int i = 1; i < failures && delay < options.max_backoff; ++i) delay *= 2;
    return std::min(delay, options.max_backoff);
}

WebhookWorker::WebhookWorker(WebhookOutbox& outbox, HttpTransport& transport, WebhookWorkerOptions options, Log* log,
                             DeliveryObserver observer, NowMs now_ms)
    : outbox_(outbox),
      transport_(transport),
      options_(std::move(options)),
      log_(log),
      observer_(std::move(observer)),
      now_ms_(now_ms ? std::move(now_ms) : NowMs(system_now_ms)) {}

WebhookWorker::~WebhookWorker() { stop(); }

void WebhookWorker::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void WebhookWorker::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void WebhookWorker::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    changed_.notify_all();
}

int WebhookWorker::deliver_due() {
    auto claimed = outbox_.claim(now_ms_(), options_.lease.count(), options_.batch);
    if (!claimed) {
        if (log_ != nullptr) log_->error("webhook: cannot read the outbox: " + claimed.error().message);
        return 0;
    }
    for (const OutboxEvent& event : claimed.value()) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) break;  // the lease runs out; the next start sends it
        }
        attempt(event);
    }
    return static_cast<int>(claimed.value().size());
}

void WebhookWorker::attempt(const OutboxEvent& event) {
    OutgoingRequest request;
    request.method = "POST";
    request.url = options_.url;
    request.content_type = "application/json";
    request.body = event.body;
    request.headers.emplace_back("Perch-Signature", webhook_signature(options_.secret, now_ms_() / 1000, event.body));
    request.headers.emplace_back("User-Agent", "perch-webhooks");
    const TransportResult answer = transport_.send(request);
    const std::string what = "webhook " + event.type + " " + event.event_id;

    if (answer && answer.value().status >= 200 && answer.value().status < 300) {
        auto removed = outbox_.remove(event.row);
        if (!removed && log_ != nullptr) {
            // Sent again once the lease runs out: at least once, never lost.
            log_->error(what + " delivered but not removed from the outbox: " + removed.error().message);
        }
        if (log_ != nullptr) log_->info(what + " delivered (" + std::to_string(answer.value().status) + ")");
        if (observer_) observer_("delivered");
        return;
    }
    const std::string reason = answer ? "answered " + std::to_string(answer.value().status)
                                      : std::string(failure_name(answer.error().failure));
    const int failures = event.attempts + 1;
    const std::int64_t now = now_ms_();
    if (now - event.created_at_ms >= options_.keep_for.count()) {
        auto removed = outbox_.remove(event.row);
        if (log_ != nullptr) {
            log_->error(what + " dropped after " + std::to_string(failures) + " attempts: " + reason +
                        (removed ? "" : " (and not removed: " + removed.error().message + ")"));
        }
        if (observer_) observer_("dropped");
        return;
    }
    const auto delay = retry_delay(options_, failures);
    auto rescheduled = outbox_.retry_at(event.row, now + delay.count());
    if (log_ != nullptr) {
        log_->warn(what + " failed: " + reason + "; attempt " + std::to_string(failures) + ", next in " +
                   std::to_string(delay.count()) + " ms" +
                   (rescheduled ? "" : " (not rescheduled: " + rescheduled.error().message + ")"));
    }
    if (observer_) observer_("failed");
}

std::chrono::milliseconds WebhookWorker::idle_time() {
    auto due = outbox_.next_due();
    if (!due || !due.value()) return options_.poll;
    const std::int64_t wait = *due.value() - now_ms_();
    return std::chrono::milliseconds(std::clamp<std::int64_t>(wait, 0, options_.poll.count()));
}

void WebhookWorker::run() {
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return;
            woken_ = false;
        }
        const int attempted = deliver_due();
        // A full batch may have more behind it; otherwise sleep until the next is due.
        auto wait = attempted >= options_.batch ? std::chrono::milliseconds(0) : idle_time();
        // Due but not claimable (the outbox failed): look again soon, never spin.
        if (attempted == 0) wait = std::max(wait, std::chrono::milliseconds(100));
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, wait, [this] { return woken_ || stopping_; });
    }
}

}  // namespace perch
