#include "app/ops_listeners.h"

#include <utility>

#include <openssl/crypto.h>

#include "app/routes.h"
#include "base/log.h"

namespace perch {

HttpResponse metrics_route(const HttpRequest& request, const PrometheusMetrics& metrics) {
    if (request.path != "/metrics") return error_response(404, "not_found", "Only /metrics is served here.");
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse refused = error_response(405, "method_not_allowed", "This method is not allowed here.");
        refused.headers.emplace_back("Allow", "GET, HEAD");
        return refused;
    }
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = metrics.exposition();
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

SideListener::SideListener(std::string name, ServerOptions options, RequestHandler handler)
    : name_(std::move(name)), server_(std::move(options), std::move(handler)) {}

SideListener::~SideListener() { stop(); }

Result<int> SideListener::bind() { return server_.bind(); }

void SideListener::start() {
    thread_ = std::thread([this] { server_.run(); });
}

void SideListener::stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
}

void OpsListeners::stop() {
    for (auto& listener : listeners) listener->stop();
}

namespace {

// The public listener's limits, on another address and with few workers:
// one scraper, or the site's backend.
ServerOptions side_options(const ProxyConfig& config, const HostPort& address, int threads, Log* log) {
    ServerOptions options;
    options.host = address.host;
    options.port = address.port;
    options.max_body_bytes = 1024;
    options.threads = threads;
    options.request_timeout = config.request_timeout;
    options.max_connections_per_client = 0;  // its clients are the operator's own
    options.log = log;
    return options;
}

}  // namespace

Result<OpsListeners, std::string> open_ops_listeners(ProxyConfig& config, const PrometheusMetrics* metrics,
                                                     AccountStore& accounts, OAuth2Client* oauth2,
                                                     const Clock& clock, Log* log, std::ostream& out) {
    OpsListeners ops;
    std::vector<std::string> settings;
    if (metrics != nullptr && config.metrics_listen) {
        ops.listeners.push_back(std::make_unique<SideListener>(
            "metrics", side_options(config, *config.metrics_listen, 2, log),
            [metrics](const HttpRequest& request) { return metrics_route(request, *metrics); }));
        settings.emplace_back("PERCH_METRICS_LISTEN");
    }
    if (config.admin_listen) {
        ops.admin = std::make_unique<AdminApi>(std::move(config.admin_token), accounts, oauth2, clock, log);
        OPENSSL_cleanse(config.admin_token.data(), config.admin_token.size());
        config.admin_token.clear();
        AdminApi* admin = ops.admin.get();
        // Enough workers for the site's backend asking for several accounts at once.
        ops.listeners.push_back(std::make_unique<SideListener>(
            "admin", side_options(config, *config.admin_listen, 8, log),
            [admin](const HttpRequest& request) { return admin->handle(request); }));
        settings.emplace_back("PERCH_ADMIN_LISTEN");
    }
    for (std::size_t i = 0; i < ops.listeners.size(); ++i) {
        SideListener& listener = *ops.listeners[i];
        auto port = listener.bind();
        if (!port) return settings[i] + ": " + port.error().message;
        const HostPort& address = listener.name() == "metrics" ? *config.metrics_listen : *config.admin_listen;
        out << "perch-proxy " << listener.name() << " listening on " << listen_origin(address.host, port.value())
            << std::endl;
    }
    for (auto& listener : ops.listeners) listener->start();
    return ops;
}

}  // namespace perch
