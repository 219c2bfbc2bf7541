#include "query.h"

namespace perch {}
