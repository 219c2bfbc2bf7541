// Metrics recorded with prometheus-cpp's core (registry, families, text
// serializer) and rendered for the metrics listener. Only made when
// PERCH_METRICS_LISTEN is set; the proxy without it creates none of this.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/metrics.h"

namespace perch {

struct MetricsSources {
    // Live sessions in the session store (shared with other instances when it
    // is Redis), or nullopt when the store cannot say right now.
    std::function<std::optional<std::size_t>()> live_sessions;
    // PERCH_FLOW_TTL_SECONDS: how long a started sign-in stays pending.
    std::chrono::seconds flow_lifetime{600};
};

class PrometheusMetrics final : public Metrics {
public:
    explicit PrometheusMetrics(MetricsSources sources);
    ~PrometheusMetrics() override;
    PrometheusMetrics(const PrometheusMetrics&) = delete;
    PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

    void sign_in_start(std::string_view outcome) override;
    void sign_in_exchange(std::string_view outcome) override;
    void registration() override;
    void provider_request(std::string_view endpoint, std::string_view status,
                          std::chrono::duration<double> took) override;
    void rate_limited(std::string_view route) override;
    void webhook_delivery(std::string_view result) override;

    // Every family in the Prometheus text format (version 0.0.4).
    std::string exposition() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Sign-in starts answered "ok" in the last flow lifetime minus exchanges
// answered "ok" in it, never below zero: the sign-ins of this instance that
// may still come back. Flows live in the browsers' sealed cookies, so this is
// what the proxy itself can know; abandoned starts count until they expire.
// Time is kept in 60 slots of lifetime/60 (at least 1 s), so a start leaves
// the count up to one slot late. Thread-safe.
class PendingFlowCount {
public:
    explicit PendingFlowCount(std::chrono::seconds lifetime);
    void started(std::chrono::steady_clock::time_point now);
    void exchanged(std::chrono::steady_clock::time_point now);
    long long count(std::chrono::steady_clock::time_point now) const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace perch
