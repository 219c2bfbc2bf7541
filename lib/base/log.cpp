#include "base/log.h"

#include <cstdio>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace perch {

namespace {

constexpr std::size_t max_logged_route = 200;

// A hostile path must not forge log lines: anything outside printable ASCII
// (and the space that separates fields) becomes %XX.
std::string printable(std::string_view text, std::size_t limit) {
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte > 0x20 && byte < 0x7f && byte != '%') {
            out += static_cast<char>(byte);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", byte);
            out += hex;
        }
    }
    if (text.size() > limit) out += "...";
    return out;
}

// Free text stays readable, but a newline or escape sequence cannot start a forged line.
std::string printable_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", byte);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string format_access_line(const AccessLogEntry& entry) {
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3fms", static_cast<double>(entry.duration.count()) / 1000.0);
    // "-" for what a request too malformed to read did not have.
    const std::string method = entry.method.empty() ? "-" : printable(entry.method, 16);
    const std::string route = entry.route.empty() ? "-" : printable(entry.route, max_logged_route);
    return method + ' ' + route + ' ' + std::to_string(entry.status) + ' ' + duration;
}

struct Log::Impl {
    std::shared_ptr<spdlog::logger> logger;
};

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

std::unique_ptr<Log> Log::to_stderr() {
    auto impl = std::make_unique<Impl>();
    impl->logger = std::make_shared<spdlog::logger>("perch", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    impl->logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    impl->logger->flush_on(spdlog::level::info);
    return std::unique_ptr<Log>(new Log(std::move(impl)));
}

std::unique_ptr<Log> Log::to_stream(std::ostream& stream) {
    auto impl = std::make_unique<Impl>();
    impl->logger = std::make_shared<spdlog::logger>(
        "perch", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream, true));
    impl->logger->set_pattern("%l %v");
    return std::unique_ptr<Log>(new Log(std::move(impl)));
}

void Log::info(std::string_view message) { impl_->logger->info("{}", printable_line(message)); }
void Log::warn(std::string_view message) { impl_->logger->warn("{}", printable_line(message)); }
void Log::error(std::string_view message) { impl_->logger->error("{}", printable_line(message)); }
void Log::request(const AccessLogEntry& entry) { impl_->logger->info("{}", format_access_line(entry)); }

}  // namespace perch
