#include "percent_encoding.h"

namespace perch {}
