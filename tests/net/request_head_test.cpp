// The framing decision on raw request heads (lib/net/request_head.h), without sockets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/request_head.h"

using namespace perch;

namespace {

const std::string ok_get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

AcceptedHead accepted(const std::string& bytes, const HeadLimits& limits = {}) {
    const HeadDecision decision = decide_request_head(bytes, limits);
    INFO(bytes);
    if (const auto* refused = std::get_if<RefusedHead>(&decision)) FAIL("refused " << refused->status << ": " << refused->message);
    REQUIRE(std::holds_alternative<AcceptedHead>(decision));
    return std::get<AcceptedHead>(decision);
}

RefusedHead refused(const std::string& bytes, const HeadLimits& limits = {}) {
    const HeadDecision decision = decide_request_head(bytes, limits);
    INFO(bytes);
    REQUIRE(std::holds_alternative<RefusedHead>(decision));
    return std::get<RefusedHead>(decision);
}

bool incomplete(const std::string& bytes, const HeadLimits& limits = {}) {
    return std::holds_alternative<IncompleteHead>(decide_request_head(bytes, limits));
}

// A GET head with these header lines (each without its CRLF) after Host.
std::string get_with(const std::vector<std::string>& lines) {
    std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (const auto& line : lines) head += line + "\r\n";
    return head + "\r\n";
}

void check_malformed(const std::string& bytes, const std::string& message) {
    const RefusedHead refusal = refused(bytes);
    INFO(bytes);
    CHECK(refusal.status == 400);
    CHECK(refusal.code == "bad_request");
    CHECK(refusal.message == message);
}

}  // namespace

TEST_CASE("A well-formed head is accepted with its size, method, target and version", "[request_head]") {
    const AcceptedHead head = accepted(ok_get);
    CHECK(head.head_bytes == ok_get.size());
    CHECK(head.body_length == 0);
    CHECK(head.method == "GET");
    CHECK(head.target == "/healthz");
    CHECK(head.version == "HTTP/1.1");
}

TEST_CASE("The body and pipelined bytes after the head are not part of the decision", "[request_head]") {
    const std::string head = "POST /api/logout HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\n";
    const AcceptedHead post = accepted(head + "{}GET /next HTTP/1.1\r\n\x01garbage");
    CHECK(post.head_bytes == head.size());
    CHECK(post.body_length == 2);
    CHECK(post.method == "POST");
}

