#include "oauth.h"

namespace perch {}
