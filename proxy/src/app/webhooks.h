// Webhooks for one proxy, from its settings: the outbox beside the accounts
// (SQLite file or PostgreSQL), event recording turned on in the account store,
// and the delivery worker with its own outgoing client (connect timeout 5 s,
// read timeout 10 s, so a receiver that hangs is cut off).
#pragma once

#include <memory>
#include <string>

#include "app/settings/config.h"
#include "app/stores.h"
#include "app/webhook_worker.h"
#include "base/crypto.h"
#include "core/result.h"

namespace perch {

struct Webhooks {
    std::unique_ptr<WebhookOutbox> outbox;
    std::unique_ptr<HttpTransport> transport;
    std::unique_ptr<WebhookWorker> worker;
};

// Null when config.webhook_url is empty (nothing is recorded then). The error
// is one line for stderr. `random` and `log` must outlive the result; call
// before the stores are shared between threads. The worker is started.
Result<std::unique_ptr<Webhooks>, std::string> start_webhooks(const ProxyConfig& config, Stores& stores,
                                                              RandomSource& random, Log& log,
                                                              DeliveryObserver observer = nullptr);

}  // namespace perch