TEST_CASE("A declared body on any method is framed by its Content-Length", "[request_head]") {
    for (const std::string method : {"GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "PUT"}) {
        CHECK(accepted(method + " / HTTP/1.1\r\nHost: x\r\nContent-Length: 46\r\n\r\n").body_length == 46);
    }
    // Leading zeros are still plain digits; OWS around the value is not part of it.
    CHECK(accepted(get_with({"Content-Length: 007"})).body_length == 7);
    CHECK(accepted(get_with({"Content-Length:\t 12 \t"})).body_length == 12);
    CHECK(accepted(get_with({"Content-Length: 0"})).body_length == 0);
}

TEST_CASE("More than one Content-Length is refused, even equal ones in another case", "[request_head]") {
    for (const auto& lines : std::vector<std::vector<std::string>>{
             {"Content-Length: 2", "Content-Length: 2"},
             {"Content-Length: 2", "content-length: 2"},
             {"Content-Length: 0", "Content-Length: 46"},
         }) {
        check_malformed(get_with(lines), "more than one Content-Length");
    }
}

TEST_CASE("A Content-Length that is not plain ASCII digits is refused", "[request_head]") {
    for (const std::string value : {"+2", "-1", "2, 2", "2,2", "0x2", "", "1 2", "2.0", "1e3", "\xd9\xa2",
                                    "1234567890123456789", "99999999999999999999999"}) {
        check_malformed(get_with({"Content-Length: " + value}), "Content-Length is not a plain decimal number");
    }
    // 18 digits parse without overflow, then are over the body limit.
    CHECK(refused(get_with({"Content-Length: 999999999999999999"})).status == 413);
}

TEST_CASE("Transfer-Encoding is refused in any case and any value, also with whitespace before the colon", "[request_head]") {
    const std::string message = "Transfer-Encoding is not accepted: send a Content-Length";
    check_malformed(get_with({"Transfer-Encoding: chunked"}), message);
    check_malformed(get_with({"transfer-encoding: identity"}), message);
    check_malformed(get_with({"TRANSFER-ENCODING: chunked", "Content-Length: 5"}), message);
    check_malformed(get_with({"Content-Length: 5", "Transfer-Encoding: xchunked"}), message);
    check_malformed(get_with({"Transfer-Encoding :chunked"}), "whitespace between a header name and its colon");
    check_malformed(get_with({"Transfer-Encoding\t: chunked"}), "whitespace between a header name and its colon");
    check_malformed(get_with({"Content-Length : 5"}), "whitespace between a header name and its colon");
}

TEST_CASE("Header names must be tokens followed directly by a colon", "[request_head]") {
    check_malformed(get_with({"X Y: 1"}), "a header name is not a token");
    check_malformed(get_with({"(x): 1"}), "a header name is not a token");
    check_malformed(get_with({": 1"}), "a header name is not a token");
    check_malformed(get_with({"Transfer\xc2\xad" "Encoding: chunked"}), "a header name is not a token");
    check_malformed(get_with({"no colon here"}), "a header line has no colon");
    CHECK(accepted(get_with({"X-Odd_but.valid!#$%&'*+^`|~: 1"})).method == "GET");
}

TEST_CASE("Obsolete line folding is refused", "[request_head]") {
    check_malformed(get_with({"X-A: one", " two"}), "obsolete line folding is not accepted");
    check_malformed(get_with({"X-A: one", "\ttwo"}), "obsolete line folding is not accepted");
    // Whitespace before the first header line is folding onto the request line.
    check_malformed("GET / HTTP/1.1\r\n Host: x\r\n\r\n", "obsolete line folding is not accepted");
}

TEST_CASE("Lines must end in CRLF: a bare LF or a bare CR is refused", "[request_head]") {
    check_malformed("GET / HTTP/1.1\nHost: x\r\n\r\n", "a line ends in a bare LF");
    check_malformed("GET / HTTP/1.1\r\nHost: x\n\r\n", "a line ends in a bare LF");
    check_malformed("GET / HTTP/1.1\r\nHost: x\r\n\n", "a line ends in a bare LF");
    check_malformed("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "a line holds a bare CR");
    check_malformed("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\rb\r\n\r\n", "a line holds a bare CR");
    check_malformed("GET /\r HTTP/1.1\r\nHost: x\r\n\r\n", "a line holds a bare CR");
}

TEST_CASE("NUL and other control bytes in a header value are refused; HTAB and obs-text are not", "[request_head]") {
    const std::string message = "a header value holds a control character";
    check_malformed(get_with({std::string("X-A: a\0b", 8)}), message);
    check_malformed(get_with({"X-A: a\x01"}), message);
    check_malformed(get_with({"X-A: a\x7f"}), message);
    check_malformed(get_with({"X-A: \x1b[31m"}), message);
    CHECK(accepted(get_with({"X-A: a\tb", "X-Name: Zo\xc3\xab"})).method == "GET");
}

TEST_CASE("HTTP/1.1 needs exactly one Host; HTTP/1.0 may omit it", "[request_head]") {
    check_malformed("GET / HTTP/1.1\r\n\r\n", "an HTTP/1.1 request needs a Host");
    check_malformed("GET / HTTP/1.1\r\nX-Host: x\r\n\r\n", "an HTTP/1.1 request needs a Host");
    check_malformed("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "more than one Host");
    check_malformed("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", "more than one Host");
    CHECK(accepted("GET / HTTP/1.0\r\n\r\n").version == "HTTP/1.0");
    for (const std::string host : {"a b", "x/y", "user@x", "x?y", "x#y", "\xc3\xa9xample.org"}) {
        check_malformed("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n", "Host is not a host[:port]");
    }
    for (const std::string host : {"", "127.0.0.1:8080", "[::1]:80", "xn--bcher-kva.example", "a-b.c_d~e"}) {
        CHECK(accepted("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").method == "GET");
    }
}

TEST_CASE("The request line must be METHOD SP target SP HTTP/1.x", "[request_head]") {
    const std::string message = "the request line is not METHOD SP target SP HTTP/1.x";
    for (const std::string line : {"GET / HTTP/1.1 extra", "GET  / HTTP/1.1", "GET /  HTTP/1.1", "GET /", "GET",
                                   "", " GET / HTTP/1.1", "G@T / HTTP/1.1", "GET / HTTP/2.0", "GET / http/1.1",
                                   "GET / HTTP/1.1 ", "GET /\x7f HTTP/1.1", "GET /\xc3\xa9 HTTP/1.1", "GET /\ta HTTP/1.1"}) {
        check_malformed(line + "\r\nHost: x\r\n\r\n", message);
    }
    // A method httplib does not know is still a token: refusing it is httplib's job (400).
    CHECK(accepted("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n").method == "BREW");
    CHECK(accepted("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").target == "*");
}

TEST_CASE("A request line over 8 KiB is 414, decided before its end arrives", "[request_head]") {
    const std::string fits = "GET /" + std::string(8192 - 16, 'a') + " HTTP/1.1\r\n";
    REQUIRE(fits.size() == 8192);
    CHECK(accepted(fits + "Host: x\r\n\r\n").target.size() == 8192 - 15);
    const std::string over = "GET /" + std::string(8192 - 15, 'a') + " HTTP/1.1\r\n";
    const RefusedHead refusal = refused(over + "Host: x\r\n\r\n");
    CHECK(refusal.status == 414);
    CHECK(refusal.code == "uri_too_long");
    CHECK(refusal.message == "request URI is too long");
    CHECK(refusal.method.empty());
    CHECK(refused("GET /" + std::string(9000, 'a')).status == 414);
}

TEST_CASE("Heads over 16 KiB, header lines over 8 KiB and more than 100 header lines are 431", "[request_head]") {
    const auto check_431 = [](const std::string& bytes, const std::string& message) {
        const RefusedHead refusal = refused(bytes);
        CHECK(refusal.status == 431);
        CHECK(refusal.code == "request_header_fields_too_large");
        CHECK(refusal.message == message);
    };
    check_431(get_with({"X-Big: " + std::string(8192, 'b')}), "a header line is longer than 8192 bytes");
    check_431("GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'b'), "a header line is longer than 8192 bytes");
    CHECK(accepted(get_with({"X-Big: " + std::string(8192 - 9, 'b')})).method == "GET");

    const std::vector<std::string> hundred(99, "X-A: 1");  // and Host
    CHECK(accepted(get_with(hundred)).method == "GET");
    std::vector<std::string> too_many = hundred;
    too_many.push_back("X-B: 2");
    check_431(get_with(too_many), "more than 100 header lines");

    // Exactly 16 KiB is accepted; one byte more, or 16 KiB without the empty line, is not.
    const auto padded = [](std::size_t pad) {
        return get_with({"X-A: " + std::string(7000, 'a'), "X-B: " + std::string(7000, 'b'), "X-C: " + std::string(pad, 'c')});
    };
    const std::size_t pad = 16384 - padded(0).size();
    REQUIRE(padded(pad).size() == 16384);
    CHECK(accepted(padded(pad)).head_bytes == 16384);
    check_431(padded(pad + 1), "the request head is longer than 16384 bytes");
    std::string endless = "GET / HTTP/1.1\r\nHost: x\r\n";
    while (endless.size() < 16384) endless += "X-A: " + std::string(1000, 'a') + "\r\n";
    check_431(endless, "the request head is longer than 16384 bytes");
    CHECK(incomplete(endless.substr(0, 16383)));
}

TEST_CASE("POST, PUT and PATCH without Content-Length are 411; other methods have no body", "[request_head]") {
    for (const std::string method : {"POST", "PUT", "PATCH"}) {
        const RefusedHead refusal = refused(method + " /api/logout HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(refusal.status == 411);
        CHECK(refusal.code == "length_required");
        CHECK(refusal.message == "a request body needs a Content-Length");
    }
    CHECK(accepted("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n").body_length == 0);
}

TEST_CASE("A Content-Length over the body limit is 413 for every method", "[request_head]") {
    HeadLimits limits;
    limits.max_body_bytes = 1024;
    for (const std::string method : {"GET", "POST"}) {
        const RefusedHead refusal = refused(method + " /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n", limits);
        CHECK(refusal.status == 413);
        CHECK(refusal.code == "too_large");
        CHECK(refusal.message == "request body is larger than 1024 bytes");
        CHECK(accepted(method + " /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n", limits).body_length == 1024);
    }
}

TEST_CASE("A refusal names the method and target once the request line was read", "[request_head]") {
    const RefusedHead refusal = refused(get_with({"Content-Length: 1", "Content-Length: 1"}));
    CHECK(refusal.method == "GET");
    CHECK(refusal.target == "/healthz");
    const RefusedHead early = refused("GET / HTTP/1.1\nHost: x\r\n\r\n");
    CHECK(early.method.empty());
    CHECK(early.target.empty());
}

TEST_CASE("A head not yet whole is incomplete, never accepted early", "[request_head]") {
    CHECK(incomplete(""));
    CHECK(incomplete("GET /heal"));
    CHECK(incomplete("GET /healthz HTTP/1.1\r"));
    CHECK(incomplete("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    CHECK(incomplete("GET /healthz HTTP/1.1\r\nHost: x\r\n\r"));
}

TEST_CASE("Every prefix of a head is undecided or decided the same way as the whole", "[request_head]") {
    const std::vector<std::string> heads = {
        ok_get,
        "POST /api/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        get_with({"Content-Length: 2", "Content-Length: 2"}),
        get_with({"Transfer-Encoding : chunked"}),
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\n\r\n",
        "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
        get_with({"X-Big: " + std::string(9000, 'b')}),
        get_with(std::vector<std::string>(120, "X-A: 1")),
    };
    for (const auto& whole : heads) {
        const HeadDecision final_decision = decide_request_head(whole, {});
        for (std::size_t size = 0; size < whole.size(); ++size) {
            const HeadDecision decision = decide_request_head(std::string_view(whole).substr(0, size), {});
            if (std::holds_alternative<IncompleteHead>(decision)) continue;
            INFO(whole.substr(0, 80) << " cut at " << size);
            REQUIRE(decision.index() == final_decision.index());
            if (const auto* refusal = std::get_if<RefusedHead>(&decision)) {
                CHECK(refusal->status == std::get<RefusedHead>(final_decision).status);
                CHECK(refusal->message == std::get<RefusedHead>(final_decision).message);
            } else {
                CHECK(std::get<AcceptedHead>(decision).head_bytes == std::get<AcceptedHead>(final_decision).head_bytes);
            }
        }
    }
}
