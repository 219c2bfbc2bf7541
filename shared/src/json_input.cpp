#include "json_input.h"

namespace perch {}
