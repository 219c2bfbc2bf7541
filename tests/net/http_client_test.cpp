// The outgoing transport (HttplibTransport) against loopback servers, plain and TLS.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/http_client.h"
#include "http_fixture.h"
#include "net/http_server.h"
#include "base/log.h"
#include "transport_helpers.h"

using namespace perch;
using namespace perch::test;

TEST_CASE("The transport never follows redirects") {
    std::atomic<int> target_calls{0};
    RunningServer server([&](const HttpRequest& request) {
        if (request.path == "/target") ++target_calls;
        return HttpResponse{302, {{"Location", "/target"}}, "text/plain", "moved"};
    });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/start");
    const IncomingResponse response = must_answer(transport, request);
    CHECK(response.status == 302);
    CHECK(header(response.headers, "location") == "/target");
    CHECK(target_calls == 0);
}

TEST_CASE("The transport cuts off answers above the size cap") {
    RunningServer server([](const HttpRequest& request) {
        const std::size_t size = request.path == "/big" ? 70 * 1024 : 64 * 1024;
        return HttpResponse{200, {}, "text/plain", std::string(size, 'z')};
    });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/big");
    const TransportError error = must_fail(transport, request);
    CHECK(error.failure == TransportFailure::too_large);
    CHECK(error.message == "answer from 127.0.0.1:" + std::to_string(server.port()) + " is larger than 65536 bytes");

    request.url = server.url("/exact");
    CHECK(must_answer(transport, request).body.size() == 64 * 1024);
}

TEST_CASE("The transport reports a provider that does not answer in time as a timeout") {
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
    RunningServer server([&](const HttpRequest&) {
        std::unique_lock<std::mutex> lock(mutex);
        // Held until the client has given up (bounded, in case it never does).
        released_cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
        return HttpResponse{200, {}, "text/plain", "late"};
    });
    TransportLimits limits = fast_limits();
    limits.read_timeout = std::chrono::milliseconds(300);
    HttplibTransport transport(limits);
    OutgoingRequest request;
    request.method = "POST";
    request.url = server.url("/oauth/access_token");
    const auto start = std::chrono::steady_clock::now();
    const TransportError error = must_fail(transport, request);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    {
        std::lock_guard<std::mutex> lock(mutex);
        released = true;
    }
    released_cv.notify_all();
    CHECK(error.failure == TransportFailure::timeout);
    CHECK(error.message == "no answer from 127.0.0.1:" + std::to_string(server.port()) + " within 300 ms");
    CHECK(elapsed < std::chrono::seconds(3));
}

TEST_CASE("The transport reports a refused connection") {
    int port = 0;
    {
        HttpServer closed(ServerOptions{}, [](const HttpRequest&) { return HttpResponse{}; });
        auto bound = closed.bind();
        REQUIRE(bound.ok());
        port = bound.value();
    }  // closed again: nothing listens there now
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
    const TransportError error = must_fail(transport, request);
    CHECK(error.failure == TransportFailure::connection);
    CHECK(error.message == "cannot connect to 127.0.0.1:" + std::to_string(port));
}

TEST_CASE("The transport refuses plain http to anything but loopback, and odd URLs") {
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = "http://api.twitter.com/oauth/request_token";
    TransportError error = must_fail(transport, request);
    CHECK(error.failure == TransportFailure::invalid_url);
    CHECK(error.message == "plain http is allowed only to loopback hosts, not api.twitter.com");

    request.url = "file:///etc/passwd";
    CHECK(must_fail(transport, request).failure == TransportFailure::invalid_url);

    request.url = "http://127.0.0.1:1/";
    request.method = "DELETE";
    CHECK(must_fail(transport, request).failure == TransportFailure::invalid_url);
}

TEST_CASE("https to a server that does not speak TLS fails as a TLS error") {
    RunningServer server([](const HttpRequest&) { return HttpResponse{200, {}, "text/plain", "plain"}; });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    const TransportError error = must_fail(transport, request);
    CHECK(error.failure == TransportFailure::tls);
}

