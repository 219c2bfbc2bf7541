#include "app/prometheus_metrics.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <sstream>
#include <tuple>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "app/process_metrics.h"

namespace perch {

// ---- PendingFlowCount

namespace {
constexpr std::size_t window_slots = 60;
}

struct PendingFlowCount::Impl {
    struct Slot {
        long long index = -1;  // which slot of time this holds; -1 = never used
        long long started = 0;
        long long exchanged = 0;
    };
    std::chrono::seconds width;
    long long window = 0;  // slots before the current one that the lifetime covers
    mutable std::mutex mutex;
    std::array<Slot, window_slots + 1> slots{};

    long long index_of(std::chrono::steady_clock::time_point now) const {
        return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / width.count();
    }
    Slot& slot_for(std::chrono::steady_clock::time_point now) {
        const long long index = index_of(now);
        Slot& slot = slots[static_cast<std::size_t>(index) % slots.size()];
        if (slot.index != index) slot = Slot{index, 0, 0};
        return slot;
    }
};

PendingFlowCount::PendingFlowCount(std::chrono::seconds lifetime) : impl_(std::make_shared<Impl>()) {
    const long long slots = static_cast<long long>(window_slots);
    impl_->width = std::chrono::seconds(std::max(1LL, (static_cast<long long>(lifetime.count()) + slots - 1) / slots));
    impl_->window = (static_cast<long long>(lifetime.count()) + impl_->width.count() - 1) / impl_->width.count();
}

void PendingFlowCount::started(std::chrono::steady_clock::time_point now) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    ++impl_->slot_for(now).started;
}

void PendingFlowCount::exchanged(std::chrono::steady_clock::time_point now) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    ++impl_->slot_for(now).exchanged;
}

long long PendingFlowCount::count(std::chrono::steady_clock::time_point now) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const long long current = impl_->index_of(now);
    long long started = 0;
    long long exchanged = 0;
    for (const auto& slot : impl_->slots) {
        // The current slot and the `window` before it cover the lifetime.
        if (slot.index < 0 || slot.index > current || current - slot.index > impl_->window) {
            continue;
        }
        started += slot.started;
        exchanged += slot.exchanged;
    }
    return std::max(0LL, started - exchanged);
}

// ---- PrometheusMetrics

namespace {

// Read at scrape time: the gauges whose value lives elsewhere.
class LiveGauges final : public prometheus::Collectable {
public:
    LiveGauges(std::function<std::optional<std::size_t>()> sessions, PendingFlowCount pending)
        : sessions_(std::move(sessions)), pending_(std::move(pending)) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        std::vector<prometheus::MetricFamily> families;
        prometheus::MetricFamily sessions{
            "perch_sessions", "Live sessions in the session store (all instances when it is shared).",
            prometheus::MetricType::Gauge, {}};
        if (const auto live = sessions_ ? sessions_() : std::nullopt) {
            prometheus::ClientMetric metric;
            metric.gauge.value = static_cast<double>(*live);
            sessions.metric.push_back(metric);
        }
        families.push_back(std::move(sessions));
        prometheus::ClientMetric pending;
        pending.gauge.value = static_cast<double>(pending_.count(std::chrono::steady_clock::now()));
        families.push_back(prometheus::MetricFamily{
            "perch_pending_flows",
            "Sign-in starts answered ok by this instance within the flow lifetime, minus exchanges answered ok in "
            "it (never below 0).",
            prometheus::MetricType::Gauge,
            {pending}});
        return families;
    }

private:
    std::function<std::optional<std::size_t>()> sessions_;
    PendingFlowCount pending_;
};

}  // namespace

struct PrometheusMetrics::Impl {
    explicit Impl(MetricsSources sources)
        : pending(sources.flow_lifetime), live(std::move(sources.live_sessions), pending) {}

    prometheus::Registry registry;
    PendingFlowCount pending;
    LiveGauges live;
    ProcessMetrics process;

