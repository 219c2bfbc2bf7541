// The httplib adaptor over real sockets on 127.0.0.1.
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

using namespace perch;
using perch::test::LoggedOptions;
using perch::test::RawConnection;
using perch::test::RunningServer;
using perch::test::counting_ok;

namespace {

TransportLimits fast_limits() {
    TransportLimits limits;
    limits.connect_timeout = std::chrono::milliseconds(1000);
    limits.read_timeout = std::chrono::milliseconds(2000);
    limits.max_response_bytes = 64 * 1024;
    return limits;
}

IncomingResponse must_answer(HttpTransport& transport, const OutgoingRequest& request) {
    auto result = transport.send(request);
    if (!result) FAIL("transport error: " << result.error().message);
    return result.value();
}

TransportError must_fail(HttpTransport& transport, const OutgoingRequest& request) {
    auto result = transport.send(request);
    REQUIRE(!result.ok());
    return result.error();
}

std::string header(const Headers& headers, const std::string& name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("The server hands the handler plain requests and sends its responses back") {
    std::mutex mutex;
    HttpRequest seen;
    RunningServer server([&](const HttpRequest& request) {
        std::lock_guard<std::mutex> lock(mutex);
        seen = request;
        HttpResponse response;
        response.status = 201;
        response.headers = {{"Set-Cookie", "a=1; Path=/"}, {"Set-Cookie", "b=2; Path=/"}, {"X-Test", "yes"}};
        response.body = R"({"ok":true})";
        return response;
    });

    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "POST";
    request.url = server.url("/api/some%20thing?x=1&y=%2F");
    request.headers = {{"Authorization", "OAuth a=\"b\""}, {"X-Mixed-Case", "v"}};
    request.body = R"({"callback_query":"?a=b"})";
    request.content_type = "application/json";
    const IncomingResponse response = must_answer(transport, request);

    CHECK(response.status == 201);
    CHECK(response.body == R"({"ok":true})");
    CHECK(header(response.headers, "content-type") == "application/json");
    CHECK(header(response.headers, "x-test") == "yes");
    CHECK(response.headers.count("set-cookie") == 2);

    std::lock_guard<std::mutex> lock(mutex);
    CHECK(seen.method == "POST");
    CHECK(seen.path == "/api/some thing");
    CHECK(seen.query == "x=1&y=%2F");
    CHECK(seen.header("authorization") == "OAuth a=\"b\"");
    CHECK(seen.header("x-mixed-case") == "v");
    CHECK(seen.header("content-type") == "application/json");
    CHECK(seen.body == R"({"callback_query":"?a=b"})");
    CHECK(seen.remote_addr == "127.0.0.1");
}

TEST_CASE("An oversized body gets 413 JSON and never reaches the handler") {
    std::atomic<int> calls{0};
    ServerOptions options;
    options.max_body_bytes = 1024;
    RunningServer server(
        [&](const HttpRequest&) {
            ++calls;
            return HttpResponse{};
        },
        options);
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "POST";
    request.url = server.url("/api/twitter/exchange");
    request.body = std::string(2048, 'x');
    request.content_type = "application/json";
    const IncomingResponse response = must_answer(transport, request);
    CHECK(response.status == 413);
    CHECK(header(response.headers, "content-type") == "application/json");
    CHECK(response.body == R"({"error":{"code":"too_large","message":"request body is larger than 1024 bytes"}})");
    CHECK(calls == 0);
}

TEST_CASE("An oversized URI gets 414 JSON") {
    RunningServer server([](const HttpRequest&) { return HttpResponse{}; });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/?q=" + std::string(9000, 'a'));
    const IncomingResponse response = must_answer(transport, request);
    CHECK(response.status == 414);
    CHECK(response.body == R"({"error":{"code":"uri_too_long","message":"request URI is too long"}})");
}

TEST_CASE("An exception escaping the handler becomes 500 JSON, and the server keeps serving") {
    RunningServer server([](const HttpRequest& request) -> HttpResponse {
        if (request.path == "/boom") throw std::runtime_error("kaboom with SECRET detail");
        return HttpResponse{200, {}, "text/plain", "fine"};
    });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/boom");
    const IncomingResponse response = must_answer(transport, request);
    CHECK(response.status == 500);
    CHECK(header(response.headers, "content-type") == "application/json");
    CHECK(response.body == R"({"error":{"code":"internal","message":"internal error"}})");

    request.url = server.url("/after");
    const IncomingResponse after = must_answer(transport, request);
    CHECK(after.status == 200);
    CHECK(after.body == "fine");
}

TEST_CASE("The handler's own error bodies pass through untouched; empty ones become JSON") {
    RunningServer server([](const HttpRequest& request) {
        if (request.path == "/missing") {
            return HttpResponse{404, {}, "application/json", R"({"error":{"code":"not_found","message":"nope"}})"};
        }
        return HttpResponse{405, {}, "application/json", ""};
    });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/missing");
    const IncomingResponse missing = must_answer(transport, request);
    CHECK(missing.status == 404);
    CHECK(missing.body == R"({"error":{"code":"not_found","message":"nope"}})");

    request.url = server.url("/empty");
    const IncomingResponse empty = must_answer(transport, request);
    CHECK(empty.status == 405);
    CHECK(empty.body == R"({"error":{"code":"method_not_allowed","message":"method not allowed"}})");
}

TEST_CASE("stop() ends run() and binding twice on one port fails with a clear message") {
    HttpServer server(ServerOptions{}, [](const HttpRequest&) { return HttpResponse{}; });
    auto port = server.bind();
    REQUIRE(port.ok());
    CHECK(port.value() > 0);

    ServerOptions same;
    same.port = port.value();
    HttpServer clash(same, [](const HttpRequest&) { return HttpResponse{}; });
    auto second = clash.bind();
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().message == "cannot listen on 127.0.0.1:" + std::to_string(port.value()));
    CHECK(port.value() != 0);

    auto finished = std::async(std::launch::async, [&server] { server.run(); });
    server.stop();
    CHECK(finished.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

TEST_CASE("stop() before run() makes run() return at once") {
    HttpServer server(ServerOptions{}, [](const HttpRequest&) { return HttpResponse{}; });
    REQUIRE(server.bind().ok());
    server.stop();
    auto finished = std::async(std::launch::async, [&server] { server.run(); });
    CHECK(finished.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

TEST_CASE("The server logs one line per request without the query") {
    std::ostringstream lines;
    auto log = Log::to_stream(lines);
    ServerOptions options;
    options.log = log.get();
    {
        RunningServer server([](const HttpRequest&) { return HttpResponse{204, {}, "", ""}; }, options);
        HttplibTransport transport(fast_limits());
        OutgoingRequest request;
        request.method = "GET";
        request.url = server.url("/signup/callback?oauth_token=TOKENVALUE&oauth_verifier=VERIFIERVALUE");
        CHECK(must_answer(transport, request).status == 204);
    }
    const std::string text = lines.str();
    CHECK(text.rfind("info GET /signup/callback 204 ", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    CHECK(text.find("TOKENVALUE") == std::string::npos);
    CHECK(text.find("VERIFIERVALUE") == std::string::npos);
}

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

    // Closing one frees its place (the server sees the close at once).
    first.reset();
    bool served = false;
    for (int attempt = 0; attempt < 20 && !served; ++attempt) {
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

TEST_CASE("A 204 goes out without a body or Content-Type") {
    RunningServer server([](const HttpRequest&) { return HttpResponse{204, {{"Set-Cookie", "a=; Max-Age=0"}}, "", ""}; });
    RawConnection connection(server.port());
    connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const std::string response = connection.response();
    INFO(response);
    CHECK(response.rfind("HTTP/1.1 204 ", 0) == 0);
    std::string lowered = response;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(lowered.find("content-type") == std::string::npos);
    CHECK(lowered.find("set-cookie: a=; max-age=0") != std::string::npos);
    CHECK(response.size() == response.find("\r\n\r\n") + 4);
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

TEST_CASE("Access lines escape control characters so a path cannot forge a line") {
    CHECK(format_access_line({"GET", "/a\nINFO fake line", 404, std::chrono::microseconds(1500)}) ==
          "GET /a%0AINFO%20fake%20line 404 1.500ms");
    CHECK(format_access_line({"POST", "/api/twitter/start", 200, std::chrono::microseconds(42)}) ==
          "POST /api/twitter/start 200 0.042ms");
    CHECK(format_access_line({"GET", std::string(300, 'a'), 200, std::chrono::microseconds(0)}) ==
          "GET " + std::string(200, 'a') + "... 200 0.000ms");
    CHECK(format_access_line({"", "", 400, std::chrono::microseconds(7)}) == "- - 400 0.007ms");
}

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

TEST_CASE("Compressible answers are gzipped, never Brotli-compressed (quality 11 on every request)") {
    const std::string module(64 * 1024, 'm');
    RunningServer server([&](const HttpRequest&) { return HttpResponse{200, {}, "text/javascript; charset=utf-8", module}; });
    HttplibTransport transport(fast_limits());
    auto fetch = [&](const std::string& accept_encoding) {
        OutgoingRequest request;
        request.method = "GET";
        request.url = server.url("/perch.mjs");
        request.headers.emplace_back("Accept-Encoding", accept_encoding);
        return must_answer(transport, request);
    };

    IncomingResponse chrome = fetch("gzip, deflate, br");
    CHECK(header(chrome.headers, "content-encoding") == "gzip");
    CHECK(chrome.body.size() < module.size() / 10);

    IncomingResponse brotli_only = fetch("br");
    CHECK(header(brotli_only.headers, "content-encoding").empty());
    CHECK(brotli_only.body == module);

    IncomingResponse gzip_refused = fetch("br, gzip;q=0");
    CHECK(header(gzip_refused.headers, "content-encoding").empty());

    IncomingResponse weighted = fetch("br;q=1.0, GZIP;q=0.5");
    CHECK(header(weighted.headers, "content-encoding") == "gzip");
}

TEST_CASE("A 304 goes out without a body") {
    RunningServer server([&](const HttpRequest&) {
        return HttpResponse{304, {{"ETag", "W/\"1-2\""}}, "", ""};
    });
    HttplibTransport transport(fast_limits());
    OutgoingRequest request;
    request.method = "GET";
    request.url = server.url("/perch.mjs");
    IncomingResponse response = must_answer(transport, request);
    CHECK(response.status == 304);
    CHECK(response.body.empty());
    CHECK(header(response.headers, "etag") == "W/\"1-2\"");
}

// ---------------------------------------------------------------- TLS

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
