// One-line logs on stderr. Never pass a secret, token or session id.
#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace perch {

struct AccessLogEntry {
    std::string method;
    std::string route;  // path without query (or a route name)
    int status = 0;
    std::chrono::microseconds duration{0};
};

// "POST /api/twitter/start 200 1.234ms" (control characters in the route escaped).
std::string format_access_line(const AccessLogEntry& entry);

class Log {
public:
    // To stderr, with timestamps.
    static std::unique_ptr<Log> to_stderr();
    // To a stream (tests); the stream must outlive the Log.
    static std::unique_ptr<Log> to_stream(std::ostream& stream);
    ~Log();

    void info(std::string_view message);
    void warn(std::string_view message);
    void error(std::string_view message);
    void request(const AccessLogEntry& entry);

private:
    struct Impl;
    explicit Log(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace perch