    prometheus::Family<prometheus::Counter>& starts = prometheus::BuildCounter()
        .Name("perch_sign_in_starts_total")
        .Help("POST /api/twitter/start answers by outcome: ok or the JSON error code.")
        .Register(registry);
    prometheus::Family<prometheus::Counter>& exchanges = prometheus::BuildCounter()
        .Name("perch_sign_in_exchanges_total")
        .Help("POST /api/twitter/exchange answers by outcome: ok or the JSON error code.")
        .Register(registry);
    prometheus::Family<prometheus::Counter>& registrations = prometheus::BuildCounter()
        .Name("perch_registrations_total")
        .Help("Accounts created by POST /api/register.")
        .Register(registry);
    // The families whose series exist only once X was called.
    const std::vector<std::tuple<std::string, std::string, prometheus::MetricType>> labelled_only{
        {"perch_provider_requests_total",
         "Calls to X by endpoint and HTTP status (or the transport failure: timeout, connection, ...).",
         prometheus::MetricType::Counter},
        {"perch_provider_request_duration_seconds",
         "Time from sending a call to X to its whole answer (or failure), by endpoint.",
         prometheus::MetricType::Histogram}};
    prometheus::Family<prometheus::Counter>& provider_requests = prometheus::BuildCounter()
        .Name(std::get<0>(labelled_only[0]))
        .Help(std::get<1>(labelled_only[0]))
        .Register(registry);
    prometheus::Family<prometheus::Histogram>& provider_duration = prometheus::BuildHistogram()
        .Name(std::get<0>(labelled_only[1]))
        .Help(std::get<1>(labelled_only[1]))
        .Register(registry);
    prometheus::Family<prometheus::Counter>& rate_limited = prometheus::BuildCounter()
        .Name("perch_rate_limited_requests_total")
        .Help("Requests refused with 429 rate_limited, by route.")
        .Register(registry);
    prometheus::Family<prometheus::Counter>& webhooks = prometheus::BuildCounter()
        .Name("perch_webhook_deliveries_total")
        .Help("Webhook POSTs by result: delivered (2xx), failed (another status), timeout, connection.")
        .Register(registry);
};

PrometheusMetrics::PrometheusMetrics(MetricsSources sources) : impl_(std::make_unique<Impl>(std::move(sources))) {
    // The series a healthy proxy shows from its first scrape, so a rate() has a start.
    impl_->starts.Add({{"outcome", "ok"}});
    impl_->exchanges.Add({{"outcome", "ok"}});
    impl_->registrations.Add({});
    impl_->rate_limited.Add({{"route", "/api/twitter/start"}});
    impl_->rate_limited.Add({{"route", "/api/twitter/exchange"}});
    impl_->webhooks.Add({{"result", "delivered"}});
    impl_->webhooks.Add({{"result", "failed"}});
}

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::sign_in_start(std::string_view outcome) {
    impl_->starts.Add({{"outcome", std::string(outcome)}}).Increment();
    if (outcome == "ok") impl_->pending.started(std::chrono::steady_clock::now());
}

void PrometheusMetrics::sign_in_exchange(std::string_view outcome) {
    impl_->exchanges.Add({{"outcome", std::string(outcome)}}).Increment();
    if (outcome == "ok") impl_->pending.exchanged(std::chrono::steady_clock::now());
}

void PrometheusMetrics::registration() { impl_->registrations.Add({}).Increment(); }

void PrometheusMetrics::provider_request(std::string_view endpoint, std::string_view status,
                                         std::chrono::duration<double> took) {
    impl_->provider_requests.Add({{"endpoint", std::string(endpoint)}, {"status", std::string(status)}}).Increment();
    static const prometheus::Histogram::BucketBoundaries buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                 0.5,   1,    2.5,   5,    10};
    impl_->provider_duration.Add({{"endpoint", std::string(endpoint)}}, buckets).Observe(took.count());
}

void PrometheusMetrics::rate_limited(std::string_view route) {
    impl_->rate_limited.Add({{"route", std::string(route)}}).Increment();
}

void PrometheusMetrics::webhook_delivery(std::string_view result) {
    impl_->webhooks.Add({{"result", std::string(result)}}).Increment();
}

std::string PrometheusMetrics::exposition() const {
    std::vector<prometheus::MetricFamily> families = impl_->registry.Collect();
    for (auto* source : {static_cast<const prometheus::Collectable*>(&impl_->live),
                         static_cast<const prometheus::Collectable*>(&impl_->process)}) {
        auto more = source->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    // The registry and the serializer leave out a family without series (no
    // call to X yet); its HELP and TYPE are still written (the help texts need
    // no escaping), so every family is there from the first scrape.
    for (const auto& [name, help, type] : impl_->labelled_only) {
        const bool present = std::any_of(families.begin(), families.end(),
                                         [&name = name](const auto& family) { return family.name == name; });
        if (present) continue;
        out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' '
            << (type == prometheus::MetricType::Histogram ? "histogram" : "counter") << '\n';
    }
    return out.str();
}

}  // namespace perch
