// The process_* metrics Prometheus client libraries conventionally export,
// read from /proc/self at each scrape (Linux only).
#pragma once

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace perch {

class ProcessMetrics final : public prometheus::Collectable {
public:
    // process_cpu_seconds_total, process_resident_memory_bytes,
    // process_virtual_memory_bytes, process_open_fds, process_max_fds,
    // process_start_time_seconds; a value /proc cannot give is left out.
    std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace perch