TEST_CASE("One transport serves concurrent callers") {
    RunningServer server([&](const HttpRequest& request) {
        return HttpResponse{200, {}, "text/plain", request.path};
    });
    HttplibTransport transport(fast_limits());
    std::vector<std::future<bool>> results;
    for (int i = 0; i < 8; ++i) {
        results.push_back(std::async(std::launch::async, [&transport, &server, i] {
            bool all = true;
            for (int j = 0; j < 10; ++j) {
                OutgoingRequest request;
                request.method = "GET";
                const std::string path = "/t" + std::to_string(i) + "-" + std::to_string(j);
                request.url = server.url(path);
                auto result = transport.send(request);
                all = all && result.ok() && result.value().status == 200 && result.value().body == path;
            }
            return all;
        }));
    }
    for (auto& result : results) CHECK(result.get());
}

namespace {

// Holds each request until `width` are in flight at once (bounded wait), and
// records the client port of every connection a request arrived on.
class ConnectionCounter {
public:
    explicit ConnectionCounter(int width) : width_(width) {}

    HttpResponse handle(const HttpRequest& request) {
        std::unique_lock<std::mutex> lock(mutex_);
        ports_.insert(request.remote_port);
        ++arrived_;
        changed_.notify_all();
        const int round_end = (arrived_ + width_ - 1) / width_ * width_;
        changed_.wait_for(lock, std::chrono::seconds(5), [&] { return arrived_ >= round_end; });
        return HttpResponse{200, {}, "text/plain", "ok"};
    }

    std::size_t connections() {
        std::lock_guard<std::mutex> lock(mutex_);
        return ports_.size();
    }

private:
    const int width_;
    std::mutex mutex_;
    std::condition_variable changed_;
    int arrived_ = 0;
    std::set<int> ports_;
};

// `callers` requests at once through `transport`; true when all answered 200.
bool concurrent_round(HttpTransport& transport, const std::string& url, int callers) {
    std::vector<std::future<bool>> results;
    for (int i = 0; i < callers; ++i) {
        results.push_back(std::async(std::launch::async, [&transport, &url] {
            OutgoingRequest request;
            request.method = "GET";
            request.url = url;
            auto result = transport.send(request);
            return result.ok() && result.value().status == 200;
        }));
    }
    bool all = true;
    for (auto& result : results) all = result.get() && all;
    return all;
}

}  // namespace

TEST_CASE("A burst of concurrent provider calls reuses every pooled connection the burst before opened") {
    constexpr int callers = 32;
    ConnectionCounter counter(callers);
    ServerOptions options;
    options.threads = 64;
    options.max_connections_per_client = 0;  // all 32 come from 127.0.0.1
    RunningServer server([&](const HttpRequest& request) { return counter.handle(request); }, options);
    HttplibTransport transport(fast_limits());
    REQUIRE(concurrent_round(transport, server.url("/a"), callers));
    REQUIRE(counter.connections() == callers);
    REQUIRE(concurrent_round(transport, server.url("/b"), callers));
    // A pool of 4 would have reopened 28 of them.
    CHECK(counter.connections() == callers);
}

TEST_CASE("A pooled connection idle longer than pool_idle_timeout is closed, not reused") {
    ConnectionCounter counter(1);
    RunningServer server([&](const HttpRequest& request) { return counter.handle(request); });
    TransportLimits limits = fast_limits();
    limits.pool_idle_timeout = std::chrono::milliseconds(100);
    HttplibTransport transport(limits);
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/x");

    must_answer(transport, request);
    must_answer(transport, request);  // at once: the same connection
    CHECK(counter.connections() == 1);

    // Past the idle limit (a lower bound on time: nothing can make it come sooner).
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    must_answer(transport, request);
    CHECK(counter.connections() == 2);
}

namespace {

// A self-signed certificate for one subjectAltName, written to a temp PEM file.
class SelfSignedCert {
public:
    explicit SelfSignedCert(const std::string& alt_name) {
        key_ = EVP_EC_gen("P-256");
        REQUIRE(key_ != nullptr);
        cert_ = X509_new();
        X509_set_version(cert_, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert_), -60);
        X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
        X509_set_pubkey(cert_, key_);
        X509_NAME* name = X509_get_subject_name(cert_);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("perch test"), -1,
                                   -1, 0);
        X509_set_issuer_name(cert_, name);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert_, cert_, nullptr, nullptr, 0);
        for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, alt_name},
                                         {NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
            REQUIRE(extension != nullptr);
            X509_add_ext(cert_, extension, -1);
            X509_EXTENSION_free(extension);
        }
        REQUIRE(X509_sign(cert_, key_, EVP_sha256()) > 0);

        char path[] = "/tmp/perch-tls-test-XXXXXX";
        const int fd = mkstemp(path);
        REQUIRE(fd >= 0);
        FILE* file = fdopen(fd, "w");
        PEM_write_X509(file, cert_);
        fclose(file);
        path_ = path;
    }
    ~SelfSignedCert() {
        std::remove(path_.c_str());
        X509_free(cert_);
        EVP_PKEY_free(key_);
    }
    const std::string& pem_path() const { return path_; }
    X509* cert() const { return cert_; }
    EVP_PKEY* key() const { return key_; }

