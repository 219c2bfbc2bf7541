// Request framing over real sockets: every request's framing is decided
// before routing (lib/net/request_head.h), a declared body a route does not
// read is dropped, and an ambiguous head is refused with its connection
// closed, so no bytes a client labelled as body are ever served as a request.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http_fixture.h"
#include "net/http_server.h"

using namespace perch;
using perch::test::LoggedOptions;
using perch::test::RawConnection;
using perch::test::RunningServer;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The request the tests try to smuggle; it must never reach the handler.
const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

// Answers 204 and remembers "METHOD path" of every request that reached it.
class Recorder {
public:
    RequestHandler handler() {
        return [this](const HttpRequest& request) {
            std::lock_guard<std::mutex> lock(mutex_);
            seen_.push_back(request.method + " " + request.path);
            return HttpResponse{204, {}, "", ""};
        };
    }
    std::vector<std::string> seen() {
        std::lock_guard<std::mutex> lock(mutex_);
        return seen_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> seen_;
};

// Sends `bytes` on a new connection and checks the one answer: `status`, the
// JSON `code`, Connection: close, the own headers, within 2 s (well before the
// 5 s request deadline), and then nothing more before the server closes.
void check_refused(int port, const std::string& bytes, int status, const std::string& code) {
    RawConnection connection(port);
    const auto started = Clock::now();
    connection.try_send(bytes);
    const std::string answer = connection.response();
    INFO("request: " << bytes.substr(0, 200) << "\nanswer: " << answer);
    CHECK(answer.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0);
    CHECK(answer.find(R"({"error":{"code":")" + code + R"(",)") != std::string::npos);
    CHECK(answer.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(answer.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string::npos);
    CHECK(answer.find("\r\nCache-Control: no-store\r\n") != std::string::npos);
    CHECK(Clock::now() - started < 2s);
    CHECK(connection.response(300ms).empty());
    CHECK(connection.closed_by_server(1000ms));
}

// A GET /healthz head with `lines` after Host, and the smuggled request as its "body".
std::string get_smuggling(const std::vector<std::string>& lines) {
    std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (const auto& line : lines) head += line + "\r\n";
    return head + "\r\n" + smuggled;
}

std::string length_of_smuggled() { return "Content-Length: " + std::to_string(smuggled.size()); }

}  // namespace

TEST_CASE("A GET whose body is a request is answered once; the body is dropped, never served", "[framing]") {
    // curl -X GET --data-binary $'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n' http://127.0.0.1:P/healthz
    LoggedOptions logged;
    Recorder recorder;
    {
        RunningServer server(recorder.handler(), logged.options);
        RawConnection connection(server.port());
        connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n" +
                        length_of_smuggled() + "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" + smuggled);
        CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
        CHECK(connection.response(300ms).empty());  // no second answer
        // The connection stays usable: exactly the body was dropped, no more.
        connection.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
    }
    CHECK(recorder.seen() == std::vector<std::string>{"GET /healthz", "GET /next"});
    const std::vector<std::string> lines = logged.lines();
    INFO(logged.text());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].rfind("info GET /healthz 204 ", 0) == 0);
    CHECK(lines[1].rfind("info GET /next 204 ", 0) == 0);
}

