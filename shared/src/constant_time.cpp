#include "constant_time.h"

namespace perch {}
