// Header fields exactly as the client sent them.
//
// cpp-httplib 0.11.4 percent-decodes request header values ("a%2Fb" arrives as
// "a/b"), which would hide precisely the encoding mistakes a strict OAuth
// verifier exists to catch. So net/raw_head_server.h records the raw request
// head and reads headers from it with this parser.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace perch {

using RawHeaders = std::multimap<std::string, std::string>;

// `head` is the request line, the header lines and the empty line that ends
// them (CRLF, or bare LF). Names are lower-cased; values lose surrounding
// spaces and tabs and are otherwise byte-exact. A line without ':', a name
// that is not an RFC 9110 token, an obsolete folded line or a control byte in
// a value yields nullopt.
std::optional<RawHeaders> parse_raw_headers(std::string_view head);

}  // namespace perch
