#include "callback.h"

namespace perch {}
