// The Prometheus metrics without sockets: the families and their types in the
// text format, labels from fixed sets only, the pending-flow window, the
// provider transport's labels, and the metrics listener's one route.
#include <catch2/catch.hpp>

#include <string>

#include "app/metered_transport.h"
#include "app/ops_listeners.h"
#include "app/prometheus_metrics.h"

using namespace perch;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

class CannedTransport final : public HttpTransport {
public:
    TransportResult send(const OutgoingRequest&) override { return answer; }
    TransportResult answer = IncomingResponse{200, {}, "{}"};
};

}  // namespace

TEST_CASE("Metrics: every family is exposed with its type, the counters from zero") {
    PrometheusMetrics metrics(MetricsSources{[] { return std::optional<std::size_t>(3); }, std::chrono::seconds(600)});
    const std::string text = metrics.exposition();
    for (const char* line : {
             "# TYPE perch_sign_in_starts_total counter", "# TYPE perch_sign_in_exchanges_total counter",
             "# TYPE perch_registrations_total counter", "# TYPE perch_provider_requests_total counter",
             "# TYPE perch_provider_request_duration_seconds histogram",
             "# TYPE perch_rate_limited_requests_total counter", "# TYPE perch_webhook_deliveries_total counter",
             "# TYPE perch_sessions gauge", "# TYPE perch_pending_flows gauge",
             "# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
             "# TYPE process_virtual_memory_bytes gauge", "# TYPE process_open_fds gauge",
             "# TYPE process_max_fds gauge", "# TYPE process_start_time_seconds gauge",
             "perch_sign_in_starts_total{outcome=\"ok\"} 0", "perch_registrations_total 0", "perch_sessions 3",
             "perch_pending_flows 0", "perch_webhook_deliveries_total{result=\"delivered\"} 0"}) {
        INFO(line << "\n" << text);
        CHECK(has_line(text, line));
    }
}

TEST_CASE("Metrics: calls move their own series by one") {
    PrometheusMetrics metrics(MetricsSources{[] { return std::optional<std::size_t>(); }, std::chrono::seconds(600)});
    metrics.sign_in_start("ok");
    metrics.sign_in_start("ok");
    metrics.sign_in_start("rate_limited");
    metrics.sign_in_exchange("ok");
    metrics.sign_in_exchange("replayed");
    metrics.registration();
    metrics.rate_limited("/api/twitter/start");
    metrics.webhook_delivery("failed");
    metrics.provider_request("users_me", "200", std::chrono::milliseconds(30));
    const std::string text = metrics.exposition();
    INFO(text);
    CHECK(has_line(text, "perch_sign_in_starts_total{outcome=\"ok\"} 2"));
    CHECK(has_line(text, "perch_sign_in_starts_total{outcome=\"rate_limited\"} 1"));
    CHECK(has_line(text, "perch_sign_in_exchanges_total{outcome=\"ok\"} 1"));
    CHECK(has_line(text, "perch_sign_in_exchanges_total{outcome=\"replayed\"} 1"));
    CHECK(has_line(text, "perch_registrations_total 1"));
    CHECK(has_line(text, "perch_rate_limited_requests_total{route=\"/api/twitter/start\"} 1"));
    CHECK(has_line(text, "perch_webhook_deliveries_total{result=\"failed\"} 1"));
    CHECK(has_line(text, "perch_provider_requests_total{endpoint=\"users_me\",status=\"200\"} 1"));
    CHECK(has_line(text, "perch_provider_request_duration_seconds_count{endpoint=\"users_me\"} 1"));
    CHECK(has_line(text, "perch_provider_request_duration_seconds_bucket{endpoint=\"users_me\",le=\"0.025\"} 0"));
    CHECK(has_line(text, "perch_provider_request_duration_seconds_bucket{endpoint=\"users_me\",le=\"0.05\"} 1"));
    CHECK(has_line(text, "perch_pending_flows 1"));  // two starts, one exchange
    CHECK(text.find("\nperch_sessions ") == std::string::npos);  // the store could not say: no sample
}

