// The operator's listeners beside the public one, each on its own address and
// thread: PERCH_METRICS_LISTEN (GET /metrics) and PERCH_ADMIN_LISTEN
// (app/admin_api.h). Neither route exists on the public listener.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "app/admin_api.h"
#include "app/prometheus_metrics.h"
#include "app/settings/config.h"
#include "base/clock.h"
#include "core/result.h"
#include "net/http_server.h"
#include "provider/oauth2_client.h"
#include "store/account_store.h"

namespace perch {

class Log;

// The metrics listener's one route: GET (or HEAD) /metrics in the Prometheus
// text format; 404 for any other path, 405 for another method.
HttpResponse metrics_route(const HttpRequest& request, const PrometheusMetrics& metrics);

// One listener served by its own thread until stop().
class SideListener {
public:
    SideListener(std::string name, ServerOptions options, RequestHandler handler);
    ~SideListener();
    SideListener(const SideListener&) = delete;
    SideListener& operator=(const SideListener&) = delete;

    const std::string& name() const { return name_; }
    Result<int> bind();
    void start();
    void stop();

private:
    std::string name_;
    HttpServer server_;
    std::thread thread_;
};

struct OpsListeners {
    std::unique_ptr<AdminApi> admin;  // before the listeners: they call it until stopped
    std::vector<std::unique_ptr<SideListener>> listeners;
    void stop();
};

// Binds and starts the listeners the settings turn on (none: nothing is
// made), printing "perch-proxy <name> listening on <origin>" for each to
// `out`. The admin token moves out of `config`. An error names the setting.
Result<OpsListeners, std::string> open_ops_listeners(ProxyConfig& config, const PrometheusMetrics* metrics,
                                                     AccountStore& accounts, OAuth2Client* oauth2,
                                                     const Clock& clock, Log* log, std::ostream& out);

}  // namespace perch