private:
    EVP_PKEY* key_ = nullptr;
    X509* cert_ = nullptr;
    std::string path_;
};

// A tiny HTTPS server on 127.0.0.1 that answers every request "200 ok".
class TlsServer {
public:
    explicit TlsServer(const SelfSignedCert& cert) {
        ctx_ = SSL_CTX_new(TLS_server_method());
        REQUIRE(SSL_CTX_use_certificate(ctx_, cert.cert()) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey(ctx_, cert.key()) == 1);
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener_, 16) == 0);
        socklen_t length = sizeof address;
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~TlsServer() {
        stop_ = true;
        thread_.join();
        close(listener_);
        SSL_CTX_free(ctx_);
    }
    int port() const { return port_; }
    int requests_received() const { return requests_; }

private:
    void serve() {
        while (!stop_) {
            pollfd ready{listener_, POLLIN, 0};
            if (poll(&ready, 1, 50) <= 0) continue;  // re-check stop_ between waits
            const int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            timeval timeout{2, 0};
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            SSL* ssl = SSL_new(ctx_);
            SSL_set_fd(ssl, client);
            if (SSL_accept(ssl) == 1) {
                std::string request;
                char buffer[1024];
                while (request.find("\r\n\r\n") == std::string::npos) {
                    const int n = SSL_read(ssl, buffer, sizeof buffer);
                    if (n <= 0) break;
                    request.append(buffer, static_cast<std::size_t>(n));
                }
                if (request.find("\r\n\r\n") != std::string::npos) ++requests_;
                const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                SSL_write(ssl, response.data(), static_cast<int>(response.size()));
                SSL_shutdown(ssl);
            }
            SSL_free(ssl);
            close(client);
        }
    }

    SSL_CTX* ctx_ = nullptr;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("https verifies the certificate against the CA bundle and the host name") {
    SelfSignedCert cert("IP:127.0.0.1");
    TlsServer server(cert);
    OutgoingRequest request;
    request.method = "GET";
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/1.1/account/verify_credentials.json";

    SECTION("a certificate the bundle trusts is accepted") {
        HttplibTransport trusting(fast_limits(), cert.pem_path());
        const IncomingResponse response = must_answer(trusting, request);
        CHECK(response.status == 200);
        CHECK(response.body == "ok");
    }
    SECTION("the same certificate is refused with the system bundle") {
        HttplibTransport system(fast_limits());
        const TransportError error = must_fail(system, request);
        CHECK(error.failure == TransportFailure::tls);
        CHECK(error.message == "the certificate of 127.0.0.1:" + std::to_string(server.port()) +
                                   " is not trusted or not issued for that host");
        CHECK(server.requests_received() == 0);  // nothing was sent over the untrusted connection
    }
}

TEST_CASE("https refuses a trusted certificate issued for another host") {
    SelfSignedCert cert("DNS:api.twitter.com");
    TlsServer server(cert);
    HttplibTransport trusting(fast_limits(), cert.pem_path());
    OutgoingRequest request;
    request.method = "GET";
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    const TransportError error = must_fail(trusting, request);
    CHECK(error.failure == TransportFailure::tls);
    CHECK(server.requests_received() == 0);
}

TEST_CASE("https with a CA bundle that cannot be loaded fails closed") {
    SelfSignedCert cert("IP:127.0.0.1");
    TlsServer server(cert);
    HttplibTransport broken(fast_limits(), "/nonexistent/ca.pem");
    OutgoingRequest request;
    request.method = "GET";
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    const TransportError error = must_fail(broken, request);
    CHECK(error.failure == TransportFailure::tls);
    CHECK(server.requests_received() == 0);
}
