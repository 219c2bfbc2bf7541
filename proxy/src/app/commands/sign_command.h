// `perch-proxy sign`: prints the base string and signature for a request, to debug OAuth.
#pragma once

#include <iosfwd>

namespace perch {

// Reads one JSON object from `in`:
//   {"method","url","params":[[name,value],...],"consumer_secret","token_secret"}
// (params: every decoded pair in the base string, oauth_* included, oauth_signature
// excluded; the url's query is not re-added; token_secret may be ""), and writes
// {"base_string","signature"} + newline to `out`. Unknown fields, wrong types or
// bad URLs -> {"error":{"code","message"}} on `err` and exit status 2.
// Returns the process exit status (0 on success).
int run_sign_command(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace perch
