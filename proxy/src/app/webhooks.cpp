#include "app/webhooks.h"

#include "base/log.h"
#include "net/http_client.h"
#include "store/postgres_outbox.h"
#include "store/sqlite_outbox.h"

namespace perch {

Result<std::unique_ptr<Webhooks>, std::string> start_webhooks(const ProxyConfig& config, Stores& stores,
                                                              RandomSource& random, Log& log,
                                                              DeliveryObserver observer) {
    if (config.webhook_url.empty()) return std::unique_ptr<Webhooks>();
    auto webhooks = std::make_unique<Webhooks>();
    if (stores.postgres) {
        webhooks->outbox = std::make_unique<PostgresOutbox>(*stores.postgres);
    } else {
        auto opened = SqliteOutbox::open(AccountStoreOptions{config.database});
        if (!opened) return "cannot open the webhook outbox: " + opened.error().message;
        webhooks->outbox = std::move(opened).value();
    }
    TransportLimits limits;
    limits.connect_timeout = std::chrono::seconds(5);
    limits.read_timeout = std::chrono::seconds(10);
    limits.max_response_bytes = 64 * 1024;  // the answer is read and ignored
    limits.max_idle_per_origin = 2;
    webhooks->transport = std::make_unique<HttplibTransport>(limits);

    WebhookWorkerOptions options;
    options.url = config.webhook_url;
    options.secret = config.webhook_secret;
    webhooks->worker = std::make_unique<WebhookWorker>(*webhooks->outbox, *webhooks->transport, std::move(options),
                                                       &log, std::move(observer));
    WebhookWorker* worker = webhooks->worker.get();
    stores.accounts->record_events(EventRecorder{&random, [worker] { worker->wake(); }});
    webhooks->worker->start();
    log.info("webhooks: events are POSTed to the configured PERCH_WEBHOOK_URL");
    return webhooks;
}

}  // namespace perch
