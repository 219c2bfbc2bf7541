// The server adaptor over real sockets on 127.0.0.1: plain requests in, JSON errors,
// logging, stopping, gzip.
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

TEST_CASE("Access lines escape control characters so a path cannot forge a line") {
    CHECK(format_access_line({"GET", "/a\nINFO fake line", 404, std::chrono::microseconds(1500)}) ==
          "GET /a%0AINFO%20fake%20line 404 1.500ms");
    CHECK(format_access_line({"POST", "/api/twitter/start", 200, std::chrono::microseconds(42)}) ==
          "POST /api/twitter/start 200 0.042ms");
    CHECK(format_access_line({"GET", std::string(300, 'a'), 200, std::chrono::microseconds(0)}) ==
          "GET " + std::string(200, 'a') + "... 200 0.000ms");
    CHECK(format_access_line({"", "", 400, std::chrono::microseconds(7)}) == "- - 400 0.007ms");
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