TEST_CASE("Pending flows: starts minus exchanges within the flow lifetime, never below zero") {
    using std::chrono::seconds;
    const auto t0 = std::chrono::steady_clock::time_point(seconds(1000000));
    PendingFlowCount pending(seconds(600));  // slots of 10 s
    pending.started(t0);
    pending.started(t0 + seconds(5));
    pending.started(t0 + seconds(300));
    CHECK(pending.count(t0 + seconds(300)) == 3);
    pending.exchanged(t0 + seconds(301));
    CHECK(pending.count(t0 + seconds(301)) == 2);
    CHECK(pending.count(t0 + seconds(609)) == 2);  // the first slot is still within the lifetime
    CHECK(pending.count(t0 + seconds(610)) == 0);  // the first two starts expired; 1 start - 1 exchange
    CHECK(pending.count(t0 + seconds(1000)) == 0);
    pending.exchanged(t0 + seconds(1000));
    CHECK(pending.count(t0 + seconds(1000)) == 0);  // never below zero

    PendingFlowCount short_lived(seconds(1));  // slots of at least 1 s
    short_lived.started(t0);
    CHECK(short_lived.count(t0) == 1);
    CHECK(short_lived.count(t0 + seconds(1)) == 1);  // up to one slot late
    CHECK(short_lived.count(t0 + seconds(2)) == 0);
}

TEST_CASE("Provider calls are labelled by a fixed endpoint name and the status or failure") {
    CHECK(provider_endpoint("https://api.x.com/2/oauth2/token") == "oauth2_token");
    CHECK(provider_endpoint("https://api.x.com/2/users/me?user.fields=id,name") == "users_me");
    CHECK(provider_endpoint("http://127.0.0.1:9/oauth/request_token") == "request_token");
    CHECK(provider_endpoint("http://127.0.0.1:9/base/oauth/access_token") == "access_token");
    CHECK(provider_endpoint("https://api.x.com/1.1/account/verify_credentials.json?x=1") == "verify_credentials");
    CHECK(provider_endpoint("https://api.x.com/2/users/me/evil") == "other");
    CHECK(provider_endpoint("https://api.x.com") == "other");

    PrometheusMetrics metrics(MetricsSources{nullptr, std::chrono::seconds(600)});
    CannedTransport inner;
    MeteredTransport transport(inner, metrics);
    inner.answer = IncomingResponse{429, {}, ""};
    CHECK(transport.send(OutgoingRequest{"POST", "https://api.x.com/2/oauth2/token", {}, "", ""}).value().status == 429);
    inner.answer = TransportError{TransportFailure::timeout, "timed out"};
    CHECK_FALSE(transport.send(OutgoingRequest{"GET", "https://api.x.com/2/users/me", {}, "", ""}).ok());
    inner.answer = IncomingResponse{999, {}, ""};
    (void)transport.send(OutgoingRequest{"GET", "https://api.x.com/what", {}, "", ""});
    const std::string text = metrics.exposition();
    INFO(text);
    CHECK(has_line(text, "perch_provider_requests_total{endpoint=\"oauth2_token\",status=\"429\"} 1"));
    CHECK(has_line(text, "perch_provider_requests_total{endpoint=\"users_me\",status=\"timeout\"} 1"));
    CHECK(has_line(text, "perch_provider_requests_total{endpoint=\"other\",status=\"invalid\"} 1"));
}

TEST_CASE("The metrics listener serves /metrics only") {
    PrometheusMetrics metrics(MetricsSources{nullptr, std::chrono::seconds(600)});
    HttpRequest request;
    request.method = "GET";
    request.path = "/metrics";
    const HttpResponse ok = metrics_route(request, metrics);
    CHECK(ok.status == 200);
    CHECK(ok.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(ok.body.find("# TYPE perch_sign_in_starts_total counter") != std::string::npos);
    request.path = "/metrics/";
    CHECK(metrics_route(request, metrics).status == 404);
    request.path = "/";
    CHECK(metrics_route(request, metrics).status == 404);
    request.path = "/metrics";
    request.method = "POST";
    CHECK(metrics_route(request, metrics).status == 405);
}
