// The framing of one request, decided on the raw bytes of its head before
// cpp-httplib parses it.
//
// cpp-httplib 0.11.4 reads a body only for POST, PUT, PATCH, DELETE (and PRI),
// takes one of several Content-Length values, percent-decodes header values and
// skips or accepts malformed lines ("Name : value", folded lines, bare LF). A
// front end that frames the same bytes differently (a reverse proxy reusing
// its upstream connection) could then hide a second request in the body of
// the first. So the connection loop holds every head to RFC 9112 here first:
// an accepted head has exactly one reading, and anything else is refused
// before any handler runs (the caller then closes the connection).
//
// Pure: no I/O, no httplib; perch-emulator's loop uses it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace perch {

struct HeadLimits {
    std::size_t max_head_bytes = 16 * 1024;     // request line, header lines and the empty line
    std::size_t max_header_lines = 100;
    std::size_t max_request_line_bytes = 8192;  // with its CRLF; cpp-httplib's own limit
    std::size_t max_header_line_bytes = 8192;   // with its CRLF; cpp-httplib's own limit
    std::uint64_t max_body_bytes = 16 * 1024;   // a larger Content-Length is refused
};

// More bytes are needed to decide (there are fewer than max_head_bytes).
struct IncompleteHead {};

// A well-formed head with one framing: `body_length` bytes follow it.
struct AcceptedHead {
    std::size_t head_bytes = 0;     // through the CRLF of the empty line
    std::uint64_t body_length = 0;  // Content-Length; 0 without one
    std::string method;
    std::string target;
    std::string version;            // "HTTP/1.1" or "HTTP/1.0"
};

// An answer to give instead of serving the request; the connection then ends.
struct RefusedHead {
    int status = 400;      // 400, 411, 413, 414 or 431
    std::string code;      // the JSON error code
    std::string message;   // fixed text, never the client's bytes
    // The request line's method and target when it was well-formed (for the access log).
    std::string method;
    std::string target;
};

using HeadDecision = std::variant<IncompleteHead, AcceptedHead, RefusedHead>;

// `bytes` are what the connection holds from the head's first byte on (body
// and pipelined bytes after the head are ignored). Only the first
// max_head_bytes are ever looked at, so a caller never needs to buffer more.
//
// Lines are scanned in order and the first problem decides:
//   1. 414 uri_too_long                     the request line is longer than max_request_line_bytes
//                                           (known as soon as that many bytes arrived without its LF).
//   2. 431 request_header_fields_too_large  a header line longer than max_header_line_bytes, more than
//                                           max_header_lines header lines, or no empty line within
//                                           max_head_bytes (decided once that many bytes are there).
//   3. 400 bad_request                      a line not ending in CRLF (bare LF, or a CR not before LF);
//                                           a request line other than `METHOD SP target SP HTTP/1.x`
//                                           (method a token, target visible ASCII, x 0 or 1); a header
//                                           line that starts with SP/HTAB (obsolete folding), has no
//                                           colon, whitespace before its colon or a name that is not a
//                                           token; a value with NUL, CR, LF or another control byte but
//                                           HTAB; Transfer-Encoding (any value, any case); a second
//                                           Content-Length (even an equal one); a Content-Length that is
//                                           not 1-18 ASCII digits; a second Host, or a Host value with
//                                           characters a host[:port] never has.
//   Then, once the empty line is in:
//   4. 400 bad_request                      an HTTP/1.1 request without Host.
//   5. 411 length_required                  POST, PUT or PATCH without Content-Length.
//   6. 413 too_large                        Content-Length above max_body_bytes.
//   7. accepted.
// A refusal of a prefix is also the refusal of every longer input, with the same status.
HeadDecision decide_request_head(std::string_view bytes, const HeadLimits& limits);

// The methods whose body cpp-httplib 0.11.4 reads itself (detail::expect_content):
// both server adaptors drop (or refuse to read) the declared body of any other,
// so it is never read as another request.
bool httplib_reads_body(const std::string& method);

}  // namespace perch
