// HttplibTransport: the provider calls over cpp-httplib's client, pooled per origin.
#include "net/http_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "net/http_url.h"
#include "core/text.h"

namespace perch {

namespace {

template <typename Duration>
std::string milliseconds(Duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) + " ms";
}

std::string host_port(const HttpUrl& url) {
    return url_origin(url).substr(url.scheme.size() + 3);
}

}  // namespace

struct HttplibTransport::Impl {
    using Clock = std::chrono::steady_clock;
    struct Idle {
        std::unique_ptr<httplib::Client> client;
        Clock::time_point since;
    };

    TransportLimits limits;
    std::string ca_bundle;
    std::mutex mutex;
    // Idle keep-alive clients per origin, oldest first; a client is used by one
    // call at a time (httplib::Client serialises its requests, so sharing one
    // would queue callers).
    std::map<std::string, std::vector<Idle>> idle;

    // Removes the clients idle past pool_idle_timeout (the oldest are first)
    // into `closing`, to be closed outside the lock.
    void drop_stale(std::vector<Idle>& clients, Clock::time_point now, std::vector<Idle>& closing) {
        auto fresh = std::find_if(clients.begin(), clients.end(),
                                  [&](const Idle& entry) { return now - entry.since <= limits.pool_idle_timeout; });
        std::move(clients.begin(), fresh, std::back_inserter(closing));
        clients.erase(clients.begin(), fresh);
    }

    std::unique_ptr<httplib::Client> take(const HttpUrl& url) {
        const std::string key = url.scheme + "://" + host_port(url);
        std::vector<Idle> closing;
        {
            std::lock_guard<std::mutex> lock(mutex);
            auto& clients = idle[key];
            drop_stale(clients, Clock::now(), closing);
            if (!clients.empty()) {
                auto client = std::move(clients.back().client);  // the most recently used
                clients.pop_back();
                return client;
            }
        }
        const bool ipv6 = url.host.find(':') != std::string::npos;
        auto client = std::make_unique<httplib::Client>(url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host) +
                                                        ":" + std::to_string(url.port));
        client->set_connection_timeout(limits.connect_timeout);
        client->set_read_timeout(limits.read_timeout);
        client->set_write_timeout(limits.read_timeout);
        client->set_keep_alive(true);
        client->set_tcp_nodelay(true);  // headers and body go out in separate writes: no Nagle wait
        client->set_follow_location(false);
        client->set_decompress(false);  // no Accept-Encoding: the size cap then counts real bytes
        if (url.scheme == "https") {
            client->set_ca_cert_path(ca_bundle);
            client->enable_server_certificate_verification(true);
        }
        return client;
    }

    void give_back(const HttpUrl& url, std::unique_ptr<httplib::Client> client) {
        const std::string key = url.scheme + "://" + host_port(url);
        const auto now = Clock::now();
        std::vector<Idle> closing;
        std::lock_guard<std::mutex> lock(mutex);
        auto& clients = idle[key];
        drop_stale(clients, now, closing);
        if (clients.size() < limits.max_idle_per_origin) clients.push_back(Idle{std::move(client), now});
    }
};

HttplibTransport::HttplibTransport(TransportLimits limits, std::string ca_bundle) : impl_(std::make_unique<Impl>()) {
    impl_->limits = limits;
    impl_->ca_bundle = std::move(ca_bundle);
}

HttplibTransport::~HttplibTransport() = default;

TransportResult HttplibTransport::send(const OutgoingRequest& request) {
    auto parsed = parse_http_url(request.url);
    if (!parsed) return TransportError{TransportFailure::invalid_url, "not an absolute http(s) URL"};
    const HttpUrl& url = parsed.value();
    const std::string where = host_port(url);
    if (url.scheme == "http" && !is_loopback_host(url.host)) {
        return TransportError{TransportFailure::invalid_url, "plain http is allowed only to loopback hosts, not " + where};
    }
    if (request.method != "GET" && request.method != "POST") {
        return TransportError{TransportFailure::invalid_url, "unsupported method " + request.method};
    }

    const TransportLimits& limits = impl_->limits;
    auto client = impl_->take(url);

    httplib::Request req;
    req.method = request.method;
    req.path = url.target;
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
    req.body = request.body;

    // A whole-response deadline: httplib's read timeout is per read, so a
    // trickling server could otherwise hold us indefinitely.
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + limits.connect_timeout + limits.read_timeout;
    bool too_large = false;
    bool past_deadline = false;
    std::string body;
    req.response_handler = [&](const httplib::Response& head) {
        const std::string length = head.get_header_value("Content-Length");
        if (!length.empty() && length.size() < 20 &&
            std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            std::stoull(length) > limits.max_response_bytes) {
            too_large = true;
            return false;
        }
        return true;
    };
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
        if (body.size() + size > limits.max_response_bytes) {
            too_large = true;
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            past_deadline = true;
            return false;
        }
        body.append(data, size);
        return true;
    };

    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client->send(req, res, error);
    const auto elapsed = std::chrono::steady_clock::now() - start;

    if (!sent) {
        // The connection is in an unknown state: drop the client.
        if (too_large) {
            return TransportError{TransportFailure::too_large,
                                  "answer from " + where + " is larger than " +
                                      std::to_string(limits.max_response_bytes) + " bytes"};
        }
        if (past_deadline) {
            return TransportError{TransportFailure::timeout,
                                  "no complete answer from " + where + " within " + milliseconds(deadline - start)};
        }
        switch (error) {
            case httplib::Error::ConnectionTimeout:
                return TransportError{TransportFailure::timeout, "no connection to " + where + " within " +
                                                                     milliseconds(limits.connect_timeout)};
            case httplib::Error::Read:
                // httplib reports a read timeout as a plain read error; the clock tells them apart.
                if (elapsed >= limits.read_timeout * 9 / 10) {
                    return TransportError{TransportFailure::timeout,
                                          "no answer from " + where + " within " + milliseconds(limits.read_timeout)};
                }
                return TransportError{TransportFailure::connection, "connection to " + where + " failed while reading"};
            case httplib::Error::SSLConnection:
                return TransportError{TransportFailure::tls, "TLS handshake with " + where + " failed"};
            case httplib::Error::SSLLoadingCerts:
                return TransportError{TransportFailure::tls, "cannot load the CA bundle " + impl_->ca_bundle};
            case httplib::Error::SSLServerVerification:
                return TransportError{TransportFailure::tls, "the certificate of " + where +
                                                                 " is not trusted or not issued for that host"};
            case httplib::Error::Connection:
                return TransportError{TransportFailure::connection, "cannot connect to " + where};
            case httplib::Error::Write:
                return TransportError{TransportFailure::connection, "connection to " + where + " failed while sending"};
            default:
                return TransportError{TransportFailure::connection,
                                      "cannot reach " + where + ": " + httplib::to_string(error)};
        }
    }

    IncomingResponse response;
    response.status = res.status;
    for (const auto& [name, value] : res.headers) response.headers.emplace(lower(name), value);
    response.body = std::move(body);
    impl_->give_back(url, std::move(client));
    return response;
}

}  // namespace perch
