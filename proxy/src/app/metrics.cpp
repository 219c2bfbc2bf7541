#include "app/metrics.h"

namespace perch {

Metrics& no_metrics() {
    static Metrics none;
    return none;
}

}  // namespace perch
