// The server adaptor against slow, idle, pipelining and greedy clients on 127.0.0.1.
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

TEST_CASE("A POST with neither Content-Length nor Transfer-Encoding is 411 at once, never read until timeout") {
    std::atomic<int> calls{0};
    RunningServer server(counting_ok(calls));
    RawConnection connection(server.port());
    const auto started = std::chrono::steady_clock::now();
    connection.send("POST /api/logout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n");
    // Within the 3 s deadline, where httplib alone would wait out its 5 s read timeout.
    const std::string response = connection.response();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    INFO(response);
    CHECK(response.rfind("HTTP/1.1 411 ", 0) == 0);
    CHECK(response.find(R"({"error":{"code":"length_required","message":"a request body needs a Content-Length"}})") !=
          std::string::npos);
    CHECK(elapsed < std::chrono::seconds(3));
    CHECK(calls == 0);

    // Content-Length: 0 is an empty body, answered by the handler.
    RawConnection explicit_empty(server.port());
    explicit_empty.send("POST /api/logout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
    CHECK(explicit_empty.response().rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(calls == 1);
}

TEST_CASE("A client that drips its request head is answered 408 and cut off at request_timeout") {
    ServerOptions options;
    options.request_timeout = std::chrono::milliseconds(600);
    std::atomic<int> calls{0};
    RunningServer server(counting_ok(calls), options);
    RawConnection slow(server.port());
    const auto started = std::chrono::steady_clock::now();
    slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    // One byte every 100 ms: every read is quick (httplib's 5 s read timeout never
    // fires), the head never ends.
    std::string response;
    for (int i = 0; i < 40 && response.empty(); ++i) {
        slow.try_send("a");
        response = slow.response(std::chrono::milliseconds(100));
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    INFO(response);
    CHECK(response.rfind("HTTP/1.1 408 ", 0) == 0);
    CHECK(response.find(R"({"error":{"code":"request_timeout","message":"The request did not arrive in time."}})") !=
          std::string::npos);
    CHECK(elapsed >= std::chrono::milliseconds(600));
    CHECK(elapsed < std::chrono::milliseconds(2500));
    CHECK(slow.closed_by_server(std::chrono::milliseconds(1000)));
    CHECK(calls == 0);
}

TEST_CASE("A declared Content-Length over the limit is 413 at once, without waiting for the body") {
    std::atomic<int> calls{0};
    RunningServer server(counting_ok(calls));
    RawConnection connection(server.port());
    const auto started = std::chrono::steady_clock::now();
    connection.send("POST /api/twitter/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: 99999999\r\n\r\n");
    const std::string response = connection.response();
    INFO(response);
    CHECK(response.rfind("HTTP/1.1 413 ", 0) == 0);
    // httplib alone skips the declared body until its 5 s read timeout.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    // The body that follows is never read as a request: the connection ends after the 413.
    connection.try_send("GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(connection.response(std::chrono::milliseconds(1000)).find("HTTP/1.1") == std::string::npos);
    CHECK(connection.closed_by_server(std::chrono::milliseconds(1000)));
    CHECK(calls == 0);
}

TEST_CASE("After an answer the HTTP layer made itself, the connection ends: an unread body is never read as a request") {
    std::atomic<int> calls{0};
    ServerOptions options;
    options.max_body_bytes = 64;
    RunningServer server(counting_ok(calls), options);
    const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        // a chunked body (httplib 0.11.4 would read one past the body limit): Transfer-Encoding is refused
        {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" + std::string(256, 'a') +
             "\r\n0\r\n\r\n" + smuggled,
         "400"},
        // both framings at once (the classic smuggling pair): refused the same way
        {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
         "400"},
        // no length: the bytes after the head are not this request's body
        {"POST /x HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled, "411"},
        // a declared length over the limit: never read
        {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + smuggled + std::string(100, ' '), "413"},
    };
    for (const auto& [request, status] : cases) {
        RawConnection connection(server.port());
        connection.send(request);
        const std::string answer = connection.response();
        INFO(answer);
        CHECK(answer.rfind("HTTP/1.1 " + status + " ", 0) == 0);
        CHECK(answer.find("Connection: close\r\n") != std::string::npos);
        CHECK(answer.find("Keep-Alive") == std::string::npos);
        CHECK(connection.response(std::chrono::milliseconds(500)).empty());
        CHECK(connection.closed_by_server(std::chrono::milliseconds(1000)));
    }
    CHECK(calls == 0);
}

TEST_CASE("One address holds at most max_connections_per_client connections; the next is refused with 429") {
    ServerOptions options;
    options.max_connections_per_client = 2;
    RunningServer server([](const HttpRequest&) { return HttpResponse{200, {}, "application/json", "{}"}; }, options);
    const std::string get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    auto first = std::make_unique<RawConnection>(server.port());
    RawConnection second(server.port());
    first->send(get);
    second.send(get);
    CHECK(first->response().rfind("HTTP/1.1 200 ", 0) == 0);  // both stay open (kept alive)
    CHECK(second.response().rfind("HTTP/1.1 200 ", 0) == 0);

    RawConnection third(server.port());
    const std::string refused = third.response();  // answered without sending anything
    INFO(refused);
    CHECK(refused.rfind("HTTP/1.1 429 ", 0) == 0);
    CHECK(refused.find("Retry-After: 1\r\n") != std::string::npos);
    CHECK(refused.find(R"("code":"too_many_connections")") != std::string::npos);

    // Closing one frees its place as soon as the server sees the close: on a
    // loaded machine that may take a moment, so ask again until a deadline.
    first.reset();
    bool served = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!served && std::chrono::steady_clock::now() < deadline) {
        RawConnection next(server.port());
        next.try_send(get);
        served = next.response(std::chrono::milliseconds(500)).rfind("HTTP/1.1 200 ", 0) == 0;
    }
    CHECK(served);
}

TEST_CASE("Answers the server gives by itself carry the error_headers, nosniff and no-store") {
    ServerOptions options;
    options.error_headers = {{"Content-Security-Policy", "default-src 'none'"},
                             {"X-Frame-Options", "DENY"},
                             {"X-Bad", "split\r\nSet-Cookie: x=1"}};  // never sent: it would split the block
    options.max_body_bytes = 64;
    options.request_timeout = std::chrono::milliseconds(600);
    const auto handler = [](const HttpRequest&) { return HttpResponse{200, {}, "application/json", "{}"}; };
    RunningServer server(handler, options);
    auto check_headers = [](const std::string& response, const std::string& status) {
        INFO(response);
        CHECK(response.rfind("HTTP/1.1 " + status + " ", 0) == 0);
        const std::string head = response.substr(0, response.find("\r\n\r\n") + 2);
        CHECK(head.find("\r\nContent-Security-Policy: default-src 'none'\r\n") != std::string::npos);
        CHECK(head.find("\r\nX-Frame-Options: DENY\r\n") != std::string::npos);
        CHECK(head.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string::npos);
        CHECK(head.find("\r\nCache-Control: no-store\r\n") != std::string::npos);
        CHECK(head.find("X-Bad") == std::string::npos);
        CHECK(head.find("Set-Cookie") == std::string::npos);
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"GET / HTTP/1.1 extra\r\n\r\n", "400"},                                            // malformed head
        {"GET /?q=" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"},       // URI too long
        {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", "413"},            // body too large
        {"POST /x HTTP/1.1\r\nHost: x\r\n\r\n", "411"},                                      // no length
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a", "408"},                              // never finished
    };
    for (const auto& [request, status] : cases) {
        RawConnection connection(server.port());
        connection.send(request);
        check_headers(connection.response(std::chrono::milliseconds(3000)), status);
    }
    // A server of its own: the cases above may still hold their places while
    // the server drains their closes, which a cap of 1 would count.
    options.max_connections_per_client = 1;
    RunningServer capped(handler, options);
    RawConnection holder(capped.port());
    holder.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(holder.response().rfind("HTTP/1.1 200 ", 0) == 0);  // kept alive: the one allowed connection
    RawConnection refused(capped.port());
    check_headers(refused.response(), "429");
}

TEST_CASE("The access log times a request refused before routing from its first byte, not from an earlier one") {
    LoggedOptions logged;
    {
        RunningServer server([](const HttpRequest&) { return HttpResponse{204, {}, "", ""}; }, logged.options);
        RawConnection connection(server.port());
        // A request that routes (its start is recorded), then, 300 ms later on
        // the same connection, one refused before routing (414).
        connection.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        connection.send("GET /?q=" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(connection.response().rfind("HTTP/1.1 414 ", 0) == 0);
    }
    const std::vector<std::string> lines = logged.lines();
    INFO(logged.text());
    REQUIRE(lines.size() == 2);
    const std::string& second = lines[1];
    // The request line was refused: no method, no path.
    REQUIRE(second.rfind("info - - 414 ", 0) == 0);
    // "... 414 <duration>ms": well under the 300 ms since the previous request began.
    const std::string duration = second.substr(std::string("info - - 414 ").size());
    CHECK(std::stod(duration) < 200.0);
}

TEST_CASE("stop() closes idle kept-alive connections instead of waiting out the keep-alive timeout") {
    HttpServer server(ServerOptions{}, [](const HttpRequest&) { return HttpResponse{200, {}, "text/plain", "ok"}; });
    auto port = server.bind();
    REQUIRE(port.ok());
    auto finished = std::async(std::launch::async, [&server] { server.run(); });

    // Two idle connections: one kept alive after an answer, one that never sent a request.
    RawConnection used(port.value());
    used.send("GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    REQUIRE(used.response().rfind("HTTP/1.1 200 ", 0) == 0);
    RawConnection silent(port.value());

    const auto stopped = std::chrono::steady_clock::now();
    server.stop();
    // The keep-alive timeout is 5 s; 2 s is ample for the 100 ms accept-loop tick.
    CHECK(finished.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
    CHECK(std::chrono::steady_clock::now() - stopped < std::chrono::seconds(2));
    CHECK(used.closed_by_server(std::chrono::milliseconds(1000)));
    CHECK(silent.closed_by_server(std::chrono::milliseconds(1000)));
    finished.wait();
}

TEST_CASE("A kept-alive connection waiting for its next request holds no worker: with one worker, others are served") {
    ServerOptions options;
    options.threads = 1;
    options.keep_alive_timeout = std::chrono::seconds(30);  // a worker held while idling would be held this long
    RunningServer server([](const HttpRequest& request) { return HttpResponse{200, {}, "text/plain", request.path}; },
                         options);
    RawConnection idle(server.port());
    idle.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(idle.response().rfind("HTTP/1.1 200 ", 0) == 0);

    for (const std::string path : {"/a", "/b", "/c"}) {
        RawConnection other(server.port());
        other.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string response = other.response(std::chrono::milliseconds(3000));
        INFO(response);
        CHECK(response.rfind("HTTP/1.1 200 ", 0) == 0);
    }
    // The idle connection is still open and served when it speaks again.
    idle.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string again = idle.response(std::chrono::milliseconds(3000));
    CHECK(again.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(again.substr(again.size() - 6) == "/again");
}

TEST_CASE("A connection carries keep_alive_max_requests requests; the last answer says Connection: close") {
    ServerOptions options;
    options.keep_alive_max_requests = 3;
    RunningServer server([](const HttpRequest& request) { return HttpResponse{200, {}, "text/plain", request.path}; },
                         options);
    RawConnection connection(server.port());
    for (const std::string path : {"/1", "/2", "/3"}) {
        connection.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string response = connection.response();
        INFO(response);
        REQUIRE(response.rfind("HTTP/1.1 200 ", 0) == 0);
        CHECK(response.substr(response.size() - 2) == path);
        CHECK((response.find("Connection: close\r\n") != std::string::npos) == (path == "/3"));
    }
    CHECK(connection.closed_by_server(std::chrono::milliseconds(2000)));
}

TEST_CASE("With threads to spare, a kept-alive connection's worker waits for its next request itself, however late") {
    ServerOptions options;
    options.threads = 4;
    RunningServer server([](const HttpRequest& request) { return HttpResponse{200, {}, "text/plain", request.path}; },
                         options);
    RawConnection connection(server.port());
    // Later than one 50 ms look, sooner than the keep-alive timeout: answered on the same connection.
    for (const std::string path : {"/now", "/later"}) {
        connection.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string response = connection.response();
        INFO(response);
        REQUIRE(response.rfind("HTTP/1.1 200 ", 0) == 0);
        CHECK(response.substr(response.size() - path.size()) == path);
        std::this_thread::sleep_for(std::chrono::milliseconds(180));
    }
}

TEST_CASE("A new connection that has sent nothing yet holds no worker (a browser's preconnect)") {
    ServerOptions options;
    options.threads = 1;
    options.request_timeout = std::chrono::milliseconds(30000);
    RunningServer server([](const HttpRequest&) { return HttpResponse{200, {}, "text/plain", "ok"}; }, options);
    RawConnection silent(server.port());
    RawConnection other(server.port());
    other.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(other.response(std::chrono::milliseconds(3000)).rfind("HTTP/1.1 200 ", 0) == 0);
    silent.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(silent.response(std::chrono::milliseconds(3000)).rfind("HTTP/1.1 200 ", 0) == 0);
}

TEST_CASE("An idle connection is closed at its keep-alive timeout, and a silent new one at the request timeout") {
    ServerOptions options;
    options.keep_alive_timeout = std::chrono::seconds(1);
    options.request_timeout = std::chrono::milliseconds(300);
    RunningServer server([](const HttpRequest&) { return HttpResponse{200, {}, "text/plain", "ok"}; }, options);
    RawConnection used(server.port());
    used.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(used.response().rfind("HTTP/1.1 200 ", 0) == 0);
    RawConnection silent(server.port());
    const auto opened = std::chrono::steady_clock::now();

    CHECK(silent.closed_by_server(std::chrono::milliseconds(3000)));
    CHECK(std::chrono::steady_clock::now() - opened >= std::chrono::milliseconds(300));
    CHECK(used.closed_by_server(std::chrono::milliseconds(3000)));
    CHECK(std::chrono::steady_clock::now() - opened >= std::chrono::milliseconds(900));  // its wait began before `opened`
}

TEST_CASE("Requests sent back to back on one connection (pipelined) are each answered, in order") {
    std::vector<std::string> paths;
    std::mutex mutex;
    RunningServer server([&](const HttpRequest& request) {
        std::lock_guard<std::mutex> lock(mutex);
        paths.push_back(request.path);
        return HttpResponse{200, {}, "text/plain", request.path};
    });
    RawConnection connection(server.port());
    // One write: the second and third requests arrive in the same read as the first.
    connection.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /three HTTP/1.1\r\nHost: x\r\n\r\n");
    for (const std::string path : {"/one", "/two", "/three"}) {
        const std::string response = connection.response();
        INFO(response);
        CHECK(response.rfind("HTTP/1.1 200 ", 0) == 0);
        CHECK(response.size() >= path.size());
        CHECK(response.substr(response.size() - path.size()) == path);
    }
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(paths == std::vector<std::string>{"/one", "/two", "/three"});
}
