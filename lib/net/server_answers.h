// The answers the HTTP server gives by itself, before or instead of a route:
// always JSON {"error":{"code","message"}}, never httplib's HTML.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "net/http_server.h"

namespace perch {

// {"error":{"code":code,"message":message}}
std::string json_error(const std::string& code, const std::string& message);

// The code and message of an error status httplib produces itself (before or
// instead of the handler).
std::pair<std::string, std::string> describe_status(int status, std::size_t max_body);

// Answers a connection the server will not serve with a JSON error, without
// waiting for the socket. `headers`: raw "Name: value\r\n" lines.
void send_error(int fd, int status, const char* reason, const std::string& code, const std::string& message,
                const std::string& headers);

// The reason phrases of the statuses the connection loop answers itself.
const char* reason_phrase(int status);

// The headers of every answer the server gives by itself: the operator's
// error_headers (those that would split the header block are left out),
// nosniff and no-store.
std::vector<std::pair<std::string, std::string>> own_headers(const ServerOptions& options);

}  // namespace perch
