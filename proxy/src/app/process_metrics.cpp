#include "app/process_metrics.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace perch {
namespace {

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type, double value) {
    prometheus::MetricFamily result{name, help, type, {}};
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter) metric.counter.value = value;
    else metric.gauge.value = value;
    result.metric.push_back(metric);
    return result;
}

// /proc/self/stat's fields after the command name (which may hold spaces and
// parentheses, so the split starts after the last ')'): field 3 is the state.
std::vector<std::string> stat_fields() {
    std::ifstream file("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const std::size_t close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) return fields;
    std::istringstream rest(text.substr(close + 1));
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}

// Seconds since the epoch the machine booted (/proc/stat btime), or 0.
double boot_time() {
    std::ifstream file("/proc/stat");
    for (std::string line; std::getline(file, line);) {
        if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
    }
    return 0;
}

long open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    long count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count - 1;  // the descriptor opendir itself holds
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    // Fields counted from the state (index 0 here, field 3 in proc(5)).
    const std::vector<std::string> f = stat_fields();
    if (f.size() > 21 && ticks > 0) {
        const double cpu = (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / ticks;
        families.push_back(family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                  MetricType::Counter, cpu));
        families.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                                  std::strtod(f[20].c_str(), nullptr)));
        families.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                                  MetricType::Gauge, std::strtod(f[21].c_str(), nullptr) * page));
        const double boot = boot_time();
        if (boot > 0) {
            families.push_back(family("process_start_time_seconds",
                                      "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                                      boot + std::strtod(f[19].c_str(), nullptr) / ticks));
        }
    }
    const long fds = open_fds();
    if (fds >= 0) {
        families.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                                  static_cast<double>(fds)));
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        families.push_back(family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                                  static_cast<double>(limit.rlim_cur)));
    }
    return families;
}

}  // namespace perch
