#include "base/log.h"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <ostream>
#include <utility>

#include <unistd.h>

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

namespace {

// "2026-12-03T12:51:30.964": local time to the millisecond. localtime_r takes
// glibc's time-zone lock, so each thread converts a second only once.
void append_timestamp(std::string& line) {
    struct Cached {
        std::time_t second = -1;
        char text[24] = {};
    };
    thread_local Cached cached;
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != cached.second) {
        std::tm parts{};
        ::localtime_r(&now.tv_sec, &parts);
        if (std::strftime(cached.text, sizeof cached.text, "%Y-%m-%dT%H:%M:%S", &parts) == 0) cached.text[0] = '\0';
        cached.second = now.tv_sec;
    }
    const auto millis = static_cast<int>(now.tv_nsec / 1000000);  // 0..999
    line += cached.text;
    line += '.';
    line += static_cast<char>('0' + millis / 100);
    line += static_cast<char>('0' + millis / 10 % 10);
    line += static_cast<char>('0' + millis % 10);
}

// The whole line in one write(2): lines from several threads never interleave
// (a pipe takes up to PIPE_BUF bytes at once, a file one write at a time) and
// no thread waits on a lock held across another's system call, as a shared
// buffer's mutex would make every worker do once per request.
void write_line(int fd, const std::string& line) {
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t wrote = ::write(fd, line.data() + sent, line.size() - sent);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) return;  // nowhere left to report a failing log
        sent += static_cast<std::size_t>(wrote);
    }
}

}  // namespace

struct Log::Impl {
    std::ostream* stream = nullptr;  // to_stream: "level message" lines, no timestamp
    std::mutex stream_mutex;

    void write(const char* level, std::string_view message) {
        std::string line;
        line.reserve(message.size() + 40);
        if (stream == nullptr) {
            append_timestamp(line);
            line += ' ';
        }
        line += level;
        line += ' ';
        line += message;
        line += '\n';
        if (stream == nullptr) {
            write_line(STDERR_FILENO, line);
            return;
        }
        std::lock_guard<std::mutex> lock(stream_mutex);
        *stream << line << std::flush;
    }
};

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

std::unique_ptr<Log> Log::to_stderr() { return std::unique_ptr<Log>(new Log(std::make_unique<Impl>())); }

std::unique_ptr<Log> Log::to_stream(std::ostream& stream) {
    auto impl = std::make_unique<Impl>();
    impl->stream = &stream;
    return std::unique_ptr<Log>(new Log(std::move(impl)));
}

void Log::info(std::string_view message) { impl_->write("info", printable_line(message)); }
void Log::warn(std::string_view message) { impl_->write("warning", printable_line(message)); }
void Log::error(std::string_view message) { impl_->write("error", printable_line(message)); }
void Log::request(const AccessLogEntry& entry) { impl_->write("info", format_access_line(entry)); }

}  // namespace perch
