#include "api_types.h"

namespace perch {}
