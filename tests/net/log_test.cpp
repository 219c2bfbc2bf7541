// The process log: whole lines on stderr, whatever the number of threads.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"

using namespace perch;

namespace {

// Points stderr at a temporary file for the life of the object.
class CapturedStderr {
public:
    CapturedStderr() {
        char name[] = "/tmp/perch-log-XXXXXX";
        file_ = ::mkstemp(name);
        ::unlink(name);
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(file_, STDERR_FILENO);
    }
    ~CapturedStderr() {
        restore();
        ::close(file_);
    }
    std::string text() {
        restore();
        std::string out;
        char buffer[65536];
        ::lseek(file_, 0, SEEK_SET);
        for (ssize_t got; (got = ::read(file_, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(got));
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    int file_ = -1;
    int saved_ = -1;
};

}  // namespace

TEST_CASE("Lines from many threads at once reach stderr whole, each with its timestamp and level") {
    constexpr int threads = 8;
    constexpr int lines_each = 500;
    CapturedStderr captured;
    {
        auto log = Log::to_stderr();
        std::vector<std::thread> writers;
        for (int t = 0; t < threads; ++t) {
            writers.emplace_back([&log, t] {
                for (int i = 0; i < lines_each; ++i) {
                    if (i % 2 == 0) {
                        log->request(AccessLogEntry{"POST", "/api/twitter/start/" + std::to_string(t), 200,
                                                    std::chrono::microseconds(1234)});
                    } else {
                        log->warn("thread " + std::to_string(t) + " line " + std::to_string(i) + "\nforged");
                    }
                }
            });
        }
        for (auto& writer : writers) writer.join();
    }
    std::istringstream text(captured.text());
    const std::regex access(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} info POST /api/twitter/start/\d 200 1\.234ms)");
    const std::regex warning(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} warning thread \d line \d+%0Aforged)");
    int access_lines = 0;
    int warning_lines = 0;
    for (std::string line; std::getline(text, line);) {
        INFO(line);
        if (std::regex_match(line, access)) {
            ++access_lines;
        } else {
            CHECK(std::regex_match(line, warning));
            ++warning_lines;
        }
    }
    CHECK(access_lines == threads * lines_each / 2);
    CHECK(warning_lines == threads * lines_each / 2);
}

TEST_CASE("A log to a stream writes level and message, no timestamp") {
    std::ostringstream out;
    auto log = Log::to_stream(out);
    log->info("ready");
    log->error("bad\x1b[2J");
    CHECK(out.str() == "info ready\nerror bad%1B[2J\n");
}
