// What the proxy counts for its operator, as one thin interface the routes,
// the provider transport and the webhook worker call. Metrics is a no-op;
// PrometheusMetrics (app/prometheus_metrics.h) records when
// PERCH_METRICS_LISTEN is set. Every label value passed here must come from a
// fixed set in our own code (a route's error code, an endpoint name), never
// from a request, so the number of series stays bounded.
#pragma once

#include <chrono>
#include <string_view>

namespace perch {

class Metrics {
public:
    virtual ~Metrics() = default;

    // POST /api/twitter/start and /api/twitter/exchange answered: "ok" or the
    // JSON error code (rate_limited, replayed, provider_timeout, ...).
    virtual void sign_in_start(std::string_view /*outcome*/) {}
    virtual void sign_in_exchange(std::string_view /*outcome*/) {}
    // POST /api/register created an account.
    virtual void registration() {}
    // One call to X: `endpoint` a fixed name (users_me, oauth2_token, ...),
    // `status` the HTTP status ("200") or the transport failure ("timeout").
    virtual void provider_request(std::string_view /*endpoint*/, std::string_view /*status*/,
                                  std::chrono::duration<double> /*took*/) {}
    // A request refused with 429 rate_limited; `route` its path.
    virtual void rate_limited(std::string_view /*route*/) {}
    // One webhook POST finished: "delivered", "failed", "timeout", ...
    virtual void webhook_delivery(std::string_view /*result*/) {}
};

// The shared no-op, for a proxy without PERCH_METRICS_LISTEN and for tests.
Metrics& no_metrics();

}  // namespace perch