TEST_CASE("HEAD, OPTIONS and GET drop their declared body before the handler runs", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    for (const std::string method : {"HEAD", "OPTIONS", "GET"}) {
        RawConnection connection(server.port());
        connection.send(method + " /a HTTP/1.1\r\nHost: x\r\n" + length_of_smuggled() + "\r\n\r\n" + smuggled +
                        "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
        CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
        CHECK(connection.response(300ms).empty());
    }
    CHECK(recorder.seen() == std::vector<std::string>{"HEAD /a", "GET /b", "OPTIONS /a", "GET /b", "GET /a", "GET /b"});
}

TEST_CASE("A GET body that arrives later is waited for and dropped; the handler runs only after it", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    RawConnection connection(server.port());
    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + length_of_smuggled() + "\r\n\r\nGET /smu");
    CHECK(connection.response(300ms).empty());  // the body is not whole yet
    CHECK(recorder.seen().empty());
    connection.send(smuggled.substr(8) + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
    CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
    CHECK(recorder.seen() == std::vector<std::string>{"GET /healthz", "GET /after"});
}

TEST_CASE("A GET body that never arrives is 408 at the request deadline; the handler never runs", "[framing]") {
    ServerOptions options;
    options.request_timeout = 600ms;
    Recorder recorder;
    RunningServer server(recorder.handler(), options);
    RawConnection connection(server.port());
    const auto started = Clock::now();
    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little");
    const std::string answer = connection.response();
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 408 ", 0) == 0);
    CHECK(answer.find(R"("code":"request_timeout")") != std::string::npos);
    CHECK(Clock::now() - started >= 600ms);
    CHECK(connection.closed_by_server(1000ms));
    CHECK(recorder.seen().empty());
}

TEST_CASE("A GET body over the body limit is 413 at once and the connection ends", "[framing]") {
    ServerOptions options;
    options.max_body_bytes = 1024;
    Recorder recorder;
    RunningServer server(recorder.handler(), options);
    check_refused(server.port(), get_smuggling({"Content-Length: 1025"}), 413, "too_large");
    CHECK(recorder.seen().empty());
}

TEST_CASE("Requests with a body, pipelined in one write, are each served once, in order", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    RawConnection connection(server.port());
    connection.send("GET /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
                    "DELETE /three HTTP/1.1\r\nHost: x\r\n\r\n"
                    "OPTIONS /four HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    for (int i = 0; i < 4; ++i) CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
    CHECK(recorder.seen() == std::vector<std::string>{"GET /one", "POST /two", "DELETE /three", "OPTIONS /four"});
}

TEST_CASE("Ambiguous Content-Length is 400 at once and the connection ends", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    const std::string length = length_of_smuggled();
    for (const auto& lines : std::vector<std::vector<std::string>>{
             {length, length},                       // two equal ones
             {"Content-Length: 0", length},          // two different ones
             {length, "content-length: 0"},          // in another case
         }) {
        check_refused(server.port(), get_smuggling(lines), 400, "bad_request");
    }
    for (const std::string value : {"+2", "-1", "2, 2", "0x2", "", "1 2", "12345678901234567890"}) {
        check_refused(server.port(), get_smuggling({"Content-Length: " + value}), 400, "bad_request");
        check_refused(server.port(),
                      "POST /api/logout HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n\r\n" + smuggled, 400,
                      "bad_request");
    }
    CHECK(recorder.seen().empty());
}

TEST_CASE("Transfer-Encoding in any spelling is 400 and the connection ends", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    const std::string chunk = "0\r\n\r\n";
    for (const std::string line : {"Transfer-Encoding: chunked", "Transfer-Encoding : chunked",
                                   "Transfer-Encoding\t: chunked", "transfer-encoding: chunked",
                                   "TRANSFER-ENCODING: identity", "Transfer-Encoding: xchunked"}) {
        check_refused(server.port(), "POST /x HTTP/1.1\r\nHost: x\r\n" + line + "\r\n\r\n" + chunk + smuggled, 400,
                      "bad_request");
        check_refused(server.port(),
                      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + line + "\r\n\r\n" + chunk + smuggled, 400,
                      "bad_request");
        check_refused(server.port(), get_smuggling({line}), 400, "bad_request");
    }
    CHECK(recorder.seen().empty());
}

TEST_CASE("Malformed header lines are 400 and the connection ends", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    const std::string length = length_of_smuggled();
    const std::vector<std::string> heads = {
        // obsolete line folding, also of a Content-Length onto another header
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n " + length + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t" + length + "\r\n\r\n",
        // bare LF and bare CR line ends
        "GET /healthz HTTP/1.1\nHost: x\n" + length + "\n\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n" + length + "\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r" + length + "\r\n\r\n",
        // NUL, CR or another control byte inside a value
        "GET /healthz HTTP/1.1\r\nHost: x\r\n" + length + std::string("\0", 1) + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n" + length + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x0b" "b\r\n" + length + "\r\n\r\n",
        // a name that is not a token, whitespace before the colon, no colon
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent Length: 0\r\n" + length + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n" + length + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A\r\n" + length + "\r\n\r\n",
    };
    for (const auto& head : heads) check_refused(server.port(), head + smuggled, 400, "bad_request");
    CHECK(recorder.seen().empty());
}

TEST_CASE("HTTP/1.1 without a Host, or with two, is 400; HTTP/1.0 without one is served", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    const std::string length = length_of_smuggled();
    check_refused(server.port(), "GET /healthz HTTP/1.1\r\n" + length + "\r\n\r\n" + smuggled, 400, "bad_request");
    check_refused(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + length + "\r\n\r\n" + smuggled, 400,
                  "bad_request");
    check_refused(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nhost: a\r\n" + length + "\r\n\r\n" + smuggled, 400,
                  "bad_request");
    check_refused(server.port(), "GET /healthz HTTP/1.1\r\nHost: a b\r\n" + length + "\r\n\r\n" + smuggled, 400,
                  "bad_request");
    CHECK(recorder.seen().empty());

    RawConnection old(server.port());
    old.send("GET /old HTTP/1.0\r\n\r\n");
    CHECK(old.response().rfind("HTTP/1.1 204 ", 0) == 0);
    CHECK(recorder.seen() == std::vector<std::string>{"GET /old"});
}

TEST_CASE("A request line that is not METHOD SP target SP HTTP/1.x is 400", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    for (const std::string line : {"GET  /healthz HTTP/1.1", "GET /healthz HTTP/1.1 x", "GET /healthz", "GET /a b HTTP/1.1",
                                   "GET /healthz HTTP/2.0", "\r\nGET /healthz HTTP/1.1", "G(T /healthz HTTP/1.1"}) {
        check_refused(server.port(), line + "\r\nHost: x\r\n" + length_of_smuggled() + "\r\n\r\n" + smuggled, 400,
                      "bad_request");
    }
    CHECK(recorder.seen().empty());
}

TEST_CASE("Oversized heads: a target over 8 KiB is 414; over 16 KiB or 100 header lines, or a line over 8 KiB, 431", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    check_refused(server.port(), "GET /?q=" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long");
    std::string big = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 3; ++i) big += "X-Big-" + std::to_string(i) + ": " + std::string(6000, 'b') + "\r\n";
    check_refused(server.port(), big + "\r\n" + smuggled, 431, "request_header_fields_too_large");
    std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
    check_refused(server.port(), many + "\r\n" + smuggled, 431, "request_header_fields_too_large");
    check_refused(server.port(), get_smuggling({"X-Big: " + std::string(9000, 'b')}), 431,
                  "request_header_fields_too_large");
    CHECK(recorder.seen().empty());
}

TEST_CASE("A head that never ends is 431 as soon as 16 KiB arrived, not at the deadline", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    RawConnection connection(server.port());
    const auto started = Clock::now();
    std::string endless = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    while (endless.size() < 17 * 1024) endless += "X-A: " + std::string(1000, 'a') + "\r\n";
    connection.try_send(endless);  // and the connection stays open, the head unfinished
    const std::string answer = connection.response();
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 431 ", 0) == 0);
    CHECK(answer.find("the request head is longer than 16384 bytes") != std::string::npos);
    CHECK(Clock::now() - started < 2s);
    CHECK(recorder.seen().empty());
}

TEST_CASE("A request httplib answers without reading its body ends the connection", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    const std::string length = length_of_smuggled();
    // A multipart body without a boundary: httplib answers 400 before reading it.
    RawConnection multipart(server.port());
    multipart.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\n" + length + "\r\n\r\n" + smuggled);
    CHECK(multipart.response().rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(multipart.response(300ms).empty());
    CHECK(multipart.closed_by_server(1000ms));
    // A method httplib does not know: 400, whatever followed it is not read as a request.
    RawConnection unknown(server.port());
    unknown.send("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled);
    CHECK(unknown.response().rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(unknown.response(300ms).empty());
    CHECK(unknown.closed_by_server(1000ms));
    CHECK(recorder.seen().empty());
}

TEST_CASE("A refused request is logged once with its method and path; a smuggled one never is", "[framing]") {
    LoggedOptions logged;
    {
        Recorder recorder;
        RunningServer server(recorder.handler(), logged.options);
        check_refused(server.port(), get_smuggling({length_of_smuggled(), length_of_smuggled()}), 400, "bad_request");
        check_refused(server.port(), "GET /healthz HTTP/1.1\nHost: x\n\n" + smuggled, 400, "bad_request");
    }
    const std::vector<std::string> lines = logged.lines();
    INFO(logged.text());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].rfind("info GET /healthz 400 ", 0) == 0);
    CHECK(lines[1].rfind("info - - 400 ", 0) == 0);  // the request line itself was malformed
}

TEST_CASE("A DELETE without Content-Length has an empty body, answered at once", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    RawConnection connection(server.port());
    const auto started = Clock::now();
    connection.send("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(connection.response().rfind("HTTP/1.1 204 ", 0) == 0);
    CHECK(Clock::now() - started < 2s);  // no body is waited for
    CHECK(recorder.seen() == std::vector<std::string>{"DELETE /x"});
}

TEST_CASE("A compressed request body is refused with 415 before httplib inflates it; the connection ends", "[framing]") {
    Recorder recorder;
    RunningServer server(recorder.handler());
    for (const std::string coding : {"gzip", "br", "deflate", "identity"}) {
        RawConnection connection(server.port());
        // Not even valid gzip: it is never read.
        connection.send("POST /api/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: " +
                        coding + "\r\n" + length_of_smuggled() + "\r\n\r\n" + smuggled);
        const std::string answer = connection.response();
        INFO(answer);
        CHECK(answer.rfind("HTTP/1.1 415 ", 0) == 0);
        CHECK(answer.find(R"("code":"unsupported_media_type")") != std::string::npos);
        CHECK(answer.find("\r\nConnection: close\r\n") != std::string::npos);
        CHECK(connection.response(300ms).empty());
        CHECK(connection.closed_by_server(1000ms));
    }
    CHECK(recorder.seen().empty());
}
