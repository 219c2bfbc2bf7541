#include "net/server_answers.h"

#include <algorithm>
#include <cctype>

#include <sys/socket.h>

#include <nlohmann/json.hpp>

namespace perch {

std::string json_error(const std::string& code, const std::string& message) {
    return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

std::pair<std::string, std::string> describe_status(int status, std::size_t max_body) {
    switch (status) {
        case 400: return {"bad_request", "malformed HTTP request"};
        case 404: return {"not_found", "no such route"};
        case 405: return {"method_not_allowed", "method not allowed"};
        case 413: return {"too_large", "request body is larger than " + std::to_string(max_body) + " bytes"};
        case 408: return {"request_timeout", "The request did not arrive in time."};
        case 414: return {"uri_too_long", "request URI is too long"};
        case 411: return {"length_required", "a request body needs a Content-Length"};
        case 416: return {"bad_range", "range not satisfiable"};
        case 500: return {"internal", "internal error"};
        case 503: return {"unavailable", "service unavailable"};
        default: return {"http_" + std::to_string(status), "request failed"};
    }
}

void send_error(int fd, int status, const char* reason, const std::string& code, const std::string& message,
                const std::string& headers) {
    const std::string body = json_error(code, message);
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                                 "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n" + headers + "\r\n" + body;
    (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

const char* reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        default: return "Error";
    }
}

std::vector<std::pair<std::string, std::string>> own_headers(const ServerOptions& options) {
    std::vector<std::pair<std::string, std::string>> headers;
    auto has = [&headers](const std::string& name) {
        return std::any_of(headers.begin(), headers.end(), [&name](const auto& header) {
            return header.first.size() == name.size() &&
                   std::equal(name.begin(), name.end(), header.first.begin(), [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                   });
        });
    };
    for (const auto& [name, value] : options.error_headers) {
        // A line break would split the header block (httplib refuses these too).
        if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) continue;
        if (!has(name)) headers.emplace_back(name, value);
    }
    if (!has("X-Content-Type-Options")) headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!has("Cache-Control")) headers.emplace_back("Cache-Control", "no-store");
    return headers;
}

}  // namespace perch
